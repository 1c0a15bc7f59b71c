"""Replays a diagnostics file (``--backend simulated --capture FILE``): each ``show global`` answers what the
captured machine's netsh answered, byte for byte and error for error, so a reported problem reproduces anywhere.

A replay only answers the runs it holds and changes nothing: any other command is refused (CaptureReplayError).
"""

from __future__ import annotations

import json
from pathlib import Path

from app.domain.capture import MAX_CAPTURE_BYTES, Capture, CaptureError
from app.domain.commands import Argv, display
from app.domain.errors import LoopbackTunerError
from app.domain.model import Family, Store
from app.domain.parser import decode_output
from app.domain.runs import CommandResult, NetshMissingError


class CaptureReplayError(LoopbackTunerError):
    """The replayed capture holds no answer for this command (a replay can only read)."""


def load_capture(path: Path) -> Capture:
    """Read and check a diagnostics file; raises CaptureError with a one-line reason (missing, unreadable, too
    large, not JSON, another format or version, a malformed field)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_CAPTURE_BYTES + 1)
    except OSError as exc:
        raise CaptureError(f"{path} could not be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_CAPTURE_BYTES:
        raise CaptureError(f"{path} is too large to be a diagnostics file")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CaptureError(f"{path} is not a diagnostics file (not JSON)") from None
    try:
        return Capture.from_json(data)
    except CaptureError as exc:
        raise CaptureError(f"{path}: {exc}") from None


def _family_store(argv: Argv) -> tuple[Family, Store] | None:
    """(family, store) of a ``show global`` argv as the app builds it (app/domain/commands.py), else None."""
    words = [a.casefold() for a in argv]
    if len(words) < 4 or words[0] != "interface" or words[2:4] != ["show", "global"]:
        return None
    try:
        family = Family(words[1])
    except ValueError:
        return None
    store = Store.ACTIVE
    for tag in words[4:]:
        name, _, value = tag.partition("=")
        if name != "store" or value not in (Store.ACTIVE.value, Store.PERSISTENT.value):
            return None
        store = Store(value)
    return family, store


class CaptureRunner:
    """A NetshRunner that answers from a capture; ``windows_build()`` is the captured machine's build."""

    def __init__(self, capture: Capture, path: Path) -> None:
        self.capture, self.path = capture, path

    @property
    def description(self) -> str:
        return f"replay of the diagnostics file {self.path.name} (captured {self.capture.created})"

    def windows_build(self) -> int | None:
        return self.capture.windows.build

    def run_blocking(self, argv: Argv) -> CommandResult:
        """The captured answer to ``argv``; raises NetshMissingError where netsh could not be started, and
        CaptureReplayError for a command the capture holds no answer to."""
        run = next((r for r in self.capture.runs if r.argv == tuple(argv)), None)
        if run is None:
            key = _family_store(argv)
            run = self.capture.run_for(*key) if key else None
        if run is None:
            raise CaptureReplayError(
                f"the replayed diagnostics file has no answer for `{display(argv)}`: a replay only reads "
                "what was captured and changes nothing"
            )
        if not run.started:
            raise NetshMissingError(run.error)
        codepage = self.capture.codepage
        return CommandResult(
            tuple(argv),
            run.exit_code,
            decode_output(run.stdout, codepage).replace("\r\n", "\n"),
            decode_output(run.stderr, codepage).replace("\r\n", "\n"),
            0.0,
            run.timed_out,
            raw_stdout=run.stdout,
            raw_stderr=run.stderr,
        )
