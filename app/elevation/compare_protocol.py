"""The comparison session's messages (issue 15): one elevated helper tries several configurations in turn.

The configurations go to the helper on its command line (``--config``, validated there like ``--change``); the
channel then carries only decisions from the app, never values or commands:

    app -> helper   {"type": "beat"}                  still here (protocol.BEAT_WINDOW_S)
                    {"type": "next"}                  apply the next configuration (0, 1, ..., n-1, 0, 1, ...)
                    {"type": "keep", "index": i}      make configuration i the machine's values (saved), end
                    {"type": "revert"}                put the values found at the start back, end

    helper -> app   {"type": "ready", "ok": bool, "message": str, "before": {family: settings}}
                    {"type": "step", "index": i, "ok": bool, "message": str, "failure": str|null,
                     "results": [command result, ...]}     configuration i is in the active store (or failed,
                                                           and the values found at the start are back)
                    {"type": "done", ...}                 protocol.Done: kept, reverted, failed, revert-failed

Anything else from the app (or silence past the beat window, or the channel closing) puts the original values
back, as in a trial.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.model import Family, LoopbackSettings
from app.domain.netsh_failure import SetFailure
from app.domain.runs import CommandResult
from app.elevation.protocol import (
    Beat,
    Done,
    ProtocolError,
    _results,
    _shortened,
    decode,
    encode,
    encode_fitting,
    parse_helper_message,
    shorten,
)

MAX_CONFIGURATIONS = 8

NEXT_MESSAGE = encode({"type": "next"})
REVERT_MESSAGE = encode({"type": "revert"})


def keep_message(index: int) -> bytes:
    return encode({"type": "keep", "index": index})


@dataclass(frozen=True)
class Next:
    """App -> helper: apply the next configuration."""


@dataclass(frozen=True)
class KeepConfiguration:
    """App -> helper: keep configuration ``index`` (saved), then end."""

    index: int


@dataclass(frozen=True)
class RevertAll:
    """App -> helper: put the original values back, then end."""


def parse_session_decision(data: bytes, count: int) -> Beat | Next | KeepConfiguration | RevertAll:
    """One message from the app in a comparison of ``count`` configurations; raises ProtocolError for anything
    else (a keep of an index that does not exist included)."""
    message = decode(data)
    if message == {"type": "beat"}:
        return Beat.BEAT
    if message == {"type": "next"}:
        return Next()
    if message == {"type": "revert"}:
        return RevertAll()
    index = message.get("index")
    if (
        set(message) == {"type", "index"}
        and message["type"] == "keep"
        and isinstance(index, int)
        and not isinstance(index, bool)
        and 0 <= index < count
    ):
        return KeepConfiguration(index)
    raise ProtocolError("not a comparison decision")


@dataclass(frozen=True)
class Ready:
    """Helper -> app: the values found at the start (what a revert puts back), or why there are none."""

    ok: bool
    before: dict[Family, LoopbackSettings]
    message: str = ""

    def encode(self) -> bytes:
        return encode(
            {
                "type": "ready",
                "ok": self.ok,
                "message": shorten(self.message),
                "before": {f.value: s.to_json() for f, s in self.before.items()},
            }
        )


@dataclass(frozen=True)
class Step:
    """Helper -> app: configuration ``index`` is in the active store (``ok``), or it failed and the values found
    at the start are back in the active store."""

    index: int
    ok: bool
    results: tuple[CommandResult, ...]
    message: str = ""
    failure: SetFailure | None = None

    def encode(self) -> bytes:
        return encode_fitting(
            lambda limit: {
                "type": "step",
                "index": self.index,
                "ok": self.ok,
                "message": shorten(self.message, max(limit, 200)),
                "failure": self.failure.value if self.failure is not None else None,
                "results": [_shortened(r, limit).to_json() for r in self.results],
            }
        )


def parse_session_message(data: bytes) -> Ready | Step | Done:
    """Parse what the comparison helper sends; raises ProtocolError."""
    message = decode(data)
    try:
        if message["type"] == "ready":
            ok, text, before_raw = message["ok"], message["message"], message["before"]
            if not isinstance(ok, bool) or not isinstance(text, str) or not isinstance(before_raw, dict):
                raise ProtocolError("malformed ready message")
            before = {Family(k): LoopbackSettings.from_json(v) for k, v in before_raw.items()}
            return Ready(ok, before, text)
        if message["type"] == "step":
            index, ok, text, failure_raw = message["index"], message["ok"], message["message"], message["failure"]
            if (
                not isinstance(index, int)
                or isinstance(index, bool)
                or not isinstance(ok, bool)
                or not isinstance(text, str)
                or not (failure_raw is None or isinstance(failure_raw, str))
            ):
                raise ProtocolError("malformed step message")
            failure = SetFailure(failure_raw) if failure_raw is not None else None
            return Step(index, ok, _results(message["results"]), text, failure)
    except (KeyError, ValueError) as exc:
        raise ProtocolError(f"malformed message: {exc}") from None
    done = parse_helper_message(data)
    if not isinstance(done, Done):
        raise ProtocolError("an applied message has no place in a comparison")
    return done
