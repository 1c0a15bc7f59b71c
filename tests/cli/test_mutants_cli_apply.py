"""The CLI's change flow in-process (issue 13): exact lines on stdout and stderr, what reaches the transactions
(seconds, store, keep or revert and why, apply for save), the verify windows and the seconds left for the
question on a virtual clock, and the --json document's every key."""

from __future__ import annotations

import argparse
import io
import itertools
import json
import threading
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

import pytest

from app.cli_parts import apply
from app.cli_parts.apply import JSON_FORMAT, JSON_VERSION, NOT_VERIFIED, ApplyOptions, apply_change, options_from
from app.cli_parts.common import EXIT_BUSY, EXIT_ELEVATION, EXIT_NETSH, EXIT_OK, EXIT_REVERTED
from app.domain.errors import LoopbackTunerError
from app.domain.model import (
    Change,
    ExecutionMode,
    Family,
    FamilyChange,
    FamilyState,
    LoopbackSettings,
    MachineState,
    Setting,
    Store,
)
from app.domain.netsh_failure import SetFailure
from app.domain.outcomes import Mismatch, Outcome
from app.domain.runs import CommandResult
from app.usecases.endings import RECONNECT_NOTE
from app.usecases.formatting import outcome_text
from app.usecases.trials import DEFAULT_TRIAL_S, ApplyFailedError, TransactionBusyError, TransactionResult
from app.wiring import Services

BEFORE = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)
AFTER = LoopbackSettings(ExecutionMode.INLINE, 4, True)
SAVED = LoopbackSettings(ExecutionMode.INLINE, 8, False)  # differs from AFTER: "verified" must use the right store
CHANGE = Change((FamilyChange(Family.IPV4, BEFORE, AFTER),))
MISMATCH = Mismatch(Family.IPV4, Setting.EXECUTION_MODE, ExecutionMode.INLINE, ExecutionMode.ADAPTIVE)
RUN = CommandResult(("interface", "ipv4", "set", "global"), 1, "refused")
RAN = f"  ran: {RUN.command_line} -> exit 1\n"
ERR = "loopback-tuner-cli: error: "
NOTE = f"note: {RECONNECT_NOTE}\n"
STATE = MachineState({Family.IPV4: FamilyState(Family.IPV4, AFTER, SAVED)})

CHANGE_LINES = "Change:\n" + "".join(f"  {line}\n" for line in CHANGE.describe())
PERSISTENT_LINE = "netsh interface ipv4 set global loopbackexecutionmode=inline store=persistent"
ACTIVE_LINE = "netsh interface ipv4 set global loopbackexecutionmode=inline store=active"
SHOWN = CHANGE_LINES + PERSISTENT_LINE + "\n"  # what every changing command prints first (persistent store)
SHOWN_ACTIVE = CHANGE_LINES + ACTIVE_LINE + "\n"
ASKED = "Reverting in 15 s unless you keep the change.\nKeep these settings? [y/N] \n"  # not a terminal


def result(outcome: Outcome, reason: str = "asked", **kw: Any) -> TransactionResult:
    return TransactionResult(outcome, reason, CHANGE, (RUN,), kw.pop("state", None), **kw)


def trial_line(seconds: int = DEFAULT_TRIAL_S) -> str:
    return f"Applied for a trial of {seconds} s (active store).\n"


@dataclass
class Trial:
    ending: TransactionResult
    found: tuple[Mismatch, ...] | BaseException = ()
    calls: list[str] = field(default_factory=list)
    beats: int = 0

    def verify(self) -> tuple[None, tuple[Mismatch, ...]]:
        self.calls.append("verify")
        if isinstance(self.found, BaseException):
            raise self.found
        return None, self.found

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
    found: tuple[Mismatch, ...] | BaseException = ()
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    trial: Trial | None = None

    def apply(self, change: Change, **kw: Store) -> TransactionResult:
        self.calls.append(("apply", change, kw["store"]))
        if isinstance(self.ending, BaseException):
            raise self.ending
        return self.ending

    def begin(self, change: Change, *, seconds: float, store: Store) -> Trial:
        self.calls.append(("begin", change, seconds, store))
        if isinstance(self.ending, BaseException):
            raise self.ending
        self.trial = Trial(self.ending, self.found)
        return self.trial


