"""The CLI's outcome-to-exit-code mapping, in-process (the subprocess tests run the installed code, which a
mutation tool's copy never reaches): every typed outcome or error of a change, and of a read, gives its code."""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from typing import Any, cast

import pytest

from app.cli_parts import common
from app.cli_parts.apply import ApplyOptions, apply_change
from app.cli_parts.common import (
    EXIT_BUSY,
    EXIT_CODES,
    EXIT_ELEVATION,
    EXIT_ERROR,
    EXIT_NETSH,
    EXIT_NOT_COMPLIANT,
    EXIT_OK,
    EXIT_REVERTED,
    EXIT_UNSUPPORTED,
    EXIT_USAGE,
    read_exit,
)
from app.domain.model import (
    Change,
    ExecutionMode,
    Family,
    FamilyChange,
    FamilyState,
    LoopbackSettings,
    MachineState,
    ReadFailure,
    ReadProblem,
    Setting,
    Store,
)
from app.domain.netsh_failure import SetFailure
from app.domain.notices import Notice, NoticeKind
from app.domain.outcomes import Mismatch, Outcome
from app.domain.runs import CommandResult
from app.elevation.launchers import ElevationCancelledError, HelperStartError
from app.usecases.trials import ApplyFailedError, HelperError, TransactionBusyError, TransactionResult
from app.wiring import Services

BEFORE = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)
AFTER = LoopbackSettings(ExecutionMode.INLINE, 4, True)
CHANGE = Change((FamilyChange(Family.IPV4, BEFORE, AFTER),))
MISMATCH = Mismatch(Family.IPV4, Setting.EXECUTION_MODE, ExecutionMode.INLINE, ExecutionMode.ADAPTIVE)
RUN = CommandResult(("interface", "ipv4", "set", "global"), 1, "The requested operation requires elevation.")


def result(outcome: Outcome, *, reason: str = "", mismatches: tuple[Mismatch, ...] = ()) -> TransactionResult:
    return TransactionResult(
        outcome, reason, CHANGE, (RUN,), None, mismatches, notices=(Notice(NoticeKind.HISTORY, "a notice"),)
    )


@dataclass
class FakeTrial:
    ending: TransactionResult | BaseException
    calls: list[str] = field(default_factory=list)
    beats: int = 0

    def verify(self) -> tuple[None, tuple[Mismatch, ...]]:
        return None, (MISMATCH,)

    def beat(self) -> None:
        self.beats += 1

    def _end(self, call: str) -> TransactionResult:
        self.calls.append(call)
        if isinstance(self.ending, BaseException):
            raise self.ending
        return self.ending

    def keep(self) -> TransactionResult:
        return self._end("keep")

    def revert(self, reason: str = "") -> TransactionResult:
        return self._end(f"revert:{reason}")


@dataclass
class FakeTransactions:
    ending: TransactionResult | BaseException
    trial: FakeTrial | None = None

    def apply(self, change: Change, *, store: Store = Store.PERSISTENT) -> TransactionResult:
        assert change == CHANGE
        if isinstance(self.ending, BaseException):
            raise self.ending
        return self.ending

    def begin(self, change: Change, *, seconds: float, store: Store = Store.PERSISTENT) -> FakeTrial:
        assert change == CHANGE and store is Store.ACTIVE
        self.trial = FakeTrial(self.ending)
        return self.trial


@dataclass
class Fakes:
    transactions: FakeTransactions


def run(
    ending: TransactionResult | BaseException, options: ApplyOptions | None = None, stdin: str = ""
) -> tuple[int, str]:
    out = io.StringIO()
    services = cast(Services, Fakes(FakeTransactions(ending)))
    code = apply_change(services, CHANGE, options or ApplyOptions(), out, io.StringIO(stdin), verbose=True)
    return code, out.getvalue()


def test_the_codes_are_the_documented_numbers() -> None:
    codes = (EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_NETSH, EXIT_UNSUPPORTED, EXIT_ELEVATION, EXIT_BUSY, EXIT_REVERTED)
    assert codes == (0, 1, 2, 3, 4, 5, 6, 7)
    assert EXIT_NOT_COMPLIANT == 8  # check only (issue 17)
    assert sorted(EXIT_CODES) == list(range(9))


@pytest.mark.parametrize(
    ("ending", "code"),
    [
        (result(Outcome.KEPT), EXIT_OK),
        (result(Outcome.REVERTED, reason="asked"), EXIT_REVERTED),
        (result(Outcome.KEPT, mismatches=(MISMATCH,)), EXIT_NETSH),
        (result(Outcome.REVERTED, mismatches=(MISMATCH,)), EXIT_NETSH),
        (result(Outcome.FAILED), EXIT_NETSH),
        (result(Outcome.KEEP_FAILED), EXIT_NETSH),
        (result(Outcome.REVERT_FAILED), EXIT_NETSH),
        (ElevationCancelledError(), EXIT_ELEVATION),
        (HelperStartError("could not start"), EXIT_ELEVATION),
        (HelperError("the helper broke the protocol"), EXIT_NETSH),
        (TransactionBusyError("busy"), EXIT_BUSY),
        # The code comes from the typed failure the helper sent, never from the words in netsh's output:
        (
            ApplyFailedError(replace(result(Outcome.FAILED, reason="refused"), failure=SetFailure.NEEDS_ELEVATION)),
            EXIT_ELEVATION,
        ),
        (ApplyFailedError(result(Outcome.FAILED, reason="netsh failed")), EXIT_NETSH),  # "requires elevation" text
        (ApplyFailedError(TransactionResult(Outcome.FAILED, "x", CHANGE, (), None)), EXIT_NETSH),
    ],
)
def test_every_outcome_of_a_direct_apply_has_its_code(ending: TransactionResult | BaseException, code: int) -> None:
    assert run(ending)[0] == code


