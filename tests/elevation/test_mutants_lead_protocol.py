"""The last survivors of the protocol and the core's messages (issue 18): exact texts and shortening limits."""

from __future__ import annotations

import json

import pytest

from app.domain.errors import ValidationError
from app.domain.model import Change, ExecutionMode, Family, FamilyChange, LoopbackSettings
from app.domain.outcomes import Outcome
from app.domain.runs import CommandResult
from app.elevation.protocol import (
    MAX_MESSAGE_BYTES,
    Applied,
    Done,
    ProtocolError,
    encode_fitting,
    parse_helper_message,
)

SETTINGS = LoopbackSettings(ExecutionMode.INLINE, 4, True)
HUGE = "x" * 5000
# 600 runs of long output fit only once each text is cut below 200 characters (62: 4000 -> 1000 -> 250 -> 62).
RESULTS = tuple(CommandResult(("interface", "ipv4", "set", "global"), 0, HUGE, HUGE) for _ in range(600))


def test_a_message_that_cannot_fit_even_with_no_text_is_refused_not_looped_on() -> None:
    with pytest.raises(ProtocolError, match="message too large"):
        encode_fitting(lambda limit: {"type": "x", "fixed": "y" * (MAX_MESSAGE_BYTES + 1)})


def test_applied_keeps_exactly_200_characters_of_its_message_when_texts_must_shrink() -> None:
    message = json.loads(Applied(False, {}, RESULTS, "m" * 3000).encode())["message"]
    assert len(message) == 200 and message.endswith("[... shortened ...]")


def test_done_keeps_exactly_200_characters_of_its_reason_when_texts_must_shrink() -> None:
    reason = json.loads(Done(Outcome.REVERTED, "r" * 201, RESULTS).encode())["reason"]
    assert len(reason) == 200 and reason.endswith("[... shortened ...]")


def test_a_bad_result_names_what_is_wrong() -> None:
    data = json.dumps({"type": "done", "outcome": "kept", "reason": "", "results": [{"argv": 1}]}).encode()
    with pytest.raises(ProtocolError) as refused:
        parse_helper_message(data)
    assert str(refused.value) == "malformed command result"


def test_the_cores_messages_word_for_word() -> None:
    with pytest.raises(ValidationError) as twice:
        Change((FamilyChange(Family.IPV4, SETTINGS, SETTINGS), FamilyChange(Family.IPV4, SETTINGS, SETTINGS)))
    assert str(twice.value) == "a change names the same family twice"
    with pytest.raises(ValidationError) as not_object:
        LoopbackSettings.from_json([])
    assert str(not_object.value) == "settings must be an object, got list"
    with pytest.raises(ValidationError) as unknown:
        LoopbackSettings.from_json({**SETTINGS.to_json(), "speed": 1})
    assert str(unknown.value) == "unknown setting 'speed' (expected execution_mode, large_mtu, worker_count)"


def test_a_malformed_applied_message_says_so() -> None:
    data = json.dumps({"type": "applied", "ok": "yes", "message": "", "before": {}, "results": []}).encode()
    with pytest.raises(ProtocolError) as refused:
        parse_helper_message(data)
    assert str(refused.value) == "malformed applied message"


def test_an_applied_message_with_a_failure_that_does_not_fit_says_so() -> None:
    for extra in ({"ok": True, "failure": "needs-elevation"}, {"ok": False, "failure": 5}):
        fields = {"type": "applied", "message": "", "before": {}, "results": [], **extra}
        with pytest.raises(ProtocolError) as refused:
            parse_helper_message(json.dumps(fields).encode())
        assert str(refused.value) == "malformed applied message"
