"""What the window says about a finished trial and about one an earlier run left unfinished, from typed values
(the command line prints its own lines for the same endings and findings: app/cli_parts/)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.usecases.recovery import Finding, Recovered
from app.viewmodels.messages import Level, Message

if TYPE_CHECKING:  # a change's outcome modules are imported by the first result (the window's start-up: issue 16)
    from app.usecases.trial_results import TransactionResult

_TEXT = {
    Finding.HELPER_RUNNING: (
        Level.WARNING,
        "A trial started earlier is still being finished by its helper (it reverts unless it was kept): "
        "read the values again in a moment; it is checked at the next start.",
    ),
    Finding.REVERTED: (
        Level.INFO,
        "A trial started earlier did not finish; its helper reverted it (checked: the values from before "
        "it are in effect).",
    ),
    Finding.CHANGED_SINCE: (
        Level.WARNING,
        "A trial started earlier did not finish, and the values now differ from both the trial's and the "
        "earlier ones (changed since): check the values shown.",
    ),
}
_COMPARISON_TEXT = {
    Finding.HELPER_RUNNING: (
        Level.WARNING,
        "A comparison started earlier is still being finished by its helper (it puts the original values back "
        "unless a configuration was kept): read the values again in a moment; it is checked at the next start.",
    ),
    Finding.REVERTED: (
        Level.INFO,
        "A comparison started earlier did not finish; its helper put the original values back (checked: they "
        "are in effect).",
    ),
    Finding.CHANGED_SINCE: (
        Level.WARNING,
        "A comparison started earlier did not finish, and the values now differ from the original values and "
        "from every configuration it tried (changed since): check the values shown.",
    ),
}
_UNCHECKED = (
    Level.WARNING,
    "A change started earlier did not finish and could not be checked; the values shown are the "
    "machine's values now, so check them.",
)


def recovery_message(found: Recovered, *, staged: bool) -> Message:
    """The message for one finding; ``staged``: a trial still in effect had its earlier values staged as edits."""
    summary = found.entry.summary()
    if found.comparison:
        return _comparison_message(found, summary, staged=staged)
    if found.finding is Finding.STILL_APPLIED:
        then = (
            "The values from before it are ready as pending edits: choose Apply to put them back, or "
            "Discard to keep the values in effect."
            if staged
            else "Set the values from before it (in the details) and choose Apply to put them back."
        )
        return Message(
            Level.WARNING,
            "A trial started earlier did not finish, and its values are still in effect. " + then,
            summary,
        )
    level, text = _TEXT.get(found.finding, _UNCHECKED)
    return Message(level, text, summary)


def _comparison_message(found: Recovered, summary: str, *, staged: bool) -> Message:
    if found.finding is Finding.STILL_APPLIED:
        then = (
            "The original values are ready as pending edits: choose Apply to put them back, or Discard to keep "
            "the values in effect."
            if staged
            else "Set the original values (in the details) and choose Apply to put them back."
        )
        return Message(
            Level.WARNING,
            "A comparison started earlier did not finish, and the original values are not back: one of its "
            "configurations is still in effect. " + then,
            summary,
        )
    level, text = _COMPARISON_TEXT.get(found.finding, _UNCHECKED)
    return Message(level, text, summary)


def result_messages(result: TransactionResult, reason: str) -> list[Message]:
    """The messages for a finished trial: its notices, then how it ended (``reason``: why it was reverted)."""
    from app.usecases.endings import RECONNECT_NOTE, Ending, result_ending
    from app.usecases.formatting import format_runs, outcome_text

    details = format_runs(result.results)
    out = [Message(Level.WARNING, notice.text) for notice in result.notices]
    ending = result_ending(result)
    if ending is Ending.DID_NOT_STICK:
        stuck = "; ".join(m.describe() for m in result.mismatches)
        out.append(Message(Level.WARNING, f"Not every value stuck: {stuck}", details))
    elif not ending.succeeded:
        out.append(Message(Level.ERROR, outcome_text(result), details))
    elif ending is Ending.OK:
        note = RECONNECT_NOTE[0].upper() + RECONNECT_NOTE[1:]
        out.append(Message(Level.SUCCESS, f"The new values are kept and saved. {note}", details))
    else:
        why = f" ({reason})" if reason else ""
        out.append(Message(Level.INFO, f"The previous values are back{why}.", details))
    return out
