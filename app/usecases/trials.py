"""The trial of a change, as both faces run it: begin (one prompt), verify, beat, then keep or revert.

The helper does the changing; this side chooses the change, opens the authenticated channel, records history,
and re-reads the machine unelevated afterwards: the truth is always a fresh read. Everything is synchronous and
blocking: the command line calls it directly, a view-model from a worker thread (``asyncio.to_thread``). A
:class:`Trial` may be used from several threads at once (beats from the GUI thread, keep from a worker, a second
keep or revert while the first runs): the first decision wins and every later one gets its result.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from app.domain.errors import LoopbackTunerError, ValidationError
from app.domain.model import Change, Family, FamilyChange, LoopbackSettings, MachineState, Store
from app.domain.notices import Notice, NoticeKind
from app.domain.outcomes import HistoryOutcome, Mismatch, Outcome, mismatches
from app.domain.runs import CommandResult
from app.elevation import session
from app.elevation.backend_args import HelperBackend
from app.elevation.launchers import HelperLauncher, HelperProcess, HelperStartError
from app.elevation.protocol import (
    MAX_PAUSE_S,
    MAX_PAUSES,
    MAX_SWITCHES,
    Active,
    Applied,
    Done,
    Switched,
    change_arguments,
)
from app.elevation.session import Decider, HelperError, TransactionBusyError
from app.runners.base import NetshRunner
from app.storage.files import InterProcessLock, LockBusyError
from app.storage.history import History
from app.usecases.reading import read_machine
from app.usecases.trial_results import DEFAULT_TRIAL_S, ApplyFailedError, TransactionResult

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

# multiprocessing.connection, secrets and tempfile are imported when a change begins: the window only reads until
# then, and at start-up they would cost about 1.5 MB of memory and a few ms (make bench).

GRACE_S = 10.0  # the helper's own deadline trails the app's countdown by this much
NETSH_TIMEOUT_S = 15.0  # the helper's limit for each netsh run
CONNECT_TIMEOUT_S = 120.0  # how long a UAC prompt may stay open before we give up on the helper
APPLY_TIMEOUT_S = 120.0
PROCESS_WAIT_S = 10.0  # after the last message, how long the helper may take to exit

__all__ = [
    "DEFAULT_TRIAL_S",
    "MAX_PAUSE_S",
    "Active",
    "ApplyFailedError",
    "HelperBackend",
    "HelperError",
    "SwitchResult",
    "TransactionBusyError",
    "TransactionResult",
    "Trial",
    "TrialEndedError",
    "TrialService",
]


@dataclass(frozen=True)
class SwitchResult:
    """A switch during a trial: which values the helper says the active store holds, and a fresh unelevated read
    of the machine with what in it differs from those values (a measurement is only worth taking when ``ok``)."""

    active: Active
    helper_ok: bool
    message: str
    results: tuple[CommandResult, ...]
    state: MachineState
    mismatches: tuple[Mismatch, ...]

    @property
    def ok(self) -> bool:
        return self.helper_ok and not self.mismatches


class TrialEndedError(HelperError):
    """The helper ended the trial before the app decided (its cap or beat window passed, or it refused a message);
    keep or revert then reports how it ended."""


@dataclass
class _Session:
    """What a running trial holds of its helper."""

    conn: Connection
    process: HelperProcess
    decider: Decider
    ident: str  # the history entry
    applied: Applied
    store: Store
    notices: list[Notice]
    switched: list[CommandResult] = field(default_factory=list)  # the runs of every switch (Measure now)
    ended: Done | None = None  # the helper ended the trial on its own, found while switching


@dataclass
class Trial:
    """A change in the active store, waiting for keep or revert. The helper's deadline runs from its start."""

    change: Change
    before: dict[Family, LoopbackSettings]
    results: tuple[CommandResult, ...]
    seconds: float
    notices: tuple[Notice, ...]
    state: MachineState | None = None  # set by verify(): a fresh read while the trial runs
    mismatches: tuple[Mismatch, ...] = ()
    _service: TrialService | None = field(default=None, repr=False)
    _session: _Session | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _decision: Future[TransactionResult] | None = field(default=None, repr=False)
    _pauses: int = field(default=0, repr=False)
    _switches: int = field(default=0, repr=False)

    def beat(self) -> None:
        """Tell the helper the app is alive (protocol.BEAT_WINDOW_S); sent by the loop driving the countdown or
        the question, so an app that hangs stops beating and is reverted. Cheap; never raises."""
        if self._session is not None and self._decision is None:
            self._session.decider.beat()

    @property
    def pauses_left(self) -> int:
        """How many more times the countdown may pause (protocol.MAX_PAUSES per trial)."""
        return MAX_PAUSES - self._pauses

    def pause(self, seconds: int) -> None:
        """Move the helper's cap ``seconds`` later (1..protocol.MAX_PAUSE_S), so the countdown can stop while the
        app measures; beats are still due. Raises ValueError when out of bounds or no pause is left (the helper
        would revert: the app never sends one)."""
        if not 1 <= seconds <= MAX_PAUSE_S or self.pauses_left <= 0:
            raise ValueError(f"no pause of {seconds} s is left in this trial")
        if self._session is not None and self._decision is None:
            self._pauses += 1
            self._session.decider.pause(seconds)

    @property
    def switches_left(self) -> int:
        """How many more switches the helper takes in this trial (protocol.MAX_SWITCHES)."""
        return MAX_SWITCHES - self._switches

    def switch(self, to: Active) -> SwitchResult:
        """Put the values found before (``Active.BEFORE``) or the trial values in the active store, through the
        helper, then read the machine (unelevated) and compare it with them. Blocks for the helper's netsh runs.

        Raises TrialEndedError when the helper had ended the trial (keep or revert then reports how), HelperError
        when the trial is being decided or the channel broke, ValueError when no switch is left (the helper would
        revert: the app never sends one).
        """
        assert self._service is not None
        held = self._session
        if held is None or self._decision is not None:
            raise HelperError("The trial is being kept or reverted; nothing was switched.")
        if held.ended is not None:
            raise TrialEndedError(f"The helper already ended the trial ({held.ended.reason}).")
        if self.switches_left <= 0:
            raise ValueError("no switch is left in this trial")
        self._switches += 1
        answer = held.decider.switch(to, 2 * self._service.netsh_timeout_s + 10.0)  # a set per family
        if isinstance(answer, Done):
            held.ended = answer
            raise TrialEndedError(f"The helper already ended the trial ({answer.reason}).")
        held.switched.extend(answer.results)
        state = read_machine(self._service.reader)
        expected = {fc.family: fc.before if to is Active.BEFORE else fc.after for fc in self.change.families}
        found = tuple(mismatches(state, expected))
        return SwitchResult(answer.active, answer.ok, answer.message, answer.results, state, found)

    def verify(self) -> tuple[MachineState, tuple[Mismatch, ...]]:
        """Re-read the machine (unelevated) and compare it with the trial values; runs during the countdown."""
        assert self._service is not None
        state = read_machine(self._service.reader)
        found = tuple(mismatches(state, {fc.family: fc.after for fc in self.change.families}))
        self.state, self.mismatches = state, found
        return state, found

    def keep(self) -> TransactionResult:
        return self._decide(True, "")

    def revert(self, reason: str = "") -> TransactionResult:
        """Revert; ``reason`` (e.g. "the time ran out") is what the history and the result say."""
        return self._decide(False, reason)

    def _decide(self, keep: bool, reason: str) -> TransactionResult:
        """The first decision wins; a later one (Esc after Keep, say) waits for the same result."""
        with self._lock:
            decision, first = self._decision, self._decision is None
            if decision is None:
                decision = self._decision = Future()
        if first:
            assert self._service is not None and self._session is not None
            try:
                decision.set_result(self._service._finish(self, self._session, keep, reason))
            except BaseException as exc:
                decision.set_exception(exc)
                raise
        return decision.result()

    @property
    def deciding(self) -> bool:
        return self._decision is not None

    @property
    def finished(self) -> bool:
        return self._decision is not None and self._decision.done()


