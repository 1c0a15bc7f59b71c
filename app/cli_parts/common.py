"""Exit codes, the usage error, and the prompts that read standard input without blocking a deadline."""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TextIO

from app.cli_parts.exits import (  # the exit codes and the usage error live apart, so parsing loads nothing else
    EXIT_BUSY,
    EXIT_CODES,
    EXIT_ELEVATION,
    EXIT_ERROR,
    EXIT_NETSH,
    EXIT_NOT_COMPLIANT,
    EXIT_OK,
    EXIT_PIPE_CLOSED,
    EXIT_REVERTED,
    EXIT_UNSUPPORTED,
    EXIT_USAGE,
    UsageError,
)
from app.usecases.endings import Ending, read_endings

if TYPE_CHECKING:
    from app.domain.model import Change, Family, MachineState
    from app.simulator.store import SimStateFile

__all__ = [  # the exit codes are kept in app/cli_parts/exits.py and offered here too, as before
    "EXIT_BUSY",
    "EXIT_CODES",
    "EXIT_ELEVATION",
    "EXIT_ERROR",
    "EXIT_FOR",
    "EXIT_NETSH",
    "EXIT_NOT_COMPLIANT",
    "EXIT_OK",
    "EXIT_PIPE_CLOSED",
    "EXIT_REVERTED",
    "EXIT_UNSUPPORTED",
    "EXIT_USAGE",
    "PRECEDENCE",
    "Ending",
    "StdinLine",
    "UsageError",
    "ask_keep",
    "exit_code",
    "print_change",
    "read_exit",
    "report_corrupt_state",
]

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
# read, 3 (a family failed or was not recognized) over 4 (unsupported build) over 0.
PRECEDENCE = (EXIT_ELEVATION, EXIT_BUSY, EXIT_NETSH, EXIT_UNSUPPORTED, EXIT_REVERTED, EXIT_OK)


def exit_code(endings: Iterable[Ending]) -> int:
    """The exit code for one or more endings (one per family): the first of PRECEDENCE any of them maps to."""
    codes = {EXIT_FOR[e] for e in endings}
    return next((code for code in PRECEDENCE if code in codes), EXIT_OK)


class StdinLine:
    """Reads one line from stdin on a daemon thread, so a deadline can pass without blocking exit."""

    def __init__(self, stream: TextIO) -> None:
        self._answer: queue.Queue[str] = queue.Queue(maxsize=1)

        def read() -> None:
            try:
                line = stream.readline()
            except (OSError, ValueError):
                line = ""
            self._answer.put(line)

        threading.Thread(target=read, name="stdin", daemon=True).start()

    def wait(self, timeout_s: float | None) -> str | None:
        """The line read (an empty string at end of input), or None when ``timeout_s`` passed first."""
        try:
            return self._answer.get(timeout=timeout_s)
        except queue.Empty:
            return None


def ask_keep(
    seconds: int,
    stdin: TextIO,
    out: TextIO,
    *,
    beat: Callable[[], None] = lambda: None,
) -> tuple[bool, str]:
    """Count down and ask "Keep these settings? [y/N]"; only y/yes before the deadline keeps.

    ``beat`` runs on every pass of the countdown (at least once a second): the helper's heartbeat, so a hung
    prompt loop lets the helper revert.

    Returns (keep, why not) where "why not" says what the user did when they did not keep.
    """
    answer = StdinLine(stdin)
    deadline = time.monotonic() + seconds
    tty = out.isatty()
    print(f"Reverting in {seconds} s unless you keep the change.", file=out)
    print("Keep these settings? [y/N] ", end="" if tty else "\n", file=out, flush=True)
    while True:
        beat()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            print("\nNo answer in time.", file=out)
            return False, "no answer in time"
        line = answer.wait(min(1.0, remaining))
        if line is not None:
            break
        if tty:
            left = max(0, round(deadline - time.monotonic()))
            print(f"\rKeep these settings? [y/N] (reverting in {left:2d} s) ", end="", file=out, flush=True)
    if line.strip().lower() in ("y", "yes"):
        return True, ""
    return False, "answered no" if line else "no answer (end of input)"


def print_change(change: Change, out: TextIO) -> None:
    print("Change:", file=out)
    for line in change.describe():
        print(f"  {line}", file=out)


def read_exit(state: MachineState, families: Iterable[Family] | None = None) -> int:
    """The exit code of a read of ``families`` (default: all), families combined by PRECEDENCE."""
    return exit_code(read_endings(state, families))


def report_corrupt_state(state: SimStateFile | None) -> None:
    """A corrupt simulated-machine file is set aside by the first load: say so on stderr (stdout may be JSON).
    ``state`` is the services' one state object (None for a real backend)."""
    if state is not None:
        state.load()
        for notice in state.notices:
            print(f"note: {notice}", file=sys.stderr)