class Clock:
    def __init__(self, *times: float) -> None:
        self.times = list(times)

    def monotonic(self) -> float:
        return self.times.pop(0) if len(self.times) > 1 else self.times[0]


@pytest.fixture(autouse=True)
def still_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """apply's clock stands still (no time passes between begin and the question) unless a test moves it."""
    monkeypatch.setattr(apply, "time", SimpleNamespace(monotonic=Clock(500.0).monotonic))


def run(
    capsys: pytest.CaptureFixture[str],
    ending: TransactionResult | BaseException,
    options: ApplyOptions,
    *,
    change: Change = CHANGE,
    stdin: str = "",
    found: tuple[Mismatch, ...] | BaseException = (),
    **kw: Any,
) -> tuple[int, str, str, Transactions]:
    transactions = Transactions(ending, found)
    out = io.StringIO()
    services = cast(Services, SimpleNamespace(transactions=transactions))
    code = apply_change(services, change, options, out, io.StringIO(stdin), **kw)
    captured = capsys.readouterr()
    assert captured.out == "", "everything the flow says goes to its own stream"
    return code, out.getvalue(), captured.err, transactions


def trial_calls(tx: Transactions) -> list[str]:
    assert tx.trial is not None
    return tx.trial.calls


# --- what is shown first, and what never runs -----------------------------------------------------------------
def test_an_empty_change_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err, tx = run(capsys, AssertionError(), ApplyOptions(), change=Change())
    assert (code, out, err, tx.calls) == (EXIT_OK, "Nothing to change: the machine already has these values.\n", "", [])


