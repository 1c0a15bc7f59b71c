"""The main window's view-model: machine values, pending edits, busy state, the trial and its countdown."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from app.domain.errors import LoopbackTunerError
from app.domain.model import (
    Change,
    ExecutionMode,
    Family,
    LoopbackSettings,
    MachineState,
    ReadFailure,
    Setting,
    SettingsPatch,
    Store,
)
from app.domain.outside import OutsideChange
from app.storage.history import History
from app.storage.originals import OriginalsStore, OriginalValues
from app.usecases.reading import MachineReader, ReadResult, read_machine
from app.usecases.recovery import Finding, Recovered, Recovery
from app.usecases.trial_results import DEFAULT_TRIAL_S, ApplyFailedError, TransactionResult
from app.viewmodels.countdown import Countdown
from app.viewmodels.messages import Level, Message
from app.viewmodels.outcome_messages import recovery_message, result_messages
from app.viewmodels.tasks import in_thread, report_failure

if TYPE_CHECKING:
    import asyncio

    from app.runners.base import NetshRunner
    from app.usecases.trials import Trial, TrialService
    from app.viewmodels.measure_now_vm import MeasureFunction, MeasureNowViewModel

DEFAULT_COUNTDOWN_S = DEFAULT_TRIAL_S


def _error_level(exc: BaseException) -> Level:
    """How a failed change is shown. A refusal the user chose or can wait out is not an error: the cancelled prompt
    informs, a busy machine warns; the rest are errors."""
    from app.usecases.endings import Ending, error_ending  # with the first change (issue 16)

    ending = error_ending(exc)
    levels = {Ending.CANCELLED: Level.INFO, Ending.BUSY: Level.WARNING}
    return levels.get(ending, Level.ERROR) if ending else Level.ERROR


@dataclass(frozen=True)
class FamilyView:
    """Everything a family tab renders."""

    family: Family
    machine: LoopbackSettings | None
    saved: LoopbackSettings | None
    pending: LoopbackSettings | None
    failure: ReadFailure | None
    changed: frozenset[Setting]
    unsaved: frozenset[Setting]
    editable: bool

    @property
    def worker_count_matters(self) -> bool:
        return self.pending is None or self.pending.execution_mode is not ExecutionMode.INLINE


@dataclass(frozen=True)
class FirstRead:
    """What the window's first read found, all of it gathered off the GUI thread (see MainViewModel.first_read)."""

    state: MachineState
    remembered: ReadResult
    outside: tuple[OutsideChange, ...] | None  # None: no outside-change check was wired
    recovery: Recovery | None  # None: no recovery check was wired


@dataclass(frozen=True)
class TrialView:
    """What the keep-or-revert dialog shows."""

    seconds: int
    changes: tuple[str, ...]
    warnings: tuple[str, ...]