def test_the_same_outcomes_through_a_trial_that_is_kept() -> None:
    for ending, code in [
        (result(Outcome.KEPT), EXIT_OK),
        (result(Outcome.REVERT_FAILED), EXIT_NETSH),
        (HelperError("the helper crashed"), EXIT_NETSH),
    ]:
        assert run(ending, ApplyOptions(store=Store.ACTIVE, trial=5, yes=True))[0] == code


def test_a_trial_answered_no_is_reverted_with_the_users_reason() -> None:
    fakes = Fakes(FakeTransactions(result(Outcome.REVERTED, reason="asked")))
    out = io.StringIO()
    options = ApplyOptions(store=Store.ACTIVE, trial=3)
    code = apply_change(cast(Services, fakes), CHANGE, options, out, io.StringIO("n\n"))
    assert code == EXIT_REVERTED
    assert fakes.transactions.trial is not None and fakes.transactions.trial.calls == ["revert:answered no"]
    assert "warning: " + MISMATCH.describe() in out.getvalue()
    assert "Reverted (asked): the previous values are back." in out.getvalue()


def test_a_trial_answered_yes_is_kept() -> None:
    fakes = Fakes(FakeTransactions(result(Outcome.KEPT)))
    options = ApplyOptions(store=Store.ACTIVE, trial=3)
    code = apply_change(cast(Services, fakes), CHANGE, options, io.StringIO(), io.StringIO("yes\n"))
    assert code == EXIT_OK
    assert fakes.transactions.trial is not None and fakes.transactions.trial.calls == ["keep"]


def test_the_report_says_where_a_kept_change_lives_and_shows_runs_and_notices() -> None:
    code, out = run(result(Outcome.KEPT))
    assert code == EXIT_OK
    assert "Kept: saved (persistent)." in out
    assert f"  ran: {RUN.command_line} -> exit 1" in out
    assert "note: a notice" in out
    assert "Kept: active until reboot." in run(result(Outcome.KEPT), ApplyOptions(store=Store.ACTIVE))[1]
    assert "Kept, but not every value stuck." in run(result(Outcome.KEPT, mismatches=(MISMATCH,)))[1]


def test_nothing_runs_for_an_empty_change_a_dry_run_or_a_declined_confirmation() -> None:
    fail = AssertionError("must not run")
    out = io.StringIO()
    empty = apply_change(cast(Services, Fakes(FakeTransactions(fail))), Change(), ApplyOptions(), out, io.StringIO())
    assert empty == EXIT_OK and "Nothing to change" in out.getvalue()
    code, text = run(fail, ApplyOptions(dry_run=True))
    assert code == EXIT_OK and "netsh interface ipv4 set global loopbackexecutionmode=inline store=persistent" in text
    code, text = run(fail, ApplyOptions(confirm=True), stdin="n\n")
    assert code == EXIT_OK and "Nothing was changed." in text


def state(*failures: ReadProblem | None) -> MachineState:
    families = {}
    for family, problem in zip(Family, failures, strict=False):
        active: Any = BEFORE if problem is None else ReadFailure(problem, "m")
        families[family] = FamilyState(family, active, BEFORE)
    return MachineState(families)


@pytest.mark.parametrize(
    ("problems", "code"),
    [
        ((None, None), EXIT_OK),
        ((ReadProblem.UNSUPPORTED, ReadProblem.UNSUPPORTED), EXIT_UNSUPPORTED),
        ((ReadProblem.UNSUPPORTED, None), EXIT_UNSUPPORTED),  # the failures are all "unsupported"
        ((ReadProblem.UNSUPPORTED, ReadProblem.UNRECOGNIZED), EXIT_NETSH),  # mixed: netsh's code wins
        ((None, ReadProblem.NETSH_FAILED), EXIT_NETSH),
        ((ReadProblem.NETSH_MISSING,), EXIT_NETSH),
    ],
)
def test_a_reads_code_comes_from_its_typed_problems(problems: tuple[ReadProblem | None, ...], code: int) -> None:
    assert read_exit(state(*problems)) == code


def test_ask_keep_only_yes_before_the_deadline_keeps() -> None:
    def ask(text: str) -> tuple[bool, str]:
        return common.ask_keep(5, io.StringIO(text), io.StringIO())

    assert ask("Y\n") == (True, "")
    assert ask(" yes \n") == (True, "")
    assert ask("no\n") == (False, "answered no")
    assert ask("") == (False, "no answer (end of input)")


def test_ask_confirm_is_yes_only_for_y_or_yes() -> None:
    def ask(text: str) -> bool:
        return common.ask_confirm("Go?", io.StringIO(text), io.StringIO())

    assert [ask(t) for t in ("y\n", "YES\n", "n\n", "", "yess\n")] == [True, True, False, False, False]
