"""The helper's comparison session: several configurations tried in turn under one elevation, then one kept or the
original values put back. The trial's rules hold for the whole session: every configuration was validated from the
command line before anything ran; the app's messages are decisions only (compare_protocol); a cap on the whole
session, a beat window (protocol.BEAT_WINDOW_S), a closed channel or a bad message put the original values back;
and after the first ``set`` an unexpected error puts back every store touched before it leaves.
Independent of how netsh is run and how the channel is made (tested with an in-memory netsh and a Pipe).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection

from app.domain.commands import set_global, show_global
from app.domain.model import Family, LoopbackSettings, SettingsPatch, Store
from app.domain.outcomes import Outcome, RevertReason
from app.domain.runs import CommandResult
from app.elevation.compare_protocol import KeepConfiguration, Next, Ready, RevertAll, Step, parse_session_decision
from app.elevation.protocol import BEAT_WINDOW_S, DECISION_MAX_BYTES, Beat, Done, ProtocolError
from app.elevation.trial import RunFn, _guarded_run, _safe_run, set_failure
from app.storage.machine_events import ChangeStage, TrialObserver

Configuration = Sequence[tuple[Family, SettingsPatch]]


def _full(settings: LoopbackSettings) -> SettingsPatch:
    return SettingsPatch(settings.execution_mode, settings.worker_count, settings.large_mtu)


class ComparisonSession:
    """Apply configuration 0, 1, ... as the app asks ("next"), then keep one or put the originals back."""

    def __init__(
        self,
        run: RunFn,
        conn: Connection,
        configurations: Sequence[Configuration],
        *,
        deadline_s: float,
        keep_store: Store = Store.PERSISTENT,
        clock: Callable[[], float] = time.monotonic,
        observer_for: Callable[[Configuration], TrialObserver] | None = None,
    ) -> None:
        if not configurations:
            raise ValueError("no configurations")
        self.run, self.conn, self.configurations = run, conn, [list(c) for c in configurations]
        self.keep_store, self.clock, self.deadline_s = keep_store, clock, deadline_s
        self.families = [f for f in Family if any(f is g for c in self.configurations for g, _ in c)]
        self.results: list[CommandResult] = []
        self.before: dict[Family, LoopbackSettings] = {}
        self.current: dict[Family, LoopbackSettings] = {}  # what this session last wrote to the active store
        self.touched: set[Family] = set()  # active store
        self.saved_before: dict[Family, LoopbackSettings] = {}  # saved store, during a keep
        self.applied: list[int] = []  # the configurations applied, in order (tests and the report)
        # The machine-wide records (MachineRecords.observer): the originals before anything is set, and the kept
        # configuration. A session that ends reverted leaves the machine as it was and adds no history line.
        self.observer_for = observer_for

    def _notify(self, configuration: Configuration, stage: ChangeStage) -> None:
        if self.observer_for is None:
            return
        try:
            self.observer_for(configuration)(stage, self.before)
        except Exception as exc:  # a record that cannot be written must never stop the session or its revert
            print(f"helper: the machine-wide record failed ({type(exc).__name__}: {exc})", file=sys.stderr)

    def _send(self, data: bytes) -> None:
        with contextlib.suppress(OSError, ValueError):  # the app is gone; the session still ends safely
            self.conn.send_bytes(data)

    def target(self, index: int) -> dict[Family, LoopbackSettings]:
        """Configuration ``index`` as full values for every family of the session (unnamed families: as found)."""
        patches = dict(self.configurations[index])
        return {f: self.before[f].with_patch(patches.get(f, SettingsPatch())) for f in self.families}

    def _read(self, store: Store) -> dict[Family, LoopbackSettings] | str:
        from app.runners.readings import reading_from

        found = {}
        for family in self.families:
            reading = reading_from(_safe_run(self.run, show_global(family, store)))
            if not isinstance(reading, LoopbackSettings):
                return f"{family.label}: {reading.message}"
            found[family] = reading
        return found

    def _write(self, values: dict[Family, LoopbackSettings], store: Store, *, guarded: bool = False) -> str | None:
        """Write ``values`` where the store differs; the first failure's reason, or None."""
        for family, settings in values.items():
            now = self.current.get(family) if store is Store.ACTIVE else self.saved_before.get(family)
            if now == settings:
                continue
            if store is Store.ACTIVE:
                self.touched.add(family)  # before the run: a failed or killed run may still have changed something
            argv = set_global(family, _full(settings), store)
            result = _guarded_run(self.run, argv) if guarded else _safe_run(self.run, argv)
            self.results.append(result)
            if set_failure(result) is not None:
                return f"{family.label}: {result.describe_failure().rstrip('.')}"
            if store is Store.ACTIVE:
                self.current[family] = settings
        return None

    def _restore_active(self) -> bool:
        """Put the values found at the start back into the active store of every family touched; never raises."""
        ok = True
        for family in self.families:
            if family in self.touched:
                result = _guarded_run(self.run, set_global(family, _full(self.before[family]), Store.ACTIVE))
                self.results.append(result)
                if set_failure(result) is None:
                    self.current[family] = self.before[family]
                else:
                    ok = False
        return ok

    def _wait(self, count: int) -> Next | KeepConfiguration | RevertAll | RevertReason:
        """The app's next decision, or why the session must end (deadline, beat window, channel, bad message)."""
        last = self.clock()
        while True:
            remaining = min(self.deadline, last + BEAT_WINDOW_S) - self.clock()
            try:
                if remaining <= 0 or not self.conn.poll(remaining):
                    return RevertReason.DEADLINE
                data = self.conn.recv_bytes(DECISION_MAX_BYTES)
            except EOFError:
                return RevertReason.CHANNEL_DROPPED
            except OSError:
                return RevertReason.BAD_MESSAGE
            try:
                decision = parse_session_decision(data, count)
            except ProtocolError:
                return RevertReason.BAD_MESSAGE
            last = self.clock()
            if decision is Beat.BEAT:
                continue
            assert not isinstance(decision, Beat)
            return decision

    def execute(self) -> Outcome:
        """Run the session to its end; returns how it ended (kept, reverted, failed, revert-failed, keep-failed)."""
        before = self._read(Store.ACTIVE)
        if isinstance(before, str):
            self._send(Ready(False, {}, f"could not read the values to restore: {before}").encode())
            return Outcome.FAILED
        self.before, self.current = before, dict(before)
        self._notify(self.configurations[0], ChangeStage.STARTING)
        self.deadline = self.clock() + self.deadline_s
        self._send(Ready(True, before).encode())
        position = -1
        try:
            while True:
                decision = self._wait(len(self.configurations))
                if isinstance(decision, Next):
                    position = (position + 1) % len(self.configurations)
                    self._step(position)
                    continue
                if isinstance(decision, KeepConfiguration):
                    outcome, why = self._keep(decision.index)
                    if outcome in (Outcome.KEPT, Outcome.KEEP_FAILED):
                        self._notify(self.configurations[decision.index], ChangeStage(outcome.value))
                else:
                    reason = RevertReason.ASKED if isinstance(decision, RevertAll) else decision
                    outcome = Outcome.REVERTED if self._restore_active() else Outcome.REVERT_FAILED
                    why = reason.value
                self.touched.clear()
                self.saved_before.clear()
                self._send(Done(outcome, why, ()).encode())
                return outcome
        except BaseException as exc:
            self._undo_all(exc)
            raise

    def _step(self, index: int) -> None:
        start = len(self.results)
        self.applied.append(index)
        problem = self._write(self.target(index), Store.ACTIVE)
        if problem is None:
            self._send(Step(index, True, tuple(self.results[start:])).encode())
            return
        failure = set_failure(self.results[-1])
        restored = self._restore_active()
        note = "" if restored else " Restoring the original values failed too."
        self._send(Step(index, False, tuple(self.results[start:]), f"{problem}.{note}", failure).encode())
        if not restored:
            raise RuntimeError("the original values could not be put back after a failed configuration")

    def _keep(self, index: int) -> tuple[Outcome, str]:
        target = self.target(index)
        problem = self._write(target, Store.ACTIVE)
        if problem is not None:
            restored = self._restore_active()
            return (Outcome.FAILED if restored else Outcome.REVERT_FAILED), f"configuration {index + 1}: {problem}"
        if self.keep_store is not Store.PERSISTENT:
            return Outcome.KEPT, "kept"
        saved = self._read(Store.PERSISTENT)
        if isinstance(saved, str):
            return Outcome.KEEP_FAILED, f"the saved values could not be read ({saved}); the change lasts until reboot"
        self.saved_before = dict(saved)
        problem = self._write(target, Store.PERSISTENT)
        if problem is not None:
            return Outcome.KEEP_FAILED, f"saving failed ({problem}); it lasts until reboot"
        return Outcome.KEPT, "kept"

    def _undo_all(self, error: BaseException) -> None:
        """After an unexpected error: put back every store touched, then tell the app (if it still listens)."""
        start = len(self.results)
        restored = True
        for family, settings in self.saved_before.items():
            result = _guarded_run(self.run, set_global(family, _full(settings), Store.PERSISTENT))
            self.results.append(result)
            restored = restored and set_failure(result) is None
        restored = self._restore_active() and restored
        outcome = Outcome.REVERTED if restored else Outcome.REVERT_FAILED
        with contextlib.suppress(Exception):
            self._send(Done(outcome, RevertReason.HELPER_ERROR.value, tuple(self.results[start:])).encode())
        print(f"helper: unexpected error, the original values were put back: {error!r}", file=sys.stderr)
