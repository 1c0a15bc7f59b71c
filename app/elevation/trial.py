"""The trial itself: apply to the active store, wait for the app's decision, keep or put everything back.

While it waits, the app may pause the trial (its cap moves later, within protocol.MAX_PAUSE_S and MAX_PAUSES; beats
are still due) and switch the active store between the values found before and the trial values (Measure now's
before/after figures). Whatever is active then, a keep saves and leaves the trial values, and every other ending
(revert, silence, a bad message, the channel closing, an unexpected error) leaves the values found before.

Independent of how netsh is run and how the channel is made (tested directly with an in-memory netsh and a
Pipe); the elevated helper process (app/elevation/helper.py) builds one and runs it.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection

from app.domain.commands import Argv, set_global, show_global
from app.domain.model import Family, LoopbackSettings, SettingsPatch, Store
from app.domain.netsh_failure import SetFailure, classify_set_failure
from app.domain.outcomes import Outcome, RevertReason
from app.domain.runs import CommandResult, NetshMissingError
from app.elevation.protocol import (
    BEAT_WINDOW_S,
    DECISION_MAX_BYTES,
    MAX_PAUSES,
    MAX_SWITCHES,
    Active,
    Applied,
    Beat,
    Done,
    Pause,
    ProtocolError,
    Switch,
    Switched,
    parse_trial_message,
)
from app.storage.machine_events import ChangeStage, TrialObserver

RunFn = Callable[[Argv], CommandResult]


def _restore_patch(before: LoopbackSettings, patch: SettingsPatch) -> SettingsPatch:
    """The before-values of exactly the fields ``patch`` touches."""
    return SettingsPatch(
        before.execution_mode if patch.execution_mode is not None else None,
        before.worker_count if patch.worker_count is not None else None,
        before.large_mtu if patch.large_mtu is not None else None,
    )


def _safe_run(run: RunFn, argv: Argv) -> CommandResult:
    try:
        return run(argv)
    except NetshMissingError as exc:
        return CommandResult(argv, None, "", str(exc))


def set_failure(result: CommandResult) -> SetFailure | None:
    """Why a ``set`` run failed (None: it worked), classified once in the domain (app/domain/netsh_failure.py)."""
    return classify_set_failure(None if result.timed_out else result.exit_code, result.output)


def _guarded_run(run: RunFn, argv: Argv) -> CommandResult:
    """A restoring run: any exception is a failed run, so one failure never stops the next family's restore."""
    try:
        return _safe_run(run, argv)
    except Exception as exc:
        return CommandResult(argv, None, "", f"internal error: {exc!r}")


