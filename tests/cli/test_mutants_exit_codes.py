"""The CLI's outcome-to-exit-code mapping, in-process (the subprocess tests run the installed code, which a
mutation tool's copy never reaches): every typed outcome or error of a change, and of a read, gives its code."""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from app.cli_parts import common
from app.cli_parts.apply import ApplyOptions, apply_change, require_answerable
from app.cli_parts.common import (
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
from app.usecases.endings import RECONNECT_NOTE
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
    found: tuple[Mismatch, ...] = (MISMATCH,)
    calls: list[str] = field(default_factory=list)
    beats: int = 0

    def verify(self) -> tuple[None, tuple[Mismatch, ...]]:
        return None, self.found

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
    begin_error: BaseException | None = None  # raised by begin; otherwise the trial ends with ``ending``
    found: tuple[Mismatch, ...] = (MISMATCH,)
    trial: FakeTrial | None = None
    calls: list[str] = field(default_factory=list)

    def apply(self, change: Change, *, store: Store = Store.PERSISTENT) -> TransactionResult:
        assert change == CHANGE and store is Store.PERSISTENT
        self.calls.append("apply")
        if isinstance(self.ending, BaseException):
            raise self.ending
        return self.ending

    def begin(self, change: Change, *, seconds: float, store: Store = Store.PERSISTENT) -> FakeTrial:
        assert change == CHANGE
        self.calls.append(f"begin:{seconds}:{store.value}")
        if self.begin_error is not None:
            raise self.begin_error
        self.trial = FakeTrial(self.ending, self.found)
        return self.trial


@dataclass
class Fakes:
    transactions: FakeTransactions


SAVE = ApplyOptions(save=True)  # the one direct apply since issue 13: `save`, no trial
VERIFIED_YES = ApplyOptions(store=Store.ACTIVE, trial=5, yes=True)


def run(
    ending: TransactionResult | BaseException,
    options: ApplyOptions | None = None,
    stdin: str = "",
    *,
    begin_error: BaseException | None = None,
    found: tuple[Mismatch, ...] = (MISMATCH,),
) -> tuple[int, str]:
    out = io.StringIO()
    services = cast(Services, Fakes(FakeTransactions(ending, begin_error, found)))
    code = apply_change(services, CHANGE, options or SAVE, out, io.StringIO(stdin), verbose=True)
    return code, out.getvalue()


def test_the_codes_are_the_documented_numbers() -> None:
    codes = (EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_NETSH, EXIT_UNSUPPORTED, EXIT_ELEVATION, EXIT_BUSY, EXIT_REVERTED)
    assert codes == (0, 1, 2, 3, 4, 5, 6, 7)
    assert EXIT_NOT_COMPLIANT == 8  # check only (issue 17)
    assert EXIT_PIPE_CLOSED == 141  # a closed standard output: the shell's 128 + SIGPIPE (issue 13)
    from app.cli_parts.measure import EXIT_MEASURE_FAILED

    assert EXIT_MEASURE_FAILED == 9  # measure only (issue 15), listed in --help with the others
    assert list(EXIT_CODES) == [*range(10), 141]  # the order --help lists them in
    assert EXIT_CODES == {
        0: "success",
        1: "unexpected internal error",
        2: "usage or validation error (nothing was run)",
        3: "netsh failed, its output could not be recognized, or a value did not stick",
        4: "this Windows build has no loopback settings (before 1809)",
        5: "administrator rights needed, or the prompt was cancelled",
        6: "another change is being tried right now",
        7: "the trial ended without keeping the change (it was reverted)",
        8: "check: the machine does not match the profile (each difference is printed)",
        9: "measure: a family could not be measured (the others are still shown)",
        141: "standard output was closed before everything was written (a trial not kept reverted)",
    }


OUTCOMES = [
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
]


@pytest.mark.parametrize(("ending", "code"), OUTCOMES)
def test_every_outcome_of_a_direct_apply_has_its_code(ending: TransactionResult | BaseException, code: int) -> None:
    # Before: ApplyOptions() applied directly; since issue 13 only `save` does (set and the others are trials).
    fakes = Fakes(FakeTransactions(ending))
    assert apply_change(cast(Services, fakes), CHANGE, SAVE, io.StringIO(), io.StringIO("n\n")) == code
    assert fakes.transactions.calls == ["apply"] and fakes.transactions.trial is None


@pytest.mark.parametrize(("ending", "code"), OUTCOMES)
def test_every_outcome_has_the_same_code_in_the_json_document(
    ending: TransactionResult | BaseException, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    out = io.StringIO()
    services = cast(Services, Fakes(FakeTransactions(ending)))
    assert apply_change(services, CHANGE, replace(SAVE, json=True), out, io.StringIO()) == code
    document = json.loads(out.getvalue())
    assert document["exit_code"] == code
    assert document["kept"] is (isinstance(ending, TransactionResult) and ending.outcome is Outcome.KEPT)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("error", "code"),
    [(e, c) for e, c in OUTCOMES if isinstance(e, BaseException)],
)
def test_every_error_of_beginning_a_trial_has_its_code(error: BaseException, code: int) -> None:
    fakes = Fakes(FakeTransactions(AssertionError("never ends"), begin_error=error))
    assert apply_change(cast(Services, fakes), CHANGE, VERIFIED_YES, io.StringIO(), io.StringIO()) == code
    assert fakes.transactions.calls == ["begin:5:active"] and fakes.transactions.trial is None


def test_the_same_outcomes_through_a_trial_that_is_kept() -> None:
    # Before: the fake's verify found a mismatch and --yes kept anyway; now --yes keeps only what was verified.
    for ending, code in [
        (result(Outcome.KEPT), EXIT_OK),
        (result(Outcome.KEPT, mismatches=(MISMATCH,)), EXIT_NETSH),
        (result(Outcome.KEEP_FAILED), EXIT_NETSH),
        (result(Outcome.REVERT_FAILED), EXIT_NETSH),
        (HelperError("the helper crashed"), EXIT_NETSH),
        (ElevationCancelledError(), EXIT_ELEVATION),
    ]:
        fakes = Fakes(FakeTransactions(ending, found=()))
        assert apply_change(cast(Services, fakes), CHANGE, VERIFIED_YES, io.StringIO(), io.StringIO()) == code
        assert fakes.transactions.calls == ["begin:5:active"]
        assert fakes.transactions.trial is not None and fakes.transactions.trial.calls == ["keep"]


def test_yes_reverts_a_value_that_did_not_stick_as_exit_3_not_7() -> None:
    fakes = Fakes(FakeTransactions(result(Outcome.REVERTED, reason="a value did not take effect")))
    out = io.StringIO()
    code = apply_change(cast(Services, fakes), CHANGE, VERIFIED_YES, out, io.StringIO("y\n"), verbose=True)
    assert code == EXIT_NETSH
    assert fakes.transactions.trial is not None
    assert fakes.transactions.trial.calls == ["revert:a value did not take effect"]
    assert out.getvalue().endswith(
        f"  warning: {MISMATCH.describe()}\n"
        f"  ran: {RUN.command_line} -> exit 1\n"
        "note: a notice\n"
        "Reverted (a value did not take effect): the previous values are back; nothing was kept.\n"
    )
    # A revert that failed stays a failed revert (exit 3 with its error), and an error raised by it keeps its code.
    for ending, code in [(result(Outcome.REVERT_FAILED), EXIT_NETSH), (TransactionBusyError("busy"), EXIT_BUSY)]:
        assert run(ending, VERIFIED_YES)[0] == code


def test_a_trial_answered_no_is_reverted_with_the_users_reason() -> None:
    fakes = Fakes(FakeTransactions(result(Outcome.REVERTED, reason="asked")))
    out = io.StringIO()
    options = ApplyOptions(store=Store.ACTIVE, trial=3)
    code = apply_change(cast(Services, fakes), CHANGE, options, out, io.StringIO("n\n"))
    assert code == EXIT_REVERTED
    assert fakes.transactions.calls == ["begin:3:active"]
    assert fakes.transactions.trial is not None and fakes.transactions.trial.calls == ["revert:answered no"]
    assert out.getvalue().endswith(
        "Applied for a trial of 3 s (active store).\n"
        f"  warning: {MISMATCH.describe()}\n"
        "Reverting in 3 s unless you keep the change.\n"
        "Keep these settings? [y/N] \n"
        "note: a notice\n"
        "Reverted (asked): the previous values are back.\n"
    )


def test_a_trial_answered_yes_is_kept_even_after_a_warning() -> None:
    fakes = Fakes(FakeTransactions(result(Outcome.KEPT)))  # verify finds MISMATCH: the user is told, then decides
    options = ApplyOptions(store=Store.ACTIVE, trial=3)
    code = apply_change(cast(Services, fakes), CHANGE, options, io.StringIO(), io.StringIO("yes\n"))
    assert code == EXIT_OK
    assert fakes.transactions.trial is not None and fakes.transactions.trial.calls == ["keep"]


def test_the_report_says_where_a_kept_change_lives_and_shows_runs_and_notices() -> None:
    # Before: a direct apply without --trial (ApplyOptions()); now `save`, and a kept trial adds the reconnect note.
    code, out = run(result(Outcome.KEPT))
    assert code == EXIT_OK
    assert out.endswith(f"  ran: {RUN.command_line} -> exit 1\nnote: a notice\nKept: saved (persistent).\n")
    code, out = run(result(Outcome.KEPT), VERIFIED_YES, found=())
    assert out.endswith(f"note: a notice\nKept: active until reboot.\nnote: {RECONNECT_NOTE}\n")
    code, out = run(result(Outcome.KEPT, mismatches=(MISMATCH,)))
    assert (code, out.endswith("Kept, but not every value stuck.\n")) == (EXIT_NETSH, True)


def test_nothing_runs_for_an_empty_change_or_a_dry_run_and_a_pipe_without_a_flag_is_refused() -> None:
    # Before: a declined "Apply these changes?" ran nothing (exit 0). That question is gone; what runs nothing now
    # is a pipe without --yes, --trial or --dry-run, refused before anything is read (UsageError: exit 2).
    fail = AssertionError("must not run")
    out = io.StringIO()
    fakes = Fakes(FakeTransactions(fail))
    empty = apply_change(cast(Services, fakes), Change(), ApplyOptions(), out, io.StringIO())
    assert empty == EXIT_OK and out.getvalue() == "Nothing to change: the machine already has these values.\n"
    for options in (ApplyOptions(dry_run=True), ApplyOptions(dry_run=True, yes=True), replace(SAVE, dry_run=True)):
        code, text = run(fail, options)
        assert code == EXIT_OK
        assert text.endswith("netsh interface ipv4 set global loopbackexecutionmode=inline store=persistent\n")
    assert fakes.transactions.calls == []
    with pytest.raises(UsageError, match=r"^standard input is not a terminal: add --yes to apply and keep "):
        require_answerable(ApplyOptions(), io.StringIO("y\n"), command="apply and keep")


def test_a_closed_standard_output_is_exit_141_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app import cli

    class Closed(io.StringIO):
        def write(self, s: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    redirected: list[tuple[int, int]] = []
    real_open = os.open
    monkeypatch.setattr(cli.os, "open", lambda path, *a, **kw: 42 if path == os.devnull else real_open(path, *a, **kw))
    monkeypatch.setattr(cli.os, "dup2", lambda fd, fd2: redirected.append((fd, fd2)))
    monkeypatch.setattr(cli.sys, "stdout", SimpleNamespace(fileno=lambda: 1))
    code = cli.main(["--state", str(tmp_path / "state.json"), "show"], out=Closed())
    assert code == EXIT_PIPE_CLOSED == 141
    assert redirected == [(42, 1)]  # so the interpreter's last flush of stdout cannot fail again
    assert capsys.readouterr().err.endswith(
        "loopback-tuner-cli: error: standard output was closed before everything was written\n"
    )


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
    # Before: ask_confirm had the same yes/no rule (it is gone since issue 13); ask_keep now carries it alone.
    def ask(text: str) -> tuple[bool, str]:
        return common.ask_keep(5, io.StringIO(text), io.StringIO())

    assert ask("Y\n") == (True, "")
    assert ask("YES\n") == (True, "")
    assert ask(" yes \n") == (True, "")
    assert ask("no\n") == (False, "answered no")
    assert ask("yess\n") == (False, "answered no")
    assert ask("\n") == (False, "answered no")
    assert ask("") == (False, "no answer (end of input)")
