"""The channel's messages: small JSON objects (never pickle), strictly checked on both sides."""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from dataclasses import dataclass

from app.domain.model import Change, Family, LoopbackSettings
from app.domain.netsh_failure import SetFailure
from app.domain.outcomes import Outcome
from app.domain.runs import CommandResult

MAX_MESSAGE_BYTES = 256 * 1024
DECISION_MAX_BYTES = 256  # the helper never accepts more than a decision from the app
# The app's heartbeat: while a trial waits for its decision the app sends a beat at least this often (the loop
# that drives its countdown or question sends it), and the helper reverts when none came for this long. So an app
# that hangs is reverted within a few seconds, however long its trial; beats never extend past the trial's cap.
BEAT_WINDOW_S = 5.0
MAX_TEXT_CHARS = 4000  # one netsh output or message in a helper message; longer ones are shortened
_SHORTENED = "\n[... shortened ...]"


class ProtocolError(Exception):
    """A message that does not fit the protocol."""


def encode(message: dict[str, object]) -> bytes:
    data = json.dumps(message, separators=(",", ":")).encode("utf-8")
    if len(data) > MAX_MESSAGE_BYTES:
        raise ProtocolError("message too large")
    return data


def shorten(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """``text`` cut to at most ``limit`` characters, saying so (its start is kept: netsh's first line says why)."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(_SHORTENED))] + _SHORTENED


def _shortened(result: CommandResult, limit: int) -> CommandResult:
    return CommandResult(
        result.argv, result.exit_code, shorten(result.stdout, limit), shorten(result.stderr, limit),
        result.duration_s, result.timed_out,
    )  # fmt: skip


def encode_fitting(build: Callable[[int], dict[str, object]]) -> bytes:
    """Encode ``build(limit)`` with the longest text limit that fits MAX_MESSAGE_BYTES (never raises for size).

    A helper message must always go out whole: a change that cannot be reported is a change that cannot be
    kept or reverted in an orderly way.
    """
    limit = MAX_TEXT_CHARS
    while True:
        try:
            return encode(build(limit))
        except ProtocolError:
            if limit == 0:
                raise
            limit //= 4


def decode(data: bytes) -> dict[str, object]:
    """Parse one message; raises ProtocolError for anything but a JSON object with a string "type"."""
    try:
        message = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(f"not a JSON message: {exc}") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ProtocolError("message has no type")
    return message


def decision_message(keep: bool) -> bytes:
    return encode({"type": "decision", "decision": "keep" if keep else "revert"})


BEAT_MESSAGE = encode({"type": "beat"})


class Beat(enum.Enum):
    """App -> helper: "still here" (see BEAT_WINDOW_S); no content, so it can carry nothing."""

    BEAT = "beat"


def parse_decision(data: bytes) -> bool | Beat:
    """True for keep, False for revert, Beat.BEAT for a heartbeat; raises ProtocolError for anything else."""
    message = decode(data)
    if message == {"type": "beat"}:
        return Beat.BEAT
    if message != {"type": "decision", "decision": "keep"} and message != {"type": "decision", "decision": "revert"}:
        raise ProtocolError("not a decision")
    return message["decision"] == "keep"


@dataclass(frozen=True)
class Applied:
    """Helper -> app: the change is in the active store (or it failed and was undone)."""

    ok: bool
    before: dict[Family, LoopbackSettings]
    results: tuple[CommandResult, ...]
    message: str = ""
    failure: SetFailure | None = None  # why a change was not applied (ok False), classified by the helper

    def encode(self) -> bytes:
        """The message as sent, its texts shortened until it fits (see encode_fitting)."""
        return encode_fitting(
            lambda limit: {
                "type": "applied",
                "ok": self.ok,
                "message": shorten(self.message, max(limit, 200)),
                "failure": self.failure.value if self.failure is not None else None,
                "before": {f.value: s.to_json() for f, s in self.before.items()},
                "results": [_shortened(r, limit).to_json() for r in self.results],
            }
        )


@dataclass(frozen=True)
class Done:
    """Helper -> app: the transaction's end."""

    outcome: Outcome
    reason: str
    results: tuple[CommandResult, ...]

    def encode(self) -> bytes:
        """The message as sent, its texts shortened until it fits (see encode_fitting)."""
        return encode_fitting(
            lambda limit: {
                "type": "done",
                "outcome": self.outcome.value,
                "reason": shorten(self.reason, max(limit, 200)),
                "results": [_shortened(r, limit).to_json() for r in self.results],
            }
        )


def _results(value: object) -> tuple[CommandResult, ...]:
    if not isinstance(value, list):
        raise ProtocolError("results must be a list")
    try:
        return tuple(CommandResult.from_json(r) for r in value)
    except ValueError as exc:
        raise ProtocolError(str(exc)) from None


def parse_helper_message(data: bytes) -> Applied | Done:
    """Parse what the helper sends; raises ProtocolError."""
    message = decode(data)
    try:
        if message["type"] == "applied":
            before_raw = message["before"]
            ok, text = message["ok"], message["message"]
            if not isinstance(before_raw, dict) or not isinstance(ok, bool) or not isinstance(text, str):
                raise ProtocolError("malformed applied message")
            failure_raw = message.get("failure")
            if not (failure_raw is None or isinstance(failure_raw, str)) or (ok and failure_raw is not None):
                raise ProtocolError("malformed applied message")
            before = {Family(k): LoopbackSettings.from_json(v) for k, v in before_raw.items()}
            failure = SetFailure(failure_raw) if failure_raw is not None else None
            return Applied(ok, before, _results(message["results"]), text, failure)
        if message["type"] == "done":
            reason, outcome = message["reason"], message["outcome"]
            if not isinstance(reason, str) or not isinstance(outcome, str):
                raise ProtocolError("malformed done message")
            return Done(Outcome(outcome), reason, _results(message["results"]))
    except (KeyError, ValueError) as exc:
        raise ProtocolError(f"malformed message: {exc}") from None
    raise ProtocolError(f"unknown message type {message['type']!r}")


def change_arguments(change: Change) -> list[str]:
    """The helper's ``--change`` arguments: ``family:tag=value,...`` built from typed values only."""
    from app.domain.commands import set_global
    from app.domain.model import Store

    args = []
    for fc in change.families:
        argv = set_global(fc.family, fc.patch, Store.ACTIVE)
        args += ["--change", f"{fc.family.value}:{','.join(argv[4:-1])}"]
    return args
