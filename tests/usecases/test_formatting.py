"""How failed transactions and netsh runs are put into words."""

from __future__ import annotations

from app.domain.model import Change, ExecutionMode, Family, LoopbackSettings, Setting
from app.domain.outcomes import Mismatch, Outcome
from app.domain.runs import CommandResult
from app.usecases.formatting import format_runs, outcome_text
from app.usecases.trials import TransactionResult


def _result(outcome: Outcome, mismatches: tuple[Mismatch, ...] = ()) -> TransactionResult:
    return TransactionResult(outcome, "netsh did not answer", Change(), (), None, mismatches)


def test_a_failed_revert_names_what_the_machine_shows_not_did_not_stick() -> None:
    leftover = Mismatch(Family.IPV4, Setting.EXECUTION_MODE, ExecutionMode.ADAPTIVE, ExecutionMode.WORKER)
    text = outcome_text(_result(Outcome.REVERT_FAILED, (leftover,)))
    assert text.startswith("The previous values could not be put back: netsh did not answer.")
    assert "IPv4 execution mode is worker" in text and "did not stick" not in text


def test_a_failed_save_says_the_values_last_until_restart() -> None:
    assert "until the next restart" in outcome_text(_result(Outcome.KEEP_FAILED))


def test_runs_are_listed_with_exit_code_and_output() -> None:
    runs = (
        CommandResult(("interface", "ipv4", "show", "global"), 1, "The parameter is incorrect.", "", 0.25),
        CommandResult(("interface", "ipv6", "show", "global"), None, "", "", 15.0, timed_out=True),
    )
    text = format_runs(runs)
    assert "> netsh interface ipv4 show global\n[exit code 1, 0.25 s]\nThe parameter is incorrect." in text
    assert "[timed out, 15.00 s]\n(no output)" in text
    assert LoopbackSettings(ExecutionMode.INLINE, 1, False).describe() == "inline, 1 worker, large MTU off"


def test_mismatches_use_the_words_people_read() -> None:
    off = Mismatch(Family.IPV6, Setting.LARGE_MTU, False, True)
    assert off.describe() == "IPv6 large MTU did not stick: expected off, the machine shows on"
