"""Plain-text renderings the window and the command line show or copy: netsh runs, commands, outcomes."""

from __future__ import annotations

from collections.abc import Iterable

from app.domain.commands import commands_for, display
from app.domain.model import Change, Store
from app.domain.outcomes import Outcome
from app.domain.runs import CommandResult
from app.usecases.trial_results import TransactionResult

_FAILURES = {
    Outcome.FAILED: "The change could not be completed",
    Outcome.REVERT_FAILED: "The previous values could not be put back",
    Outcome.KEEP_FAILED: "The new values are in effect but could not be saved; they last until the next restart",
}


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


def outcome_text(result: TransactionResult) -> str:
    """A failed transaction in words, with what the machine shows now (never called "did not stick")."""
    text = f"{_FAILURES.get(result.outcome, result.outcome.value)}: {result.reason}."
    now = [f"{m.family.label} {m.setting.label} is {m.actual}" for m in result.mismatches if m.actual is not None]
    if now and result.outcome is not Outcome.KEEP_FAILED:
        text += " The machine now shows: " + "; ".join(now) + ". Check it, or restore the original values."
    return text
