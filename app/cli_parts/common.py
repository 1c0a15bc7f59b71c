"""Exit codes, the usage error, and the prompts that read standard input without blocking a deadline."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import time
from typing import TextIO

from app.domain.model import Change, MachineState, ReadProblem
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


async def ask_keep(seconds: int, stdin: TextIO, out: TextIO) -> tuple[bool, str]:
    """Count down and ask "Keep these settings? [y/N]"; only y/yes before the deadline keeps.

    Returns (keep, why not) where "why not" says what the user did when they did not keep.
    """
    answer = StdinLine(asyncio.get_running_loop(), stdin).future
    deadline = time.monotonic() + seconds
    tty = out.isatty()
    print(f"Reverting in {seconds} s unless you keep the change.", file=out)
    print("Keep these settings? [y/N] ", end="" if tty else "\n", file=out, flush=True)
    while not answer.done():
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


def read_exit(state: MachineState) -> int:
    problems = [fs.failure.problem for fs in state.families.values() if fs.failure is not None]
    if not problems:
        return EXIT_OK
    return EXIT_UNSUPPORTED if all(p is ReadProblem.UNSUPPORTED for p in problems) else EXIT_NETSH


def report_corrupt_state(backend: Backend) -> None:
    """A corrupt simulated-machine file is set aside by the first load: say so on stderr (stdout may be JSON)."""
    if backend.is_simulated:
        state = sim_state(backend)
        state.load()
        for notice in state.notices:
            print(f"note: {notice}", file=sys.stderr)
