"""Plain-text renderings the window shows or copies: netsh runs, changes, commands (no Qt)."""

from __future__ import annotations

from collections.abc import Iterable

from app.domain.commands import commands_for, display
from app.domain.model import Change, Store
from app.runners.base import CommandResult


def format_runs(results: Iterable[CommandResult]) -> str:
    """Each netsh run with its exit code and output, for a details pane."""
    blocks = []
    for r in results:
        status = "timed out" if r.timed_out else f"exit code {r.exit_code}"
        output = r.output or "(no output)"
        blocks.append(f"> {r.command_line}\n[{status}, {r.duration_s:.2f} s]\n{output}")
    return "\n\n".join(blocks)


def command_lines(change: Change, store: Store = Store.PERSISTENT) -> list[str]:
    """The netsh lines for ``change``, ready to paste into an administrator prompt."""
    return [display(argv) for argv in commands_for(change, store)]