def test_an_empty_import_is_already_compliant_in_the_stores_it_compared(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 17: a remediation's second run says so, naming the stores its plan compared."""
    code, out, err, tx = run(capsys, AssertionError(), ApplyOptions(), change=Change(), command="import")
    expected = "Already compliant: the machine has the profile's values (active and saved).\n"
    assert (code, out, err, tx.calls) == (EXIT_OK, expected, "", [])
    code, out, _, _ = run(capsys, AssertionError(), ApplyOptions(store=Store.ACTIVE), change=Change(), command="import")
    assert (code, out) == (EXIT_OK, "Already compliant: the machine has the profile's values (active).\n")


class _Reader:
    """A stand-in for the check's thread: records each wait; finishes after ``finish_after`` waits (None: never)."""

    def __init__(self, finish_after: int | None) -> None:
        self.waits: list[float] = []
        self.finish_after = finish_after

    def start(self) -> None:
        pass

    def join(self, timeout: float | None = None) -> None:
        self.waits.append(timeout or 0.0)

    def is_alive(self) -> bool:
        return self.finish_after is None or len(self.waits) < self.finish_after


@pytest.mark.parametrize(
    ("timeout", "finish_after", "waits", "beats"),
    [
        (1.5, None, [1.0, 0.5], 2),  # never finishes: the whole window, in slices, a beat after each
        (7.5, 1, [1.0], 0),  # finished during the first slice: no more waiting, no beat
        (7.5, 3, [1.0, 1.0, 1.0], 2),  # a beat for each slice it was still running after
    ],
)
def test_the_check_is_waited_for_in_slices_that_beat_while_it_runs(
    monkeypatch: pytest.MonkeyPatch, timeout: float, finish_after: int | None, waits: list[float], beats: int
) -> None:
    reader = _Reader(finish_after)
    monkeypatch.setattr(apply, "threading", SimpleNamespace(Thread=lambda **_: reader))
    trial = Trial(result(Outcome.KEPT))
    assert apply.verify_within(trial, timeout) is None  # the stand-in never ran the check: nothing found
    assert reader.waits == waits
    assert trial.beats == beats


def test_a_dry_run_prints_the_change_and_the_lines_of_its_store_and_runs_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before issue 13 a dry run printed the lines while a real run did not; now every run prints them first.
    code, out, err, tx = run(capsys, AssertionError(), ApplyOptions(dry_run=True, yes=True))
    assert (code, out, err, tx.calls) == (EXIT_OK, SHOWN, "", [])
    code, out, err, tx = run(capsys, AssertionError(), ApplyOptions(store=Store.ACTIVE, dry_run=True, save=True))
    assert (code, out, err, tx.calls) == (EXIT_OK, SHOWN_ACTIVE, "", [])


# --- asking (a terminal, or a pipe with --trial N) --------------------------------------------------------------
def test_asking_applies_a_trial_of_the_default_length_then_asks_the_exact_question(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before: ApplyOptions(confirm=True) asked "Apply these changes? [y/N]" and "n" ran nothing (exit 0). That
    # question is gone: the command is the request, the trial is the confirmation, and "n" reverts (exit 7).
    code, out, err, tx = run(capsys, result(Outcome.REVERTED), ApplyOptions(), stdin="n\n")
    assert (code, err) == (EXIT_REVERTED, "")
    assert tx.calls == [("begin", CHANGE, DEFAULT_TRIAL_S, Store.PERSISTENT)] and DEFAULT_TRIAL_S == 15
    assert trial_calls(tx) == ["verify", "revert:answered no"]
    assert out == SHOWN + trial_line() + ASKED + "Reverted (asked): the previous values are back.\n"
    assert tx.trial is not None and tx.trial.beats >= 1  # the question's countdown beats for the helper


@pytest.mark.parametrize(
    ("stdin", "why"), [("", "no answer (end of input)"), ("\n", "answered no"), ("yess\n", "answered no")]
)
def test_anything_but_yes_reverts_with_what_the_user_did(
    capsys: pytest.CaptureFixture[str], stdin: str, why: str
) -> None:
    code, out, _, tx = run(capsys, result(Outcome.REVERTED, why), ApplyOptions(), stdin=stdin)
    assert code == EXIT_REVERTED
    assert trial_calls(tx) == ["verify", f"revert:{why}"]
    assert out == SHOWN + trial_line() + ASKED + f"Reverted ({why}): the previous values are back.\n"


def test_yes_to_the_question_keeps_and_says_where_then_the_reconnect_note(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err, tx = run(capsys, result(Outcome.KEPT), ApplyOptions(trial=30), stdin="y\n")
    assert (code, err) == (EXIT_OK, "")
    assert tx.calls == [("begin", CHANGE, 30, Store.PERSISTENT)]
    assert trial_calls(tx) == ["verify", "keep"]
    asked = "Reverting in 30 s unless you keep the change.\nKeep these settings? [y/N] \n"
    assert out == SHOWN + trial_line(30) + asked + "Kept: saved (persistent).\n" + NOTE
    code, out, _, tx = run(capsys, result(Outcome.KEPT), ApplyOptions(store=Store.ACTIVE), stdin="YES\n")
    assert tx.calls == [("begin", CHANGE, 15, Store.ACTIVE)]
    assert out == SHOWN_ACTIVE + trial_line() + ASKED + "Kept: active until reboot.\n" + NOTE


def test_what_did_not_take_effect_is_warned_before_the_question(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _, tx = run(capsys, result(Outcome.KEPT), ApplyOptions(), stdin="y\n", found=(MISMATCH,))
    assert code == EXIT_OK  # the user saw the warning and kept: the kept result decides
    assert trial_calls(tx) == ["verify", "keep"]
    assert (
        out
        == SHOWN + trial_line() + f"  warning: {MISMATCH.describe()}\n" + ASKED + "Kept: saved (persistent).\n" + NOTE
    )
    # A read that fails is no warning: the question is asked as usual.
    code, out, _, tx = run(capsys, result(Outcome.KEPT), ApplyOptions(), stdin="y\n", found=LoopbackTunerError("x"))
    assert out == SHOWN + trial_line() + ASKED + "Kept: saved (persistent).\n" + NOTE


@pytest.mark.parametrize(
    ("trial", "elapsed", "verify_timeout", "left"),
    [
        (30, 3.4, 2.0, 27),  # the verify window is at most 2 s
        (3, 0.4, 1.0, 3),  # a third of a short trial
        (12, 7.6, 2.0, 4),
        (3, 2.4, 1.0, 1),  # 0.6 s left rounds to 1
        (3, 5.0, 1.0, 1),  # past the deadline: still at least 1 s to answer
        (None, 1.4, 2.0, 14),  # no --trial: the window's 15 s
    ],
)
def test_the_question_gets_the_seconds_left_after_a_bounded_verify(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    trial: int | None,
    elapsed: float,
    verify_timeout: float,
    left: int,
) -> None:
    timeouts: list[float] = []
    asked: list[tuple[int, Any, Any]] = []

    def verify_within(trial: Any, timeout_s: float) -> tuple[Mismatch, ...] | None:
        timeouts.append(timeout_s)
        return None  # the check did not finish in time: nothing is said

    def ask_keep(seconds: int, stdin: Any, out: Any, **kw: Any) -> tuple[bool, str]:
        asked.append((seconds, out, kw["beat"]))
        return False, "answered no"

    monkeypatch.setattr(apply, "verify_within", verify_within)
    monkeypatch.setattr(apply, "time", SimpleNamespace(monotonic=Clock(500.0, 500.0 + elapsed).monotonic))
    monkeypatch.setattr(apply, "ask_keep", ask_keep)
    code, out, err, tx = run(capsys, result(Outcome.REVERTED), ApplyOptions(store=Store.ACTIVE, trial=trial))
    assert (code, err) == (EXIT_REVERTED, "")
    assert timeouts == [verify_timeout]
    assert tx.trial is not None
    assert [(s, b) for s, _, b in asked] == [(left, tx.trial.beat)]
    seconds = trial or 15
    assert tx.calls == [("begin", CHANGE, seconds, Store.ACTIVE)]
    assert tx.trial.calls == ["revert:answered no"]
    assert out == SHOWN_ACTIVE + trial_line(seconds) + "Reverted (asked): the previous values are back.\n"


# --- --yes: keep once verified ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("trial", "window"), [(7, 3.5), (None, 7.5), (2, 1.0), (1, 1.0), (3600, 1800.0)])
def test_yes_verifies_within_half_the_trial_and_at_least_a_second(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, trial: int | None, window: float
) -> None:
    timeouts: list[float] = []

    def verify_within(trial: Any, timeout_s: float) -> tuple[Mismatch, ...] | None:
        timeouts.append(timeout_s)
        return ()

    monkeypatch.setattr(apply, "verify_within", verify_within)
    code, _, _, tx = run(capsys, result(Outcome.KEPT), ApplyOptions(trial=trial, yes=True))
    assert (code, timeouts, trial_calls(tx)) == (EXIT_OK, [window], ["keep"])


def test_yes_keeps_at_once_once_verified(capsys: pytest.CaptureFixture[str]) -> None:
    # Before: --yes needed --trial and kept without verifying. Now it verifies first, with or without --trial.
    options = ApplyOptions(store=Store.ACTIVE, trial=7, yes=True)
    code, out, err, tx = run(capsys, result(Outcome.KEPT), options, stdin="n\n")  # stdin is never read
    assert (code, err) == (EXIT_OK, "")
    assert tx.calls == [("begin", CHANGE, 7, Store.ACTIVE)]
    assert trial_calls(tx) == ["verify", "keep"]
    assert out == SHOWN_ACTIVE + trial_line(7) + "Kept: active until reboot.\n" + NOTE
    code, out, _, tx = run(capsys, result(Outcome.KEPT), ApplyOptions(yes=True))
    assert tx.calls == [("begin", CHANGE, 15, Store.PERSISTENT)]
    assert out == SHOWN + trial_line() + "Kept: saved (persistent).\n" + NOTE


def test_yes_reverts_what_did_not_stick_with_a_warning_for_each_value(capsys: pytest.CaptureFixture[str]) -> None:
    why = "a value did not take effect"
    other = Mismatch(Family.IPV4, Setting.WORKER_COUNT, 8, 4)
    reverted = result(Outcome.REVERTED, why)
    code, out, err, tx = run(capsys, reverted, ApplyOptions(yes=True), found=(MISMATCH, other))
    assert (code, err) == (EXIT_NETSH, "")
    assert trial_calls(tx) == ["verify", f"revert:{why}"]
    assert out == (
        SHOWN
        + trial_line()
        + f"  warning: {MISMATCH.describe()}\n  warning: {other.describe()}\n"
        + f"Reverted ({why}): the previous values are back; nothing was kept.\n"
    )


def test_yes_reverts_what_could_not_be_verified(capsys: pytest.CaptureFixture[str]) -> None:
    assert NOT_VERIFIED == "the values could not be read back to check them"
    code, out, err, tx = run(
        capsys, result(Outcome.REVERTED, "x"), ApplyOptions(yes=True), found=LoopbackTunerError("r")
    )
    assert (code, err) == (EXIT_NETSH, "")
    assert trial_calls(tx) == ["verify", f"revert:{NOT_VERIFIED}"]
    assert out == SHOWN + trial_line() + f"Reverted ({NOT_VERIFIED}): the previous values are back; nothing was kept.\n"


def test_a_read_slower_than_its_window_is_not_verified_and_is_left_running() -> None:
    release = threading.Event()
    started = threading.Event()

    class Slow:
        def verify(self) -> tuple[None, tuple[Mismatch, ...]]:
            started.set()
            release.wait(30)
            return None, ()

    before = set(threading.enumerate())
    assert apply.verify_within(cast(Any, Slow()), 0) is None
    (reader,) = set(threading.enumerate()) - before
    assert (reader.name, reader.daemon) == ("verify", True)
    release.set()
    reader.join(30)
    done = Trial(result(Outcome.KEPT), (MISMATCH,))
    assert apply.verify_within(cast(Any, done), 30) == (MISMATCH,)
    assert apply.verify_within(cast(Any, Trial(result(Outcome.KEPT), LoopbackTunerError("r"))), 30) is None


def test_yes_beats_for_the_helper_while_it_waits_for_a_slow_check(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.elevation.protocol import BEAT_WINDOW_S

    now = [0.0]  # a virtual clock from the moment the trial began: a wait for the reader moves it

    class SlowReader:  # the check never finishes in time
        def __init__(self, **_: Any) -> None:
            pass

        def start(self) -> None:
            pass

        def join(self, timeout: float | None = None) -> None:
            now[0] += timeout or 0.0

        def is_alive(self) -> bool:
            return True

    class Beating(Trial):
        def beat(self) -> None:
            self.calls.append(f"beat@{now[0]}")

        def revert(self, reason: str = "") -> TransactionResult:
            self.calls.append(f"decided@{now[0]}")
            return self.ending

    monkeypatch.setattr(apply, "threading", SimpleNamespace(Thread=SlowReader))
    trial = Beating(result(Outcome.REVERTED, NOT_VERIFIED))
    services = cast(Services, SimpleNamespace(transactions=SimpleNamespace(begin=lambda *a, **kw: trial)))
    assert apply_change(services, CHANGE, ApplyOptions(yes=True), io.StringIO(), io.StringIO()) == EXIT_NETSH
    capsys.readouterr()
    times = [0.0] + [float(c.split("@")[1]) for c in trial.calls]
    assert trial.calls[-1].startswith("decided@")
    assert max(b - a for a, b in itertools.pairwise(times)) <= BEAT_WINDOW_S, trial.calls


def test_a_revert_under_yes_that_fails_is_an_error_not_a_did_not_stick(capsys: pytest.CaptureFixture[str]) -> None:
    stuck = result(Outcome.REVERT_FAILED, "netsh failed")
    code, out, err, tx = run(capsys, stuck, ApplyOptions(yes=True), found=(MISMATCH,))
    assert code == EXIT_NETSH
    assert trial_calls(tx) == ["verify", "revert:a value did not take effect"]
    assert out == SHOWN + trial_line() + f"  warning: {MISMATCH.describe()}\n"
    assert err == (
        f"{ERR}{outcome_text(stuck)}\n"
        f"{ERR}the trial's values are still in place: check them, or restore the original values.\n"
    )


# --- save: written once, no trial ---------------------------------------------------------------------------------
def test_save_writes_once_through_apply_without_a_trial_or_the_reconnect_note(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before: every command without --trial applied this way; now only `save` does (set is always a trial).
    code, out, err, tx = run(capsys, result(Outcome.KEPT), ApplyOptions(save=True), stdin="n\n", command="save")
    assert (code, err) == (EXIT_OK, "")
    assert tx.calls == [("apply", CHANGE, Store.PERSISTENT)] and tx.trial is None
    assert out == SHOWN + "Kept: saved (persistent).\n"
    code, out, _, _ = run(capsys, result(Outcome.KEPT), ApplyOptions(save=True, yes=True), verbose=True)
    assert out == SHOWN + RAN + "Kept: saved (persistent).\n"


# --- failures -----------------------------------------------------------------------------------------------------
def test_a_failed_apply_prints_its_runs_when_verbose_and_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    failed = ApplyFailedError(result(Outcome.FAILED, "netsh refused", failure=SetFailure.NEEDS_ELEVATION))
    code, out, err, tx = run(capsys, failed, ApplyOptions(yes=True), verbose=True)
    assert code == EXIT_ELEVATION
    assert tx.calls == [("begin", CHANGE, 15, Store.PERSISTENT)] and tx.trial is None
    assert out == SHOWN + RAN
    assert err == f"{ERR}the change could not be applied: netsh refused\n"
    code, out, err, _ = run(capsys, ApplyFailedError(result(Outcome.FAILED, "x")), ApplyOptions(yes=True))
    assert (code, out, err) == (EXIT_NETSH, SHOWN, f"{ERR}the change could not be applied: x\n")
    code, out, _, tx = run(capsys, failed, ApplyOptions(save=True), verbose=True)
    assert (code, out, tx.calls) == (EXIT_ELEVATION, SHOWN + RAN, [("apply", CHANGE, Store.PERSISTENT)])


def test_a_transaction_error_is_one_line_with_its_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err, _ = run(capsys, TransactionBusyError("another change is being tried"), ApplyOptions(yes=True))
    assert (code, out, err) == (EXIT_BUSY, SHOWN, f"{ERR}another change is being tried\n")


def test_an_error_that_is_not_the_transactions_own_is_left_to_the_caller(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(LoopbackTunerError, match=r"^not ours$"):
        run(capsys, LoopbackTunerError("not ours"), ApplyOptions(yes=True))


def test_a_failed_outcome_is_reported_on_stderr_and_a_failed_revert_says_what_is_left(
    capsys: pytest.CaptureFixture[str],
) -> None:
    failed = result(Outcome.KEEP_FAILED, "could not save", mismatches=(MISMATCH,))
    code, out, err, tx = run(capsys, failed, ApplyOptions(yes=True), verbose=True)
    assert code == EXIT_NETSH
    assert trial_calls(tx) == ["verify", "keep"]
    assert out == SHOWN + trial_line() + RAN  # no warning lines, no "Kept", no note: the error line says it
    assert err == f"{ERR}{outcome_text(failed)}\n"
    stuck = result(Outcome.REVERT_FAILED, "netsh failed")
    code, out, err, tx = run(capsys, stuck, ApplyOptions(), stdin="n\n")
    assert code == EXIT_NETSH
    assert trial_calls(tx) == ["verify", "revert:answered no"]
    assert out == SHOWN + trial_line() + ASKED
    assert err == (
        f"{ERR}{outcome_text(stuck)}\n"
        f"{ERR}the trial's values are still in place: check them, or restore the original values.\n"
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
    code, out, err, _ = run(capsys, result(Outcome.KEPT, mismatches=(MISMATCH,)), ApplyOptions(yes=True))
    assert (code, err) == (EXIT_NETSH, "")
    assert out == SHOWN + trial_line() + warning + "Kept, but not every value stuck.\n" + NOTE
    code, out, err, _ = run(capsys, result(Outcome.REVERTED, mismatches=(MISMATCH,)), ApplyOptions(), stdin="n\n")
    assert (code, err) == (EXIT_NETSH, "")
    # A revert re-read with other values is "did not stick" too: it says the user's reason and that not every value
    # went back (the result's own reason, "asked", is not used). Before issue 13: "Reverted (asked): ... are back."
    why = "Reverted (answered no), but not every value went back: check them, or restore the original values.\n"
    assert out == SHOWN + trial_line() + ASKED + warning + why


def test_notices_come_after_the_runs_and_before_the_ending(capsys: pytest.CaptureFixture[str]) -> None:
    from app.domain.notices import Notice, NoticeKind

    kept = result(Outcome.KEPT, notices=(Notice(NoticeKind.HISTORY, "one"), Notice(NoticeKind.ORIGINALS, "two")))
    code, out, _, _ = run(capsys, kept, ApplyOptions(yes=True), verbose=True)
    assert code == EXIT_OK
    assert out == SHOWN + trial_line() + RAN + "note: one\nnote: two\nKept: saved (persistent).\n" + NOTE


# --- --json: one document on stdout, every word for people on stderr ------------------------------------------
def document(**changed: Any) -> dict[str, Any]:
    expected: dict[str, Any] = {
        "format": "loopback-tuner-change",
        "version": 1,
        "command": "set",
        "store": "persistent",
        "change": {"ipv4": {"before": BEFORE.to_json(), "after": AFTER.to_json()}},
        "commands": [PERSISTENT_LINE],
        "ending": "ok",
        "kept": False,
        "reason": "",
        "verified": None,
        "mismatches": [],
        "exit_code": 0,
    }
    assert set(changed) <= set(expected)
    return expected | changed


def parsed(out: str) -> Any:
    assert out.endswith("}\n") and out.count("\n") == 1, "one JSON object on one line"
    return json.loads(out)


def test_the_json_format_and_version_are_pinned() -> None:
    assert (JSON_FORMAT, JSON_VERSION) == ("loopback-tuner-change", 1)


def test_json_of_a_kept_trial_reports_the_values_read_from_its_store(capsys: pytest.CaptureFixture[str]) -> None:
    kept = result(Outcome.KEPT, "", state=STATE)
    code, out, err, _ = run(capsys, kept, ApplyOptions(yes=True, json=True), command="restore")
    assert code == EXIT_OK
    assert parsed(out) == document(command="restore", kept=True, verified={"ipv4": SAVED.to_json()})
    assert err == SHOWN + trial_line() + "Kept: saved (persistent).\n" + NOTE
    code, out, _, _ = run(capsys, kept, ApplyOptions(store=Store.ACTIVE, yes=True, json=True), command="import")
    assert parsed(out) == document(
        command="import", store="active", commands=[ACTIVE_LINE], kept=True, verified={"ipv4": AFTER.to_json()}
    )


def test_json_puts_the_question_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err, tx = run(capsys, result(Outcome.REVERTED), ApplyOptions(json=True), stdin="n\n")
    assert code == EXIT_REVERTED
    assert parsed(out) == document(ending="reverted", reason="asked", exit_code=7)
    assert err == SHOWN + trial_line() + ASKED + "Reverted (asked): the previous values are back.\n"
    assert trial_calls(tx) == ["verify", "revert:answered no"]


def test_json_of_values_that_did_not_stick(capsys: pytest.CaptureFixture[str]) -> None:
    why = "a value did not take effect"
    reverted = result(Outcome.REVERTED, why, state=STATE)
    code, out, err, _ = run(capsys, reverted, ApplyOptions(yes=True, json=True), found=(MISMATCH,))
    assert code == EXIT_NETSH
    assert parsed(out) == document(ending="did-not-stick", reason=why, verified={"ipv4": SAVED.to_json()}, exit_code=3)
    assert err.endswith(
        f"  warning: {MISMATCH.describe()}\nReverted ({why}): the previous values are back; nothing was kept.\n"
    )
    kept = result(Outcome.KEPT, "", mismatches=(MISMATCH,))
    code, out, _, _ = run(capsys, kept, ApplyOptions(yes=True, json=True))
    assert parsed(out) == document(ending="did-not-stick", kept=True, mismatches=[MISMATCH.describe()], exit_code=3)


def test_json_of_a_dry_run_an_empty_change_and_save(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err, tx = run(capsys, AssertionError(), ApplyOptions(dry_run=True, json=True))
    assert (code, parsed(out), err, tx.calls) == (EXIT_OK, document(ending="dry-run"), SHOWN, [])
    code, out, err, tx = run(capsys, AssertionError(), ApplyOptions(json=True), change=Change(), command="save")
    assert parsed(out) == document(command="save", change={}, commands=[], ending="unchanged")
    assert (code, err, tx.calls) == (EXIT_OK, "Nothing to change: the machine already has these values.\n", [])
    code, out, err, _ = run(capsys, result(Outcome.KEPT, ""), ApplyOptions(save=True, json=True), command="save")
    assert parsed(out) == document(command="save", kept=True)
    assert err == SHOWN + "Kept: saved (persistent).\n"


def test_json_of_a_change_that_could_not_be_applied_or_began_at_all(capsys: pytest.CaptureFixture[str]) -> None:
    failed = ApplyFailedError(result(Outcome.FAILED, "netsh refused", failure=SetFailure.NEEDS_ELEVATION))
    code, out, err, _ = run(capsys, failed, ApplyOptions(yes=True, json=True), verbose=True)
    assert code == EXIT_ELEVATION
    assert parsed(out) == document(ending="needs-elevation", reason="netsh refused", exit_code=5)
    assert err == SHOWN + RAN + f"{ERR}the change could not be applied: netsh refused\n"
    code, out, err, _ = run(capsys, TransactionBusyError("busy now"), ApplyOptions(yes=True, json=True))
    assert parsed(out) == document(ending="busy", reason="busy now", exit_code=6)
    assert (code, err) == (EXIT_BUSY, SHOWN + f"{ERR}busy now\n")


def test_json_of_a_failed_revert(capsys: pytest.CaptureFixture[str]) -> None:
    stuck = result(Outcome.REVERT_FAILED, "netsh failed", mismatches=(MISMATCH,))
    code, out, _, _ = run(capsys, stuck, ApplyOptions(json=True), stdin="")
    assert code == EXIT_NETSH
    assert parsed(out) == document(
        ending="revert-failed", reason="netsh failed", mismatches=[MISMATCH.describe()], exit_code=3
    )


# --- the options of a changing command ------------------------------------------------------------------------------
def test_options_from_reads_every_apply_option() -> None:
    args = argparse.Namespace(command="set", store="active", trial=30, yes=True, dry_run=True, json=True)
    assert options_from(args) == ApplyOptions(Store.ACTIVE, 30, yes=True, dry_run=True, json=True, save=False)
    assert options_from(args).seconds == 30


def test_options_from_defaults_and_save() -> None:
    assert options_from(argparse.Namespace(command="history")) == ApplyOptions()
    assert ApplyOptions() == ApplyOptions(Store.PERSISTENT, None, yes=False, dry_run=False, json=False, save=False)
    assert ApplyOptions().seconds == DEFAULT_TRIAL_S == 15
    saved = options_from(argparse.Namespace(command="save", yes=True, dry_run=False, json=False, trial=None))
    assert saved == ApplyOptions(Store.PERSISTENT, None, yes=True, save=True)