class TrialService:
    """Runs trials through the helper; one at a time, across instances (a lock file)."""

    def __init__(
        self,
        reader: NetshRunner,
        launcher: HelperLauncher,
        backend: HelperBackend,
        history: History,
        lock_path: Path,
        *,
        grace_s: float = GRACE_S,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        netsh_timeout_s: float = NETSH_TIMEOUT_S,
    ) -> None:
        self.reader, self.launcher, self.backend, self.history = reader, launcher, backend, history
        self._lock = InterProcessLock(lock_path)
        self.grace_s, self.connect_timeout_s = grace_s, connect_timeout_s
        self.netsh_timeout_s = netsh_timeout_s
        self._busy = False
        self._busy_lock = threading.Lock()

    @property
    def busy(self) -> bool:
        return self._busy

    def apply(self, change: Change, *, store: Store = Store.PERSISTENT) -> TransactionResult:
        """Apply and keep at once (no countdown)."""
        return self.begin(change, seconds=0, store=store).keep()

    def begin(self, change: Change, *, seconds: float, store: Store = Store.PERSISTENT) -> Trial:
        """Apply ``change`` to the active store and return the running trial.

        Raises ValidationError (empty change), TransactionBusyError, ElevationCancelledError, HelperStartError,
        HelperError, or ApplyFailedError (carrying the helper's netsh runs).
        """
        if change.is_empty:
            raise ValidationError("nothing to change")
        with self._busy_lock:
            if self._busy:
                raise TransactionBusyError("A change is already being tried; finish it first.")
            try:
                self._lock.acquire()
            except LockBusyError:
                raise TransactionBusyError(
                    "Another Loopback Tuner (a window or the command line) is trying a change; finish it there first."
                ) from None
            self._busy = True
        try:
            return self._begin(change, seconds, store)
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        with self._busy_lock:
            self._busy = False
            self._lock.release()

    def _begin(self, change: Change, seconds: float, store: Store) -> Trial:
        import secrets

        from app.elevation.channel import ChannelError

        ident, notice = self.history.record_started(change, self.backend.name, store)
        notices = _history_notices(notice)
        authkey = secrets.token_bytes(32)
        try:
            listener = session.open_channel(authkey)
        except ChannelError as exc:  # nothing started: close the history entry so it is not taken as interrupted
            self._finish_history(ident, HistoryOutcome.FAILED, f"the channel could not be opened ({exc})", notices)
            raise HelperError(f"The channel to the helper could not be opened ({exc}); nothing was changed.") from exc
        args = [
            *self.backend.args,
            *("--address", listener.address, "--app-pid", str(os.getpid())),
            *("--deadline-seconds", str(max(1, round(seconds + self.grace_s))), "--keep-store", store.value),
            *("--netsh-timeout", f"{self.netsh_timeout_s:g}"),
            *change_arguments(change),
        ]
        conn: Connection | None = None
        process: HelperProcess | None = None
        try:
            try:
                process = self.launcher.launch(args, authkey)
            except LoopbackTunerError as exc:
                ended = HistoryOutcome.FAILED if isinstance(exc, HelperStartError) else HistoryOutcome.CANCELLED
                self._finish_history(ident, ended, str(exc), notices)
                raise
            conn = session.connect(listener, process, self.connect_timeout_s)
            message = session.receive(conn, APPLY_TIMEOUT_S)
        except LoopbackTunerError as exc:
            _hang_up(conn, process)
            if isinstance(exc, HelperError | TransactionBusyError):  # else it would look unfinished
                self._finish_history(ident, HistoryOutcome.FAILED, str(exc), notices)
            raise
        except Exception as exc:  # anything unexpected: record it, so the next start does not claim a revert
            _hang_up(conn, process)
            self._finish_history(ident, HistoryOutcome.FAILED, f"unexpected error: {exc!r}", notices)
            raise
        finally:
            listener.close()  # already closed by the accepting side unless the launch failed
        if not isinstance(message, Applied):
            _hang_up(conn, process)
            self._finish_history(ident, HistoryOutcome.FAILED, "the helper broke the protocol", notices)
            raise HelperError("The helper answered out of turn; nothing is known to have changed.")
        if not message.ok:
            _hang_up(conn, process)
            state = read_machine(self.reader)
            result = self._result(Outcome.FAILED, message.message, change, message.results, state, message.before)
            result = dataclasses.replace(result, failure=message.failure)
            self._finish_history(ident, HistoryOutcome.FAILED, result.reason, notices, result)
            raise ApplyFailedError(dataclasses.replace(result, notices=tuple(notices)))
        actual = Change(
            tuple(FamilyChange(fc.family, message.before.get(fc.family, fc.before), fc.after) for fc in change.families)
        )
        held = _Session(conn, process, Decider(conn), ident, message, store, notices)
        return Trial(actual, message.before, message.results, seconds, tuple(notices), _service=self, _session=held)

    def _finish(self, trial: Trial, held: _Session, keep: bool, why: str) -> TransactionResult:
        """Send the decision, wait for the helper's report, re-read, record; always releases the lock."""
        try:
            done: Applied | Done | Switched | HelperError
            if held.ended is not None:  # the helper ended the trial on its own (found by a switch)
                done = held.ended
            else:
                held.decider.decide(keep)
                try:
                    done = session.receive(held.conn, self.grace_s + APPLY_TIMEOUT_S)
                except HelperError as exc:
                    done = exc
            _hang_up(held.conn, held.process)
            after = read_machine(self.reader)
            applied = held.applied
            if isinstance(done, Done):
                outcome, reason = done.outcome, done.reason
                results = applied.results + tuple(held.switched) + done.results
                if outcome is Outcome.REVERTED and why and done.reason == "asked":
                    reason = why  # the app knows why it asked: say that, not just "asked"
            elif isinstance(done, Switched):
                outcome, reason, results = Outcome.FAILED, "the helper answered out of turn", applied.results
            else:
                outcome, reason, results = Outcome.FAILED, str(done), applied.results + tuple(held.switched)
            want = {
                fc.family: fc.after if outcome is Outcome.KEPT else applied.before.get(fc.family, fc.before)
                for fc in trial.change.families
            }
            result = self._result(outcome, reason, trial.change, results, after, want)
            if outcome is Outcome.KEPT and held.store is Store.PERSISTENT:  # kept must also mean saved
                seen = {(m.family, m.setting) for m in result.mismatches}  # "did not stick" says it already
                saved = tuple(m for m in mismatches(after, want, Store.PERSISTENT) if (m.family, m.setting) not in seen)
                result = dataclasses.replace(result, mismatches=result.mismatches + saved)
            self._finish_history(held.ident, history_outcome(outcome, held.store), reason, held.notices, result)
            return dataclasses.replace(result, notices=tuple(held.notices))
        finally:
            self._release()

    @staticmethod
    def _result(
        outcome: Outcome,
        reason: str,
        change: Change,
        results: tuple[CommandResult, ...],
        state: MachineState,
        expected: dict[Family, LoopbackSettings],
    ) -> TransactionResult:
        return TransactionResult(outcome, reason, change, results, state, tuple(mismatches(state, expected)))

    def _finish_history(
        self,
        ident: str,
        outcome: HistoryOutcome,
        reason: str,
        notices: list[Notice],
        result: TransactionResult | None = None,
    ) -> None:
        """Append the "finished" record (it fsyncs); a notice about writing it joins ``notices``."""
        after: dict[str, object] = {}
        problems: list[str] = []
        if result is not None and result.state is not None:
            after = result.state.to_json()
            problems = [m.describe() for m in result.mismatches]
        for found in _history_notices(self.history.record_finished(ident, outcome, reason, after, problems)):
            if found not in notices:
                notices.append(found)


def history_outcome(outcome: Outcome, store: Store) -> HistoryOutcome:
    """What the history records for a trial that ended so: a change kept in the active store only lasts until the
    next restart, and is never recorded as "kept"."""
    if outcome is Outcome.KEPT and store is Store.ACTIVE:
        return HistoryOutcome.ACTIVE_UNTIL_RESTART
    return HistoryOutcome(outcome.value)


def _history_notices(text: str | None) -> list[Notice]:
    return [Notice(NoticeKind.HISTORY, text)] if text else []


def _hang_up(conn: Connection | None, process: HelperProcess | None) -> None:
    """Close the channel, then reap the helper: without the channel it ends (reverting what it changed)."""
    if conn is not None:
        conn.close()
    if process is not None:
        process.wait(PROCESS_WAIT_S)
        process.close()
