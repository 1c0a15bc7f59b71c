"""The helper protocol's exact wire rules: compact JSON, the size limit at its byte, shortening that keeps the
start and says so, every refusal named, and a message that shrinks until it fits."""

from __future__ import annotations

import json

import pytest

from app.domain.outcomes import Outcome
from app.domain.runs import CommandResult
from app.elevation import protocol
from app.elevation.protocol import (
    MAX_MESSAGE_BYTES,
    Done,
    ProtocolError,
    decode,
    encode,
    parse_decision,
    parse_helper_message,
    shorten,
)

MARK = "\n[... shortened ...]"


def error(call: object, *args: object) -> str:
    with pytest.raises(ProtocolError) as info:
        call(*args)  # type: ignore[operator]
    return str(info.value)


def test_messages_are_compact_json() -> None:
    assert encode({"type": "x", "a": [1, 2]}) == b'{"type":"x","a":[1,2]}'


def test_the_size_limit_is_inclusive() -> None:
    overhead = len(encode({"type": ""}))
    assert len(encode({"type": "a" * (MAX_MESSAGE_BYTES - overhead)})) == MAX_MESSAGE_BYTES
    assert error(encode, {"type": "a" * (MAX_MESSAGE_BYTES - overhead + 1)}) == "message too large"


def test_shorten_keeps_text_up_to_the_limit_and_marks_a_cut() -> None:
    assert shorten("abc", 3) == "abc"
    cut = shorten("x" * 100, 50)
    assert cut == "x" * (50 - len(MARK)) + MARK and len(cut) == 50
    assert shorten("abcdef", 5) == MARK  # no room for any of the text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff", "not a JSON message: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"),
        (b"[]", "message has no type"),
        (b'{"type": 1}', "message has no type"),
    ],
)
def test_decode_names_what_is_wrong(data: bytes, message: str) -> None:
    assert error(decode, data) == message


def test_only_the_two_decisions_are_accepted() -> None:
    assert parse_decision(b'{"type":"decision","decision":"keep"}') is True
    assert parse_decision(b'{"type":"decision","decision":"revert"}') is False
    assert error(parse_decision, b'{"type":"decision","decision":"KEEP"}') == "not a decision"


@pytest.mark.parametrize(
    ("message", "text"),
    [
        ({"type": "applied", "ok": 1, "message": "", "before": {}, "results": []}, "malformed applied message"),
        ({"type": "applied", "ok": True, "message": "", "before": [], "results": []}, "malformed applied message"),
        ({"type": "done", "outcome": 1, "reason": "", "results": []}, "malformed done message"),
        ({"type": "done", "outcome": "kept", "reason": "", "results": {}}, "results must be a list"),
        ({"type": "done", "outcome": "kept", "reason": ""}, "malformed message: 'results'"),
        ({"type": "hello"}, "unknown message type 'hello'"),
    ],
)
def test_helper_messages_name_what_is_wrong(message: dict[str, object], text: str) -> None:
    assert error(parse_helper_message, json.dumps(message).encode()) == text


def test_a_bad_result_is_a_protocol_error_with_its_reason() -> None:
    data = json.dumps({"type": "done", "outcome": "kept", "reason": "", "results": [{"argv": 1}]}).encode()
    assert error(parse_helper_message, data) != ""


def test_a_huge_done_message_is_shortened_until_it_fits_keeping_every_field() -> None:
    big = "y" * MAX_MESSAGE_BYTES
    run = CommandResult(("interface",), 1, big, big, duration_s=1.5, timed_out=True)
    data = Done(Outcome.REVERT_FAILED, big, (run,)).encode()
    assert len(data) <= MAX_MESSAGE_BYTES
    done = parse_helper_message(data)
    assert isinstance(done, Done)
    assert done.outcome is Outcome.REVERT_FAILED
    assert done.reason.endswith(MARK) and len(done.reason) == protocol.MAX_TEXT_CHARS
    (got,) = done.results
    assert (got.argv, got.exit_code, got.duration_s, got.timed_out) == (("interface",), 1, 1.5, True)
    assert got.stdout.endswith(MARK) and got.stderr.endswith(MARK)
    assert len(got.stdout) == len(got.stderr) <= protocol.MAX_TEXT_CHARS


def test_many_results_shrink_by_quarters_but_the_reason_keeps_200_characters() -> None:
    big = "z" * 5000
    runs = tuple(CommandResult(("a",), 0, big, big) for _ in range(40))
    done = parse_helper_message(Done(Outcome.KEPT, big, runs).encode())
    assert isinstance(done, Done)
    assert {len(r.stdout) for r in done.results} == {1000}  # 4000 // 4 fits, 4000 did not
    assert len(done.reason) == 1000
    tiny = parse_helper_message(Done(Outcome.KEPT, big, tuple(runs * 8)).encode())
    assert isinstance(tiny, Done) and len(tiny.reason) == 250  # 4000 // 16