class MainViewModel(QObject):
    """Owns state; widgets render it and forward intent. Setters emit only on change."""

    changed = Signal()
    busyChanged = Signal(bool)
    message = Signal(object)  # Message
    trialStarted = Signal(object)  # TrialView
    trialTick = Signal(int)
    trialVerified = Signal(object)  # tuple[str, ...]: values that did not take effect during the trial
    trialEnded = Signal(object)  # TransactionResult
    refreshed = Signal()  # a read finished (the machine's facts and known problems are checked again)

    def __init__(
        self,
        reader: NetshRunner,
        trials: Callable[[], TrialService],
        history: History,
        originals: OriginalsStore,
        *,
        recover: Callable[[], Recovery] | None = None,
        outside: Callable[[MachineState], tuple[OutsideChange, ...]] | None = None,
        countdown_s: int = DEFAULT_COUNTDOWN_S,
        countdown: Countdown | None = None,
        measure_function: MeasureFunction | None = None,
        simulated: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        # The trial machinery (the helper, its channel and protocol) is imported and built by ``trials()`` when the
        # first change begins, on the worker thread that begins it: the window's start never loads it (issue 16).
        self._trials, self.history, self.originals_store = trials, history, originals
        self.reader = MachineReader(reader, originals)
        self.countdown_s = countdown_s
        self.countdown = countdown or Countdown(parent=self)
        self.countdown.ticked.connect(self.trialTick)
        self.countdown.expired.connect(self._on_expired)
        self.countdown.pulsed.connect(self._beat)  # the event loop drives the beats: a hung window stops them
        self._state: MachineState | None = None
        self._pending: dict[Family, LoopbackSettings] = {}
        self._originals: dict[Family, OriginalValues] = {}
        self._busy_text = ""
        self._trial: Trial | None = None
        self._trial_task: asyncio.Future[Any] | None = None
        self._recover = recover
        self._outside_check = outside
        self._outside: tuple[OutsideChange, ...] = ()
        self.read_at: float | None = None
        self._measure_function, self._simulated = measure_function, simulated
        self._measure_now: MeasureNowViewModel | None = None  # made by the first keep dialog (issue 16)

    @property
    def measure_now(self) -> MeasureNowViewModel | None:
        """Measure now in the keep dialog (issue 15); imported and built on first use, never at start-up (issue 16).
        None when no measure function was given."""
        if self._measure_now is None and self._measure_function is not None:
            from app.viewmodels.measure_now_vm import MeasureNowViewModel

            self._measure_now = MeasureNowViewModel(
                lambda: self._trial,
                self.countdown,
                simulated=self._simulated,
                measure_function=self._measure_function,
                parent=self,
            )
            self._measure_now.trialLost.connect(self._on_expired)  # the helper ended it: close the trial now
        return self._measure_now

    # --- state the window reads -------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return bool(self._busy_text)

    @property
    def busy_text(self) -> str:
        return self._busy_text

    @property
    def state(self) -> MachineState | None:
        return self._state

    @property
    def in_trial(self) -> bool:
        return self._trial is not None

    @property
    def originals(self) -> dict[Family, OriginalValues]:
        return dict(self._originals)

    def family_view(self, family: Family) -> FamilyView:
        fs = self._state.families.get(family) if self._state else None
        machine = fs.settings if fs else None
        pending = self._pending.get(family, machine)
        changed = (
            frozenset(s for s, _ in SettingsPatch.between(machine, pending).items())
            if machine and pending
            else frozenset()
        )
        return FamilyView(
            family,
            machine,
            fs.saved if fs else None,
            pending,
            fs.failure if fs else None,
            changed,
            frozenset(fs.unsaved_settings) if fs else frozenset(),
            machine is not None and not self.busy,
        )

    def pending_change(self) -> Change:
        if self._state is None:
            return Change()
        return Change.between(self._state.settings(), {f: p for f, p in self._pending.items()})

    @property
    def has_pending(self) -> bool:
        return not self.pending_change().is_empty

    def pending_summary(self) -> list[str]:
        return self.pending_change().describe()

    def pending_commands(self) -> list[str]:
        from app.usecases.formatting import command_lines  # when first asked (issue 16)

        return command_lines(self.pending_change())

    def undo_commands(self) -> list[str]:
        from app.usecases.formatting import command_lines

        return command_lines(self.pending_change().inverse())

    # --- intent ---------------------------------------------------------------------------------------------
    def _edit(self, family: Family, **fields: object) -> None:
        current = self.family_view(family)
        if not current.editable or current.pending is None:
            return
        updated = dataclasses.replace(current.pending, **fields)  # type: ignore[arg-type]
        if updated != current.pending:
            self._pending[family] = updated
            self.changed.emit()

    def set_mode(self, family: Family, mode: ExecutionMode) -> None:
        self._edit(family, execution_mode=mode)

    def set_workers(self, family: Family, count: int) -> None:
        self._edit(family, worker_count=count)

    def set_large_mtu(self, family: Family, on: bool) -> None:
        self._edit(family, large_mtu=on)

    def set_pending(self, family: Family, settings: LoopbackSettings) -> None:
        """Fill in a whole family's pending values (restore, presets); nothing is applied."""
        if self.family_view(family).editable and self._pending.get(family) != settings:
            self._pending[family] = settings
            self.changed.emit()

    def discard(self) -> None:
        if self._state is not None and self.has_pending:
            self._pending = self._state.settings()
            self.changed.emit()

    def can_start_from_machine_values(self, families: tuple[Family, ...], what: str) -> bool:
        """Restores start from the machine's values: refuse (with a message) while busy, with other pending
        edits (they would be applied along with it, unnoticed), or when a family cannot be read."""
        if self.busy:
            self._post(Level.INFO, f"Please wait: {self._busy_text}")
            return False
        if self.has_pending:
            self._post(
                Level.WARNING,
                f"Apply or discard the pending edits first: {what} starts from the machine's current values.",
            )
            return False
        unreadable = [f.label for f in families if not self.family_view(f).editable]
        if unreadable:
            self._post(
                Level.WARNING,
                f"{' and '.join(unreadable)} cannot be restored: the current values cannot be read (see the tab).",
            )
            return False
        return True

    def restore_original(self, families: tuple[Family, ...]) -> bool:
        """Put the original values of ``families`` into pending edits; False (with a message) when unknown."""
        if not self.can_start_from_machine_values(families, "restoring"):
            return False
        missing = [f.label for f in families if f not in self._originals]
        if missing:
            self._post(Level.WARNING, f"No original values are known for {', '.join(missing)}.")
            return False
        for family in families:
            self.set_pending(family, self._originals[family].settings)
        if not self.has_pending:
            self._post(Level.INFO, "The machine already has its original values.")
            return False
        return True

    # --- async work -----------------------------------------------------------------------------------------
    def _set_busy(self, text: str) -> None:
        if text != self._busy_text:
            was = self.busy
            self._busy_text = text
            self.changed.emit()
            if was != self.busy:
                self.busyChanged.emit(self.busy)

    def _post(self, level: Level, text: str, details: str = "") -> None:
        self.message.emit(Message(level, text, details))

    def post(self, message: Message) -> None:
        """Say something to the user through the window's one message channel."""
        self.message.emit(message)

    async def _take_state(self, state: MachineState | None, *, keep_edits: bool) -> None:
        if state is None:
            return
        self._show_state(state, keep_edits=keep_edits)
        # The first successful read is saved as the original values: file I/O, so off the GUI thread.
        self._take_remembered(await in_thread(self.reader.remember, state))

    def _show_state(self, state: MachineState, *, keep_edits: bool) -> None:
        old_patches = {
            f: SettingsPatch.between(m, self._pending[f])
            for f, m in (self._state.settings().items() if self._state else ())
            if f in self._pending
        }
        self._state = state
        self.read_at = time.time()
        fresh = state.settings()
        self._pending = {
            f: (s.with_patch(old_patches[f]) if keep_edits and f in old_patches else s) for f, s in fresh.items()
        }
        self.changed.emit()

    def _take_remembered(self, read: ReadResult) -> None:
        self._originals = read.originals
        for notice in read.notices:
            self._post(Level.WARNING, notice.text)
        self.changed.emit()

    async def start(self) -> None:
        """First read, then tell the user about any transaction an earlier run left unfinished."""
        await self.refresh()
        if self._recover is not None:
            self._take_recovery(await in_thread(self._recover))

    def begin_first_read(self) -> None:
        """Say the first read has started (the window shows it busy); first_read then runs in a worker thread."""
        self._set_busy("Reading the current values\u2026")

    def first_read(self, reader: NetshRunner | None = None) -> FirstRead:
        """The first read and what start() checks after it, all blocking: for a worker thread started before the
        window is shown (no event loop needed). Touches no Qt object; hand the result to take_first_read.
        ``reader`` replaces this view-model's for this read only (runs started early: app/runners/early.py)."""
        state = read_machine(reader or self.reader.runner)
        remembered = self.reader.remember(state)
        outside = self._outside_check(state) if self._outside_check is not None else None
        recovery = self._recover() if self._recover is not None else None
        return FirstRead(state, remembered, outside, recovery)

    def take_first_read(self, read: FirstRead | None) -> None:
        """On the GUI thread: show what first_read found, as start() would have (the same state, messages and
        signals, in the same order); ``None``: the read failed (its exception went to the crash dialog)."""
        self._set_busy("")
        if read is None:
            self._post(
                Level.ERROR,
                "The current values could not be read (the error report has the details). Refresh to try again.",
            )
            return
        self._show_state(read.state, keep_edits=True)
        self._take_remembered(read.remembered)
        if read.outside is not None:
            self._take_outside(read.outside)
        self._after_read(read.state)
        if read.recovery is not None:
            self._take_recovery(read.recovery)

    def _take_recovery(self, recovery: Recovery) -> None:
        for notice in recovery.notices:
            self._post(Level.WARNING, notice.text)
        for found in recovery.found:
            self._report_recovered(found)

    def _report_recovered(self, found: Recovered) -> None:
        """Say what the check found; a trial still in effect gets its earlier values staged as pending edits."""
        staged = False
        if found.finding is Finding.STILL_APPLIED:
            for fc in found.restore.families:
                current = self._pending.get(fc.family)
                if current is not None:
                    self.set_pending(fc.family, current.with_patch(fc.patch))
            staged = self.pending_change() == found.restore
        self.message.emit(recovery_message(found, staged=staged))

    async def refresh(self) -> None:
        if self.busy:
            self._post(Level.INFO, "Please wait: " + self._busy_text)
            return
        self._set_busy("Reading the current values\u2026")
        try:
            state = await in_thread(read_machine, self.reader.runner)
        finally:
            self._set_busy("")
        await self._take_state(state, keep_edits=True)
        await self._check_outside(state)
        self._after_read(state)

    def _after_read(self, state: MachineState) -> None:
        self.refreshed.emit()
        failed = [(f, fs.failure) for f, fs in state.families.items() if fs.failure]
        if failed:
            names = " and ".join(f.label for f, _ in failed)
            details = "\n\n".join(f"{f.label}: {failure.message}\n{failure.raw}".rstrip() for f, failure in failed)
            self._post(Level.WARNING, f"{names} could not be read; see the tab for why.", details)

    @property
    def outside_changes(self) -> tuple[OutsideChange, ...]:
        """The stores changed outside Loopback Tuner, as the last read found them."""
        return self._outside

    async def _check_outside(self, state: MachineState) -> None:
        if self._outside_check is None:
            return
        self._take_outside(await in_thread(self._outside_check, state))

    def _take_outside(self, found: tuple[OutsideChange, ...]) -> None:
        if found != self._outside:
            self._outside = found
            self.changed.emit()
        for finding in found:
            self._post(Level.WARNING, finding.text)

    async def apply(self) -> None:
        """Begin a trial of the pending change; the countdown then runs until keep, revert or expiry."""
        change = self.pending_change()
        if change.is_empty or self.busy:
            return
        self._set_busy("Applying\u2026 approve the administrator prompt if Windows asks.")
        try:
            trial = await in_thread(lambda: self._trials().begin(change, seconds=self.countdown_s))
        except ApplyFailedError as exc:
            from app.usecases.formatting import format_runs

            await self._take_state(exc.result.state, keep_edits=True)
            self._post(
                Level.ERROR,
                f"The change could not be applied: {str(exc).rstrip('.')}. The values shown are the machine's "
                "values now.",
                format_runs(exc.result.results),
            )
            return
        except LoopbackTunerError as exc:
            self._post(_error_level(exc), str(exc))
            return
        finally:
            if self._trial is None:
                self._set_busy("")
        self._trial = trial
        self._set_busy("Trying the new values\u2026 keep them or they revert by themselves.")
        self.trialStarted.emit(TrialView(self.countdown_s, tuple(trial.change.describe()), ()))
        self.countdown.start(self.countdown_s)  # the helper's deadline runs from the same moment
        state, found = await in_thread(trial.verify)  # a fresh read while the countdown runs
        if self._trial is trial and not trial.deciding:
            await self._take_state(state, keep_edits=True)
            if found:
                warnings = tuple(m.describe() for m in found)
                self.trialVerified.emit(warnings)
                self._post(Level.WARNING, "During the trial, not every value took effect: " + "; ".join(warnings))

    def can_save(self, family: Family) -> bool:
        """A value of ``family`` is active only (lost at the next restart) and could be saved now."""
        view = self.family_view(family)
        return bool(view.unsaved) and view.editable and not self.has_pending

    async def save(self, families: tuple[Family, ...] = tuple(Family)) -> TransactionResult | None:
        """Make the active values of ``families`` persistent, through the elevated path; no trial (it changes no
        behaviour now). Refused with a message while busy or with pending edits (they would be saved unseen)."""
        if self.busy or self._state is None:
            self._post(Level.INFO, f"Please wait: {self._busy_text}" if self.busy else "Read the values first.")
            return None
        if self.has_pending:
            self._post(Level.WARNING, "Apply or discard the pending edits first: saving keeps the values in effect.")
            return None
        from app.usecases.endings import Ending, result_ending  # with the first save (issue 16)
        from app.usecases.formatting import format_runs
        from app.usecases.planning import FamilyUnavailableError, plan_save

        try:
            change = plan_save(self._state, families)
        except FamilyUnavailableError as exc:
            self._post(Level.WARNING, f"Nothing was saved: {exc}.")
            return None
        if change.is_empty:
            self._post(Level.INFO, "Every value is saved already.")
            return None
        self._set_busy("Saving the values in effect… approve the administrator prompt if Windows asks.")
        try:
            result = await in_thread(lambda: self._trials().apply(change, store=Store.PERSISTENT))
        except ApplyFailedError as exc:
            await self._take_state(exc.result.state, keep_edits=False)
            self._post(Level.ERROR, f"The values could not be saved: {exc}", format_runs(exc.result.results))
            return None
        except LoopbackTunerError as exc:
            self._post(_error_level(exc), str(exc))
            return None
        finally:
            self._set_busy("")
        await self._take_state(result.state, keep_edits=False)
        if result_ending(result) is Ending.OK:
            self._post(
                Level.SUCCESS, "The values in effect are saved: they stay after a restart.", format_runs(result.results)
            )
        else:
            self._report(result, "")
        return result

    def _beat(self) -> None:
        if self._trial is not None:
            self._trial.beat()

    def _on_expired(self) -> None:
        if self._trial is not None and self._trial_task is None:
            import asyncio

            self._trial_task = asyncio.ensure_future(self.revert(reason="the time ran out"))
            self._trial_task.add_done_callback(report_failure)

    async def keep(self) -> TransactionResult | None:
        return await self._decide(True, "")

    async def revert(self, reason: str = "") -> TransactionResult | None:
        return await self._decide(False, reason)

    @property
    def deciding(self) -> bool:
        """Keep or revert has been asked for and is running."""
        return self._trial is not None and self._trial.deciding

    async def _decide(self, keep: bool, reason: str) -> TransactionResult | None:
        trial = self._trial
        if trial is None or trial.finished:
            return None
        if trial.deciding:  # a second request (Esc or closing after Keep): wait for the first, change nothing
            return await in_thread(trial.keep)
        self.countdown.stop()
        self._set_busy("Keeping the new values\u2026" if keep else "Restoring the previous values\u2026")
        try:
            if keep:
                result = await in_thread(trial.keep)
            else:
                result = await in_thread(trial.revert, reason or "reverted on request")
        finally:
            self._trial = None
            self._trial_task = None
            self._set_busy("")
        await self._take_state(result.state, keep_edits=False)
        self._report(result, reason)
        self.trialEnded.emit(result)
        return result

    def _report(self, result: TransactionResult, reason: str) -> None:
        for message in result_messages(result, reason):
            self.message.emit(message)
