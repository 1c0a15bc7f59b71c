"""The channel's messages: small JSON objects (never pickle), strictly checked on both sides.

A trial's messages (a comparison session has its own: app/elevation/compare_protocol.py). The app sends decisions
only, never values or commands; the helper checks each against the exact shapes below:

    app -> helper   {"type": "beat"}                              still here (BEAT_WINDOW_S)
                    {"type": "decision", "decision": "keep"}      save and leave the trial values, end
                    {"type": "decision", "decision": "revert"}    put the values found before back, end
                    {"type": "pause", "seconds": N}               move the trial's cap N s later: N an int,
                                                                  1..MAX_PAUSE_S; at most MAX_PAUSES per trial.
                                                                  Beats are still due every BEAT_WINDOW_S.
                    {"type": "switch", "to": "before"|"trial"}    put the values found before (or the trial
                                                                  values) in the active store, for a before/after
                                                                  measurement; at most MAX_SWITCHES per trial

    helper -> app   {"type": "applied", ...}                      Applied: the change is in the active store
                                                                  (or failed, and what it touched is back)
                    {"type": "switched", "active": "before"|"trial"|"unknown", "ok": bool, "message": str,
                     "results": [command result, ...]}            Switched: the answer to each switch
                    {"type": "done", ...}                         Done: kept, reverted, failed, revert-failed

Anything else from the app (a pause over its bounds or one too many, a switch too many, an unknown or extra key,
a bool for a number), silence past the beat window or the cap, or the channel closing puts the values found
before back. Whatever the active store holds when the trial ends (a switch to "before" included), a keep
saves and leaves the trial values and every other ending leaves the values found before.
"""

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
# Measure now (issue 15): a trial's countdown may pause while the app measures. Each pause moves the helper's cap
# later by at most MAX_PAUSE_S, at most MAX_PAUSES times (so a trial can never outlive its countdown by more than
# MAX_PAUSES * MAX_PAUSE_S plus its grace); a switch between the values found before and the trial values runs two
# netsh sets at most, at most MAX_SWITCHES times per trial.
MAX_PAUSE_S = 120
MAX_PAUSES = 3
MAX_SWITCHES = 8
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


class Active(enum.Enum):
    """Which values a trial's active store holds: the values found before, the trial's, or (a switch failed part
    way) not known."""

    BEFORE = "before"
    TRIAL = "trial"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Pause:
    """App -> helper: move the trial's cap ``seconds`` later (1..MAX_PAUSE_S)."""

    seconds: int


@dataclass(frozen=True)
class Switch:
    """App -> helper: put the values found before (``Active.BEFORE``) or the trial values in the active store."""

    to: Active


def pause_message(seconds: int) -> bytes:
    """Raises ValueError for a pause the helper would refuse (out of 1..MAX_PAUSE_S, not an int)."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 1 <= seconds <= MAX_PAUSE_S:
        raise ValueError(f"a pause is 1 to {MAX_PAUSE_S} whole seconds, not {seconds!r}")
    return encode({"type": "pause", "seconds": seconds})


def switch_message(to: Active) -> bytes:
    if to is Active.UNKNOWN:
        raise ValueError("a switch goes to the values found before or to the trial values")
    return encode({"type": "switch", "to": to.value})


def parse_trial_message(data: bytes) -> bool | Beat | Pause | Switch:
    """One message from the app during a trial: True keep, False revert, a beat, a pause or a switch (exact
    shapes, see the module docstring); raises ProtocolError for anything else. How many pauses and switches a
    trial takes is the Transaction's to count."""
    message = decode(data)
    if message.get("type") == "pause" and set(message) == {"type", "seconds"}:
        seconds = message["seconds"]
        if isinstance(seconds, int) and not isinstance(seconds, bool) and 1 <= seconds <= MAX_PAUSE_S:
            return Pause(seconds)
        raise ProtocolError("a pause out of bounds")
    if message.get("type") == "switch" and set(message) == {"type", "to"}:
        if message["to"] in (Active.BEFORE.value, Active.TRIAL.value):
            return Switch(Active(message["to"]))
        raise ProtocolError("a switch to nowhere")
    return parse_decision(data)


@dataclass(frozen=True)
class Switched:
    """Helper -> app: the answer to a switch: which values the active store holds now, and the runs it made."""

    active: Active
    ok: bool
    results: tuple[CommandResult, ...]
    message: str = ""

    def encode(self) -> bytes:
        return encode_fitting(
            lambda limit: {
                "type": "switched",
                "active": self.active.value,
                "ok": self.ok,
                "message": shorten(self.message, max(limit, 200)),
                "results": [_shortened(r, limit).to_json() for r in self.results],
            }
        )


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


def parse_helper_message(data: bytes) -> Applied | Done | Switched:
    """Parse what the helper sends; raises ProtocolError."""
    message = decode(data)
    try:
        if message["type"] == "switched":
            active, ok, text = message["active"], message["ok"], message["message"]
            if not isinstance(active, str) or not isinstance(ok, bool) or not isinstance(text, str):
                raise ProtocolError("malformed switched message")
            return Switched(Active(active), ok, _results(message["results"]), text)
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
