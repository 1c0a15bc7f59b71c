"""Exit codes, the usage error, and the prompts that read standard input without blocking a deadline."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import TextIO

from app.domain.model import Change, Family, MachineState, ReadProblem
from app.runners.factory import Backend, sim_state

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_NETSH, EXIT_UNSUPPORTED, EXIT_ELEVATION, EXIT_BUSY, EXIT_REVERTED = range(8)
EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_ERROR: "unexpected internal error",
    EXIT_USAGE: "usage or validation error (nothing was run)",
    EXIT_NETSH: "netsh failed, its output could not be recognised, or a value did not stick",
    EXIT_UNSUPPORTED: "this Windows build has no loopback settings (before 1809)",
    EXIT_ELEVATION: "administrator rights needed, or the prompt was cancelled",
    EXIT_BUSY: "another change is being tried right now",
    EXIT_REVERTED: "the trial ended without keeping the change (it was reverted)",
}


class Ending(enum.StrEnum):
    """Every way a read or a change can end, as the command line reports it (chosen from typed values only)."""

    OK = "ok"  # a read that worked, or a change that was kept and re-read as kept
    REVERTED = "reverted"  # the trial ended without keeping (any reason: asked, deadline, channel, helper error)
    DID_NOT_STICK = "did-not-stick"  # kept or reverted, but a fresh read shows other values
    FAILED = "failed"  # the change could not be applied; what was touched was put back
    KEEP_FAILED = "keep-failed"  # in effect, but saving it failed: it lasts until reboot
    REVERT_FAILED = "revert-failed"  # putting the previous values back failed: the trial's values are still in place
    HELPER_FAILED = "helper-failed"  # the helper crashed, broke the protocol, or its channel failed
    CANCELLED = "cancelled"  # the UAC prompt was cancelled
    NEEDS_ELEVATION = "needs-elevation"  # no administrator rights (netsh said so, or an admin terminal is needed)
    HELPER_START_FAILED = "helper-start-failed"  # Windows could not start the (elevated) helper
    BUSY = "busy"  # another change is being tried
    UNSUPPORTED = "unsupported"  # the build predates the loopback settings
    UNRECOGNIZED = "unrecognized"  # netsh's output could not be mapped with certainty
    NETSH_FAILED = "netsh-failed"  # netsh exited non-zero or timed out
    NETSH_MISSING = "netsh-missing"  # netsh could not be started


EXIT_FOR: dict[Ending, int] = {
    Ending.OK: EXIT_OK,
    Ending.REVERTED: EXIT_REVERTED,
    Ending.DID_NOT_STICK: EXIT_NETSH,
    Ending.FAILED: EXIT_NETSH,
    Ending.KEEP_FAILED: EXIT_NETSH,
    Ending.REVERT_FAILED: EXIT_NETSH,
    Ending.HELPER_FAILED: EXIT_NETSH,
    Ending.CANCELLED: EXIT_ELEVATION,
    Ending.NEEDS_ELEVATION: EXIT_ELEVATION,
    Ending.HELPER_START_FAILED: EXIT_ELEVATION,
    Ending.BUSY: EXIT_BUSY,
    Ending.UNSUPPORTED: EXIT_UNSUPPORTED,
    Ending.UNRECOGNIZED: EXIT_NETSH,
    Ending.NETSH_FAILED: EXIT_NETSH,
    Ending.NETSH_MISSING: EXIT_NETSH,
}
# When the families of one operation end differently, the code earliest here wins (README, "Exit codes"): for a
# read, 3 (a family failed or was not recognised) over 4 (unsupported build) over 0.
PRECEDENCE = (EXIT_ELEVATION, EXIT_BUSY, EXIT_NETSH, EXIT_UNSUPPORTED, EXIT_REVERTED, EXIT_OK)
_READ_ENDING = {
    ReadProblem.UNSUPPORTED: Ending.UNSUPPORTED,
    ReadProblem.UNRECOGNIZED: Ending.UNRECOGNIZED,
    ReadProblem.NETSH_FAILED: Ending.NETSH_FAILED,
    ReadProblem.NETSH_MISSING: Ending.NETSH_MISSING,
}


def exit_code(endings: Iterable[Ending]) -> int:
    """The exit code for one or more endings (one per family): the first of PRECEDENCE any of them maps to."""
    codes = {EXIT_FOR[e] for e in endings}
    return next((code for code in PRECEDENCE if code in codes), EXIT_OK)


class UsageError(Exception):
    """Bad command-line input; nothing has run."""


class StdinLine:
    """Reads one line from stdin on a daemon thread, so a deadline can pass without blocking exit."""

    def __init__(self, loop: asyncio.AbstractEventLoop, stream: TextIO) -> None:
        self.future: asyncio.Future[str] = loop.create_future()

        def read() -> None:
            try:
                line = stream.readline()
            except (OSError, ValueError):
                line = ""

            def deliver() -> None:
                if not self.future.done():
                    self.future.set_result(line)

            with contextlib.suppress(RuntimeError):  # the loop already closed: the answer came too late
                loop.call_soon_threadsafe(deliver)

        threading.Thread(target=read, name="stdin", daemon=True).start()


async def ask_keep(
    seconds: int, stdin: TextIO, out: TextIO, *, beat: Callable[[], None] = lambda: None
) -> tuple[bool, str]:
    """Count down and ask "Keep these settings? [y/N]"; only y/yes before the deadline keeps.

    ``beat`` runs on every pass of the countdown (at least once a second): the helper's heartbeat, so a hung
    prompt loop lets the helper revert.

    Returns (keep, why not) where "why not" says what the user did when they did not keep.
    """
    answer = StdinLine(asyncio.get_running_loop(), stdin).future
    deadline = time.monotonic() + seconds
    tty = out.isatty()
    print(f"Reverting in {seconds} s unless you keep the change.", file=out)
    print("Keep these settings? [y/N] ", end="" if tty else "\n", file=out, flush=True)
    while not answer.done():
        beat()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            print("\nNo answer in time.", file=out)
            return False, "no answer in time"
        done, _ = await asyncio.wait({answer}, timeout=min(1.0, remaining))
        if not done and tty:
            left = max(0, round(deadline - time.monotonic()))
            print(f"\rKeep these settings? [y/N] (reverting in {left:2d} s) ", end="", file=out, flush=True)
    line = answer.result()
    if line.strip().lower() in ("y", "yes"):
        return True, ""
    return False, "answered no" if line else "no answer (end of input)"


async def ask_confirm(question: str, stdin: TextIO, out: TextIO) -> bool:
    """Ask a yes/no question; no answer (end of input) means no."""
    print(f"{question} [y/N] ", end="", file=out, flush=True)
    line = await StdinLine(asyncio.get_running_loop(), stdin).future
    if not line:
        print("", file=out)
    return line.strip().lower() in ("y", "yes")


def print_change(change: Change, out: TextIO) -> None:
    print("Change:", file=out)
    for line in change.describe():
        print(f"  {line}", file=out)


def read_endings(state: MachineState, families: Iterable[Family] | None = None) -> list[Ending]:
    """How reading each of ``families`` (default: all) ended."""
    chosen = list(state.families) if families is None else list(families)
    return [Ending.OK if (failure := state[f].failure) is None else _READ_ENDING[failure.problem] for f in chosen]


def read_exit(state: MachineState, families: Iterable[Family] | None = None) -> int:
    """The exit code of a read of ``families`` (default: all), families combined by PRECEDENCE."""
    return exit_code(read_endings(state, families))


def report_corrupt_state(backend: Backend) -> None:
    """A corrupt simulated-machine file is set aside by the first load: say so on stderr (stdout may be JSON)."""
    if backend.is_simulated:
        state = sim_state(backend)
        state.load()
        for notice in state.notices:
            print(f"note: {notice}", file=sys.stderr)
