"""The CLI's apply flow in-process: exact lines on stdout and stderr, what reaches the transactions (seconds,
store, keep or revert), the verify window and the seconds left for the question, each on a virtual clock."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

import pytest

from app.cli_parts import apply
from app.cli_parts.apply import ApplyOptions, apply_change
from app.cli_parts.common import EXIT_BUSY, EXIT_ELEVATION, EXIT_NETSH, EXIT_OK, EXIT_REVERTED
from app.domain.model import Change, ExecutionMode, Family, FamilyChange, LoopbackSettings, Setting, Store
from app.domain.netsh_failure import SetFailure
from app.domain.outcomes import Mismatch, Outcome
from app.domain.runs import CommandResult
from app.usecases.formatting import outcome_text
from app.usecases.trials import ApplyFailedError, TransactionBusyError, TransactionResult
from app.wiring import Services

BEFORE = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)
AFTER = LoopbackSettings(ExecutionMode.INLINE, 4, True)
CHANGE = Change((FamilyChange(Family.IPV4, BEFORE, AFTER),))
MISMATCH = Mismatch(Family.IPV4, Setting.EXECUTION_MODE, ExecutionMode.INLINE, ExecutionMode.ADAPTIVE)
RUN = CommandResult(("interface", "ipv4", "set", "global"), 1, "refused")
RAN = f"  ran: {RUN.command_line} -> exit 1\n"
ERR = "loopback-tuner-cli: error: "


def result(outcome: Outcome, reason: str = "asked", **kw: Any) -> TransactionResult:
    return TransactionResult(outcome, reason, CHANGE, (RUN,), None, **kw)


@dataclass
class Trial:
    ending: TransactionResult
    calls: list[str] = field(default_factory=list)
    beats: int = 0

    def verify(self) -> tuple[None, tuple[Mismatch, ...]]:
        return None, ()

    def beat(self) -> None:
        self.beats += 1

    def keep(self) -> TransactionResult:
        self.calls.append("keep")
        return self.ending

    def revert(self, reason: str = "") -> TransactionResult:
        self.calls.append(f"revert:{reason}")
        return self.ending


@dataclass
class Transactions:
    ending: TransactionResult | BaseException
    calls: list[tuple[str, Any, Store]] = field(default_factory=list)
    trial: Trial | None = None

    def apply(self, change: Change, **kw: Store) -> TransactionResult:
        self.calls.append(("apply", change, kw["store"]))
        if isinstance(self.ending, BaseException):
            raise self.ending
        return self.ending

    def begin(self, change: Change, *, seconds: float, store: Store) -> Trial:
        self.calls.append(("begin", seconds, store))
        assert isinstance(self.ending, TransactionResult)
        self.trial = Trial(self.ending)
        return self.trial


def run(
    capsys: pytest.CaptureFixture[str],
    ending: TransactionResult | BaseException,
    options: ApplyOptions,
    *,
    change: Change = CHANGE,
    stdin: str = "",
    **kw: bool,
) -> tuple[int, str, str, Transactions]:
    transactions = Transactions(ending)
    out = io.StringIO()
    services = cast(Services, SimpleNamespace(transactions=transactions))
    code = apply_change(services, change, options, out, io.StringIO(stdin), **kw)
    captured = capsys.readouterr()
    assert captured.out == "", "everything the flow says goes to its own stream"
    return code, out.getvalue(), captured.err, transactions


CHANGE_LINES = "Change:\n" + "".join(f"  {line}\n" for line in CHANGE.describe())


def test_an_empty_change_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err, tx = run(capsys, AssertionError(), ApplyOptions(), change=Change())
    assert (code, out, err, tx.calls) == (EXIT_OK, "Nothing to change: the machine already has these values.\n", "", [])


def test_a_declined_confirmation_asks_the_exact_question(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err, tx = run(capsys, AssertionError(), ApplyOptions(confirm=True), stdin="n\n")
    assert (code, err, tx.calls) == (EXIT_OK, "", [])
    assert out == CHANGE_LINES + "Apply these changes? [y/N] Nothing was changed.\n"


def test_a_direct_apply_passes_the_store_and_is_quiet_about_runs_unless_verbose(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err, tx = run(capsys, result(Outcome.KEPT), ApplyOptions(store=Store.ACTIVE))
    assert (code, err) == (EXIT_OK, "")
    assert tx.calls == [("apply", CHANGE, Store.ACTIVE)]
    assert out == CHANGE_LINES + "Kept: active until reboot.\n"
    code, out, _, _ = run(capsys, result(Outcome.KEPT), ApplyOptions(), verbose=True)
    assert out == CHANGE_LINES + RAN + "Kept: saved (persistent).\n"


def test_a_failed_apply_prints_its_runs_when_verbose_and_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    failed = ApplyFailedError(result(Outcome.FAILED, "netsh refused", failure=SetFailure.NEEDS_ELEVATION))
    code, out, err, _ = run(capsys, failed, ApplyOptions(), verbose=True)
    assert code == EXIT_ELEVATION
    assert out == CHANGE_LINES + RAN
    assert err == f"{ERR}the change could not be applied: netsh refused\n"
    code, out, err, _ = run(capsys, ApplyFailedError(result(Outcome.FAILED, "x")), ApplyOptions())
    assert (code, out) == (EXIT_NETSH, CHANGE_LINES)


def test_a_transaction_error_is_one_line_with_its_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err, _ = run(capsys, TransactionBusyError("another change is being tried"), ApplyOptions())
    assert (code, out, err) == (EXIT_BUSY, CHANGE_LINES, f"{ERR}another change is being tried\n")


def test_a_failed_outcome_is_reported_on_stderr_and_a_failed_revert_says_what_is_left(
    capsys: pytest.CaptureFixture[str],
) -> None:
    failed = result(Outcome.KEEP_FAILED, "could not save", mismatches=(MISMATCH,))
    code, out, err, _ = run(capsys, failed, ApplyOptions(), verbose=True)
    assert code == EXIT_NETSH
    assert out == CHANGE_LINES + RAN  # no warning lines: the error line says it
    assert err == f"{ERR}{outcome_text(failed)}\n"
    stuck = result(Outcome.REVERT_FAILED, "netsh failed")
    code, _, err, _ = run(capsys, stuck, ApplyOptions())
    assert code == EXIT_NETSH
    assert err == (
        f"{ERR}{outcome_text(stuck)}\n"
        f"{ERR}the trial's values are still in place: check them, or restore the original values.\n"
    )


def test_a_trial_with_yes_keeps_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    options = ApplyOptions(store=Store.ACTIVE, trial=7, yes=True)
    code, out, err, tx = run(capsys, result(Outcome.KEPT), options)
    assert (code, err) == (EXIT_OK, "")
    assert tx.calls == [("begin", 7, Store.ACTIVE)]
    assert tx.trial is not None and tx.trial.calls == ["keep"]
    assert out == CHANGE_LINES + "Applied for a trial of 7 s (active store).\nKept: active until reboot.\n"


class Clock:
    def __init__(self, *times: float) -> None:
        self.times = list(times)

    def monotonic(self) -> float:
        return self.times.pop(0) if len(self.times) > 1 else self.times[0]


@pytest.mark.parametrize(
    ("trial", "elapsed", "verify_timeout", "left"),
    [
        (30, 3.4, 2.0, 27),  # the verify window is at most 2 s
        (3, 0.4, 1.0, 3),  # a third of a short trial
        (12, 7.6, 2.0, 4),
        (3, 2.4, 1.0, 1),  # 0.6 s left rounds to 1
        (3, 5.0, 1.0, 1),  # past the deadline: still at least 1 s to answer
    ],
)
def test_the_question_gets_the_seconds_left_after_a_bounded_verify(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    trial: int,
    elapsed: float,
    verify_timeout: float,
    left: int,
) -> None:
    timeouts: list[float | None] = []
    asked: list[int] = []

    def verify_within(trial: Any, timeout_s: float) -> tuple[Mismatch, ...]:
        timeouts.append(timeout_s)
        return ()  # the check did not finish in time

    def ask_keep(seconds: int, stdin: Any, out: Any, **_: Any) -> tuple[bool, str]:
        asked.append(seconds)
        return False, "answered no"

    monkeypatch.setattr(apply, "_verify_within", verify_within)
    monkeypatch.setattr(apply, "time", SimpleNamespace(monotonic=Clock(500.0, 500.0 + elapsed).monotonic))
    monkeypatch.setattr(apply, "ask_keep", ask_keep)
    code, out, err, tx = run(capsys, result(Outcome.REVERTED), ApplyOptions(store=Store.ACTIVE, trial=trial))
    assert (code, err) == (EXIT_REVERTED, "")
    assert timeouts == [verify_timeout]
    assert asked == [left]
    assert tx.calls == [("begin", trial, Store.ACTIVE)]
    assert tx.trial is not None and tx.trial.calls == ["revert:answered no"]
    assert out == (
        CHANGE_LINES
        + f"Applied for a trial of {trial} s (active store).\nReverted (asked): the previous values are back.\n"
    )


def test_every_transaction_error_has_its_ending() -> None:
    from app.cli_parts.common import Ending
    from app.elevation.launchers import AdminTerminalRequiredError, ElevationCancelledError, HelperStartError
    from app.usecases.trials import HelperError

    refused = ApplyFailedError(result(Outcome.FAILED, "refused", failure=SetFailure.NEEDS_ELEVATION))
    assert apply.error_ending(refused) is Ending.NEEDS_ELEVATION
    assert apply.error_ending(ApplyFailedError(result(Outcome.FAILED, "x"))) is Ending.FAILED
    assert apply.error_ending(ElevationCancelledError()) is Ending.CANCELLED
    assert apply.error_ending(TransactionBusyError("busy")) is Ending.BUSY
    assert apply.error_ending(AdminTerminalRequiredError("start an administrator terminal")) is Ending.NEEDS_ELEVATION
    assert apply.error_ending(HelperStartError("could not start")) is Ending.HELPER_START_FAILED
    assert apply.error_ending(HelperError("broke the protocol")) is Ending.HELPER_FAILED
    assert apply.error_ending(ValueError("not ours")) is None


def test_a_kept_or_reverted_change_that_did_not_stick_warns_for_each_value(capsys: pytest.CaptureFixture[str]) -> None:
    warning = f"warning: {MISMATCH.describe()}\n"
    code, out, err, _ = run(capsys, result(Outcome.KEPT, mismatches=(MISMATCH,)), ApplyOptions())
    assert (code, err) == (EXIT_NETSH, "")
    assert out == CHANGE_LINES + warning + "Kept, but not every value stuck.\n"
    code, out, err, _ = run(capsys, result(Outcome.REVERTED, mismatches=(MISMATCH,)), ApplyOptions())
    assert (code, err) == (EXIT_NETSH, "")
    assert out == CHANGE_LINES + warning + "Reverted (asked): the previous values are back.\n"
