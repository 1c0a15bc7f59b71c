"""The simulated machine as an in-process NetshRunner, with the profile's latency and code page.

A run answers ``latency_ms`` after it was started, as a netsh process does: the simulated machine's own work (loading
its state, and the first run's imports of the machine and the domain under it) is netsh's work, and happens inside
that time rather than before it. So this module imports nothing of them until a run needs them: the command line
starts its read's runs on threads before it has imported the domain (issue 16, app/runners/early.py).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from app.simulator.store import SimStateFile

if TYPE_CHECKING:
    from app.domain.commands import Argv
    from app.domain.runs import CommandResult
    from app.simulator.machine import SimulatedMachine

HANG_TIMEOUT_S = 15.0
MISSING_NETSH = "C:\\Windows\\System32\\netsh.exe"  # where the simulated machine's netsh would be


class SimulatedRunner:
    """Runs commands against the simulated machine in a state file; async, never blocks the loop."""

    def __init__(self, state: SimStateFile, *, as_admin: bool = False, timeout_s: float = HANG_TIMEOUT_S) -> None:
        self.state = state
        self.as_admin = as_admin
        self.timeout_s = timeout_s

    @property
    def description(self) -> str:
        return f"simulated Windows machine ({self.state.path})"

    def run_blocking(self, argv: Argv) -> CommandResult:
        """The same run, blocking (latency and a hang included); for the helper process, never the GUI thread."""
        started = time.monotonic()  # the simulated netsh process starts now: its latency counts from here
        from app.domain.runs import CommandResult, NetshMissingError
        from app.simulator.profile import Fault

        profile = self.state.load().profile
        if Fault.NETSH_MISSING in profile.faults:
            # Worded like SubprocessRunner's, with the reason Windows gives for a missing file.
            raise NetshMissingError(
                f"netsh could not be started ({MISSING_NETSH}: The system cannot find the file specified)"
            )
        remaining_s = profile.latency_ms / 1000 - (time.monotonic() - started)
        if remaining_s > 0:
            time.sleep(remaining_s)
        outcome = self._run_raw(argv)
        if isinstance(outcome, str):  # HANG
            time.sleep(self.timeout_s)
            return CommandResult(
                argv, None, "", "", time.monotonic() - started, timed_out=True, raw_stdout=b"", raw_stderr=b""
            )
        code, data, codepage = outcome
        from app.domain.parser import decode_output  # after the latency: a read starts before the parser is loaded

        text = decode_output(data, codepage).replace("\r\n", "\n")
        return CommandResult(argv, code, text, "", time.monotonic() - started, raw_stdout=data, raw_stderr=b"")

    def windows_build(self) -> int | None:
        """The simulated machine's build, from its profile (read each time: the profile may be changed)."""
        return self.state.load().profile.build

    def run_now(self, argv: Argv) -> tuple[int, str] | str:
        """Execute against the state file without latency; returns (exit code, text) or HANG."""
        outcome = self._run_raw(argv)
        if isinstance(outcome, str):
            return outcome  # HANG
        code, data, codepage = outcome
        from app.domain.parser import decode_output

        return code, decode_output(data, codepage).replace("\r\n", "\n")

    def _run_raw(self, argv: Argv) -> tuple[int, bytes, int] | str:
        """(exit code, the bytes netsh would write, their code page), or HANG."""

        def execute(machine: SimulatedMachine) -> tuple[tuple[int, str] | str, int]:
            return machine.execute(argv, as_admin=self.as_admin), machine.profile.codepage

        from app.simulator.machine import HANG

        outcome, codepage = self.state.update(execute)
        if outcome == HANG:
            return HANG
        assert not isinstance(outcome, str)
        code, text = outcome
        # Round-trip through the machine's console code page and CRLF, as real netsh output arrives.
        return code, text.replace("\n", "\r\n").encode(f"cp{codepage}", errors="replace"), codepage
