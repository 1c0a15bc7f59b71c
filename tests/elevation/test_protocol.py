"""The channel's messages: JSON only, strictly checked, and change arguments built from typed values."""

from __future__ import annotations

import json

import pytest

from app.domain.model import Change, ExecutionMode, Family, FamilyChange, LoopbackSettings
from app.domain.outcomes import Outcome
from app.domain.runs import CommandResult
from app.elevation.protocol import (
    MAX_MESSAGE_BYTES,
    Applied,
    Done,
    ProtocolError,
    change_arguments,
    decision_message,
    decode,
    encode,
    parse_decision,
    parse_helper_message,
)

BASE = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)
RESULT = CommandResult(("interface", "ipv4", "set", "global", "loopbackworkercount=8", "store=active"), 0, "Ok.\n")


def test_decisions_round_trip() -> None:
    assert parse_decision(decision_message(True)) is True
    assert parse_decision(decision_message(False)) is False
    assert json.loads(decision_message(True)) == {"type": "decision", "decision": "keep"}


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"keep",
        b"\xff",
        b"{}",
        b'{"type": 1}',
        b'["decision"]',
        b'{"type":"decision","decision":true}',
        b'{"type":"decision"}',
    ],
)
def test_bad_decisions(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        parse_decision(data)


def test_helper_messages_round_trip() -> None:
    applied = Applied(True, {Family.IPV4: BASE}, (RESULT,), "note")
    assert parse_helper_message(applied.encode()) == applied
    done = Done(Outcome.REVERTED, "deadline", (RESULT,))
    assert parse_helper_message(done.encode()) == done


@pytest.mark.parametrize(
    "message",
    [
        {"type": "applied", "ok": 1, "message": "", "before": {}, "results": []},
        {"type": "applied", "ok": True, "message": "", "before": {"ipv5": BASE.to_json()}, "results": []},
        {"type": "applied", "ok": True, "message": "", "before": {"ipv4": {"worker_count": 4}}, "results": []},
        {"type": "applied", "ok": True, "message": "", "before": {}, "results": [{"argv": 1}]},
        {"type": "applied", "ok": True, "message": "", "before": {}},
        {"type": "done", "outcome": "exploded", "reason": "", "results": []},
        {"type": "done", "outcome": ["kept"], "reason": "", "results": []},
        {"type": "done", "outcome": "kept", "reason": 3, "results": []},
        {"type": "done", "outcome": "kept", "reason": "", "results": {}},
        {"type": "decision", "decision": "keep"},
    ],
)
def test_malformed_helper_messages(message: dict[str, object]) -> None:
    with pytest.raises(ProtocolError):
        parse_helper_message(json.dumps(message).encode())


def test_messages_have_a_size_limit() -> None:
    with pytest.raises(ProtocolError, match="too large"):
        encode({"type": "x", "blob": "a" * MAX_MESSAGE_BYTES})
    with pytest.raises(ProtocolError):
        decode(b"\x80\x04\x95")  # a pickle header is not JSON


def test_change_arguments_carry_only_changed_tags() -> None:
    change = Change(
        (
            FamilyChange(Family.IPV4, BASE, LoopbackSettings(ExecutionMode.WORKER, 4, False)),
            FamilyChange(Family.IPV6, BASE, BASE),
        )
    )
    assert change_arguments(change) == ["--change", "ipv4:loopbackexecutionmode=worker,loopbacklargemtu=disable"]