class Transaction:
    """The trial, independent of how netsh is run and how the channel is made (tested directly)."""

    def __init__(
        self,
        run: RunFn,
        conn: Connection,
        changes: list[tuple[Family, SettingsPatch]],
        *,
        deadline_s: float,
        keep_store: Store,
        clock: Callable[[], float] = time.monotonic,
        observer: TrialObserver | None = None,
    ) -> None:
        self.run, self.conn, self.changes = run, conn, changes
        self.observer = observer  # the machine-wide records (originals, history, event log); never decides
        self.keep_store, self.clock = keep_store, clock
        self.deadline_s = deadline_s
        self.deadline = clock() + deadline_s  # restarted when the change is in effect: the app's time starts then
        self.results: list[CommandResult] = []
        self.undone: Outcome | None = None  # set when an unexpected error made the trial put everything back
        self.active = Active.TRIAL  # once applied: which values the active store holds (switches change it)
        self.pauses = 0
        self.switches = 0
        self.reported = 0

    def _send(self, data: bytes) -> None:
        with contextlib.suppress(OSError, ValueError):  # the app is gone; the transaction still ends safely
            self.conn.send_bytes(data)

    def _notify(self, stage: ChangeStage, before: dict[Family, LoopbackSettings]) -> None:
        if self.observer is None:
            return
        try:
            self.observer(stage, before)
        except Exception as exc:  # a record that cannot be written must never stop the trial or its revert
            print(f"helper: the machine-wide record failed ({type(exc).__name__}: {exc})", file=sys.stderr)

    def _restore(self, before: dict[Family, LoopbackSettings], families: list[Family], store: Store) -> bool:
        """Put ``store`` of ``families`` back to ``before``; never raises (each failure is a failed run)."""
        ok = True
        for family, patch in self.changes:
            if family in families:
                result = _guarded_run(self.run, set_global(family, _restore_patch(before[family], patch), store))
                self.results.append(result)
                ok = ok and set_failure(result) is None
        return ok

    def _still_changed(self, before: dict[Family, LoopbackSettings], families: list[Family]) -> list[Family]:
        """Of ``families``, those whose active values no longer read as ``before`` (unreadable counts as changed)."""
        from app.runners.readings import reading_from

        changed = []
        for family in families:
            reading = reading_from(_safe_run(self.run, show_global(family, Store.ACTIVE)))
            if reading != before[family]:
                changed.append(family)
        return changed

    def _read_before(self, store: Store = Store.ACTIVE) -> dict[Family, LoopbackSettings] | str:
        from app.runners.readings import reading_from

        before = {}
        for family, _ in self.changes:
            result = _safe_run(self.run, show_global(family, store))
            reading = reading_from(result)
            if not isinstance(reading, LoopbackSettings):
                return f"{family.label}: {reading.message}"
            before[family] = reading
        return before

    def _wait_decision(self, before: dict[Family, LoopbackSettings]) -> tuple[bool, RevertReason | None]:
        """Wait for keep or revert until the cap (``deadline``) or BEAT_WINDOW_S after the last beat, the earlier.

        An app that hangs stops beating, so it is reverted within the window however long its trial; beats never
        move the cap, only a bounded pause does (and a pause, like a switch, counts as a beat: any valid message
        says the app is alive). A switch is carried out here, and the window starts again after it. The clock is
        read once per message.
        """
        last_beat = self.deadline - self.deadline_s  # the change took effect then
        beat_taken = False
        while True:
            now = self.clock()
            if beat_taken:  # a beat counts from the first reading after it was taken off the channel
                last_beat, beat_taken = now, False
            remaining = min(self.deadline, last_beat + BEAT_WINDOW_S) - now
            try:
                if remaining <= 0 or not self.conn.poll(remaining):
                    return False, RevertReason.DEADLINE
                data = self.conn.recv_bytes(DECISION_MAX_BYTES)
            except EOFError:
                return False, RevertReason.CHANNEL_DROPPED
            except OSError:
                return False, RevertReason.BAD_MESSAGE  # includes a message longer than a decision can be
            try:
                decision = parse_trial_message(data)
            except ProtocolError:
                return False, RevertReason.BAD_MESSAGE
            beat_taken = True
            if decision is Beat.BEAT:
                continue
            if isinstance(decision, Pause):
                self.pauses += 1
                if self.pauses > MAX_PAUSES:
                    return False, RevertReason.BAD_MESSAGE
                self.deadline += decision.seconds
                continue
            if isinstance(decision, Switch):
                self.switches += 1
                if self.switches > MAX_SWITCHES:
                    return False, RevertReason.BAD_MESSAGE
                self._switch(before, decision.to)
                continue
            return (True, None) if decision else (False, RevertReason.ASKED)

    def _switch(self, before: dict[Family, LoopbackSettings], to: Active) -> None:
        """Put ``to``'s values in the active store of every family of the trial, and say what happened.

        A failed run leaves the active store not known (``Active.UNKNOWN``): the trial goes on, and its ending
        writes every family again (a keep the trial values, anything else the values found before).
        """
        start = len(self.results)
        self.active = Active.UNKNOWN  # until every run has worked: a failed or killed run may have changed something
        problem = ""
        for family, patch in self.changes:
            wanted = _restore_patch(before[family], patch) if to is Active.BEFORE else patch
            result = _safe_run(self.run, set_global(family, wanted, Store.ACTIVE))
            self.results.append(result)
            if set_failure(result) is not None:
                problem = f"{family.label}: {result.describe_failure().rstrip('.')}."
                break
        if not problem:
            self.active = to
        self._send(Switched(self.active, not problem, tuple(self.results[start:]), problem).encode())
        self.reported = len(self.results)

    def execute(self) -> Outcome:
        """Apply, wait for the decision, keep or revert; returns how it ended.

        Everything after the first ``set`` runs under one try/finally: unless the machine reached its final
        state (kept, or put back), whatever was touched (active store, and saved store during a keep) is put
        back before any exception leaves, so a bug here can never leave a trial applied. The exception is then
        re-raised for ``main`` to report as a failure.
        """
        before = self._read_before()
        if isinstance(before, str):
            self._send(
                Applied(False, {}, tuple(self.results), f"could not read the values to restore: {before}").encode()
            )
            return Outcome.FAILED
        self._notify(ChangeStage.STARTING, before)
        touched: list[Family] = []  # active store
        saved_before: dict[Family, LoopbackSettings] = {}  # saved store, during a keep
        settled = False  # the machine is in its final state: nothing is left to put back
        try:
            for family, patch in self.changes:
                touched.append(family)  # before the run: a failed or killed run may still have changed something
                result = _safe_run(self.run, set_global(family, patch, Store.ACTIVE))
                self.results.append(result)
                failure = set_failure(result)
                if failure is not None:
                    restored = self._restore(before, touched, Store.ACTIVE)
                    if not restored:  # a refused set usually changed nothing, and its restore fails the same way:
                        # the machine is asked (UNCONFIRMED whether netsh can apply part of a multi-parameter set
                        # before failing), and a machine that reads as before was never left changed (issue 13)
                        restored = not self._still_changed(before, touched)
                    settled = True
                    note = "" if restored else " Restoring the previous values failed too."
                    self._notify(ChangeStage.FAILED if restored else ChangeStage.REVERT_FAILED, before)
                    why = f"{family.label}: {result.describe_failure().rstrip('.')}.{note}"
                    self._send(Applied(False, before, tuple(self.results), why, failure).encode())
                    return Outcome.FAILED if restored else Outcome.REVERT_FAILED
            self.deadline = self.clock() + self.deadline_s  # slow netsh runs before this must not eat the user's time
            self._notify(ChangeStage.APPLIED, before)
            self._send(Applied(True, before, tuple(self.results)).encode())
            self.reported = len(self.results)  # the runs the app has been told about (Applied, then each Switched)
            keep, reason = self._wait_decision(before)
            if keep and self.active is not Active.TRIAL and not self._restore_trial():
                # switched away, and the trial values would not go back: nothing half-kept, the values found before
                restored = self._restore(before, [f for f, _ in self.changes], Store.ACTIVE)
                outcome = Outcome.FAILED if restored else Outcome.REVERT_FAILED
                why = "the trial values could not be put back to keep them; the values found before are back"
            elif keep:
                outcome, why = self._keep(saved_before)
            else:
                assert reason is not None
                restored = self._restore(before, [f for f, _ in self.changes], Store.ACTIVE)
                outcome, why = (Outcome.REVERTED if restored else Outcome.REVERT_FAILED), reason.value
            settled = True
            self._notify(ChangeStage(outcome.value), before)
            self._send(Done(outcome, why, tuple(self.results[self.reported :])).encode())
            return outcome
        except BaseException as exc:
            if not settled:
                settled = True
                self._undo_all(before, touched, saved_before, exc)
            raise

    def _restore_trial(self) -> bool:
        """Write the trial values to the active store of every family (a keep after a switch); True if all took."""
        ok = True
        for family, patch in self.changes:
            result = _safe_run(self.run, set_global(family, patch, Store.ACTIVE))
            self.results.append(result)
            ok = ok and set_failure(result) is None
        if ok:
            self.active = Active.TRIAL
        return ok

    def _keep(self, saved_before: dict[Family, LoopbackSettings]) -> tuple[Outcome, str]:
        """Make the trial values persistent when asked to; ``saved_before`` learns each saved store touched."""
        if self.keep_store is not Store.PERSISTENT:
            return Outcome.KEPT, "kept"
        saved = self._read_before(Store.PERSISTENT)  # what a failure during the keep must put back
        if isinstance(saved, str):
            return Outcome.KEEP_FAILED, f"the saved values could not be read ({saved}); the change lasts until reboot"
        outcome, why = Outcome.KEPT, "kept"
        for family, patch in self.changes:
            saved_before[family] = saved[family]
            result = _safe_run(self.run, set_global(family, patch, Store.PERSISTENT))
            self.results.append(result)
            if not result.ok:
                outcome = Outcome.KEEP_FAILED
                why = f"saving {family.label} failed ({result.describe_failure()}); it lasts until reboot"
        return outcome, why

    def _undo_all(
        self,
        before: dict[Family, LoopbackSettings],
        touched: list[Family],
        saved_before: dict[Family, LoopbackSettings],
        error: BaseException | None,
    ) -> None:
        """After an unexpected error: put back every store touched, then tell the app (if it still listens)."""
        start = len(self.results)
        restored = True
        if saved_before:  # first: writing the saved store may also write the active one (see FACTS.md)
            restored = self._restore(saved_before, list(saved_before), Store.PERSISTENT)
        restored = self._restore(before, touched, Store.ACTIVE) and restored
        outcome = Outcome.REVERTED if restored else Outcome.REVERT_FAILED
        self.undone = outcome
        self._notify(ChangeStage(outcome.value), before)
        with contextlib.suppress(Exception):  # the error may have been the channel or the encoding itself
            self._send(Done(outcome, RevertReason.HELPER_ERROR.value, tuple(self.results[start:])).encode())
        if error is not None:
            print(f"helper: unexpected error, the previous values were put back: {error!r}", file=sys.stderr)
