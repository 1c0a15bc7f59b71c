"""Measure now, in the keep-or-revert dialog (issue 15): before/after figures for the families a trial changed.

The countdown pauses (the helper's cap is moved by a bounded pause; the countdown's pulse keeps beating), the trial
values are measured, the helper switches the active store to the values found before, those are measured, and the
trial values go back; twice, alternately (after, before, after, before), so drift spreads over both. Every switch
is checked by a fresh unelevated read before anything is measured. Cancel stops the measurement and resumes the
countdown; a keep or revert stops it too (the helper then leaves the right values, whichever are active).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from app.domain.measurements import SIMULATED_CAVEAT, FamilyMeasurement, Measurement, MeasurePlan, RunResult
from app.domain.model import Family, LoopbackSettings
from app.domain.outcomes import Mismatch
from app.usecases.measure import Progress, measure
from app.usecases.trials import MAX_PAUSE_S, Active, HelperError, Trial
from app.viewmodels.countdown import Countdown
from app.viewmodels.tasks import gui_poster, in_thread

MeasureFunction = Callable[..., Measurement]  # the use case's signature: app.usecases.measure.measure
# Short enough to wait for in a dialog, long enough to be worth a look: 0.5 s per test, one run per measurement.
MEASURE_NOW_PLAN = MeasurePlan(seconds=0.5, warmup_s=0.2, runs=1)
ROUNDS = 2  # after, before, after, before
SWITCH_ALLOWANCE_S = 5.0  # a switch: one netsh set per family and a read, usually well under a second
MARGIN_S = 10.0  # the measurement is stopped this long before the pause it asked for runs out


@dataclass(frozen=True, slots=True)
class Figure:
    """One row of the before/after table: a figure's name and the two values, as shown."""

    label: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class FamilyFigures:
    """A changed family's before/after measurements and the rows the dialog shows."""

    family: Family
    before: FamilyMeasurement
    after: FamilyMeasurement

    @property
    def rows(self) -> tuple[Figure, ...]:
        def row(label: str, pick: Callable[[FamilyMeasurement], float], render: Callable[[float], str]) -> Figure:
            before, after = (render(pick(m)) if m.runs else "\u2014" for m in (self.before, self.after))
            return Figure(label, before, after)

        return (
            row("Round trip p50", lambda m: m.rtt_p50_us.median, _us),
            row("Round trip p99", lambda m: m.rtt_p99_us.median, _us),
            row("Throughput", lambda m: m.throughput_gb_per_s.median, lambda v: f"{v:.2f} GB/s"),
            row("New connections", lambda m: m.connections_per_s.median, lambda v: f"{v:,.0f}/s"),
        )


def _us(value: float) -> str:
    return f"{value:,.0f} \u00b5s" if value >= 100 else f"{value:.1f} \u00b5s"


@dataclass(frozen=True, slots=True)
class BeforeAfter:
    """What Measure now found: per changed family, the values found before and the trial values, measured
    alternately; ``caveat`` on the simulated machine; ``problem`` says why it stopped short, if it did."""

    families: tuple[FamilyFigures, ...]
    rounds: int
    caveat: str | None
    problem: str = ""

    @property
    def note(self) -> str:
        runs = min((len(f.before.runs) for f in self.families), default=0)
        what = f"Each figure is the median of {runs} run{'s' if runs != 1 else ''}, taken alternately"
        return (
            f"{what} (trial values, then the values before). So few runs show only a large difference; "
            "Tools \u203a Measure loopback measures at length."
        )


class MeasureNowViewModel(QObject):
    """Runs Measure now for the trial its source gives; one at a time. Cancel resumes the countdown."""

    runningChanged = Signal(bool)
    progress = Signal(str)
    finished = Signal(object)  # BeforeAfter (a stopped one too: what it has, and why it stopped)
    failed = Signal(str)  # nothing to show, in words
    trialLost = Signal()  # the helper had ended the trial on its own: the window should close it now

    def __init__(
        self,
        trial: Callable[[], Trial | None],
        countdown: Countdown,
        *,
        simulated: bool,
        measure_function: MeasureFunction = measure,
        plan: MeasurePlan = MEASURE_NOW_PLAN,
        rounds: int = ROUNDS,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._trial, self.countdown, self.simulated = trial, countdown, simulated
        self._measure, self.plan, self.rounds, self.clock = measure_function, plan, rounds, clock
        self._stop = threading.Event()
        self._running = False
        self._deadline: float | None = None  # when the pause asked for runs short (clock), while running
        self.overran = False
        self.result: BeforeAfter | None = None
        countdown.pulsed.connect(self._watch)

    @property
    def running(self) -> bool:
        return self._running

    def available(self) -> bool:
        """Measure now can run: a trial that is not being decided, with a pause and its switches left."""
        trial = self._trial()
        return (
            trial is not None
            and not trial.deciding
            and not self._running
            and trial.pauses_left > 0
            and trial.switches_left >= 2 * self.rounds
        )

    def pause_seconds(self, families: int) -> int:
        """The pause asked for: the whole measurement's estimate, half again, and the margin (at most the cap)."""
        measurements = 2 * self.rounds * families * self.plan.runs
        estimate = measurements * self.plan.seconds_per_run + 2 * self.rounds * SWITCH_ALLOWANCE_S
        return min(MAX_PAUSE_S, math.ceil(estimate * 1.5 + MARGIN_S))

    def _set_running(self, running: bool) -> None:
        if running != self._running:
            self._running = running
            self.runningChanged.emit(running)

    def cancel(self) -> None:
        """Stop the measurement: its worker processes end within a quarter of a second; the countdown resumes."""
        if self._running:
            self._stop.set()

    def _watch(self) -> None:
        """On every pulse of the countdown: stop a measurement that would outlast the pause it asked for."""
        if self._running and self._deadline is not None and self.clock() >= self._deadline:
            self.overran = True
            self._stop.set()

    async def run(self) -> BeforeAfter | None:
        """Measure the changed families before and after; emits progress, then finished or failed."""
        trial = self._trial()
        if trial is None or not self.available():
            if trial is not None and not self._running and not trial.deciding:
                self.failed.emit("Measure now has been used as often as one trial allows.")
            return None
        families = tuple(fc.family for fc in trial.change.families)
        pause_s = self.pause_seconds(len(families))
        self._stop, self.overran, self.result = threading.Event(), False, None
        stop = self._stop

        def should_stop() -> bool:
            return stop.is_set() or trial.deciding

        self._set_running(True)
        self.countdown.pause()
        after: dict[Family, list[RunResult]] = {f: [] for f in families}
        before: dict[Family, list[RunResult]] = {f: [] for f in families}
        problem = ""
        active = Active.TRIAL
        try:
            await in_thread(trial.pause, pause_s)
            self._deadline = self.clock() + pause_s - MARGIN_S
            self.progress.emit("Checking that the trial values are in effect\u2026")
            _state, found = await in_thread(trial.verify)
            if found:
                problem = "the trial values do not read back: " + "; ".join(m.describe() for m in found)
            step, total = 0, 2 * self.rounds
            for _round in range(self.rounds):
                if problem or should_stop():
                    break
                for side, into in ((Active.TRIAL, after), (Active.BEFORE, before)):
                    if should_stop():
                        break
                    if side is not active:
                        self.progress.emit(
                            "Putting the values found before back\u2026"
                            if side is Active.BEFORE
                            else "Putting the trial values back\u2026"
                        )
                        switched = await in_thread(trial.switch, side)
                        active = switched.active
                        if not switched.ok:
                            problem = _switch_problem(switched.message, switched.mismatches)
                            break
                    step += 1
                    measured = await self._measure_side(trial, families, side, step, total, should_stop)
                    for fm in measured.families:
                        into[fm.family].extend(fm.runs)
                        if fm.error and not should_stop():
                            problem = f"{fm.family.label}: {fm.error}"
                    if problem:
                        break
                if problem:
                    break
            if active is not Active.TRIAL and not trial.deciding:
                self.progress.emit("Putting the trial values back\u2026")
                switched = await in_thread(trial.switch, Active.TRIAL)
                if not switched.ok:
                    problem = _switch_problem(switched.message, switched.mismatches)
        except HelperError as exc:  # TrialEndedError included: the helper ended the trial by itself
            if not trial.deciding:
                self._finish_running(trial)
                self.failed.emit(f"The measurement stopped: {exc}")
                self.trialLost.emit()
                return None
        except Exception as exc:  # a bug or the machine refusing processes: said, never lost
            problem = f"the measurement failed: {exc}"
        self._finish_running(trial)
        if trial.deciding:
            return None
        if self.overran and not problem:
            problem = "stopped before the countdown's pause ran out"
        elif stop.is_set() and not problem:
            problem = "cancelled"
        result = BeforeAfter(
            tuple(
                FamilyFigures(
                    f,
                    FamilyMeasurement(f, tuple(before[f]), None, _settings(trial, f, after=False)),
                    FamilyMeasurement(f, tuple(after[f]), None, _settings(trial, f, after=True)),
                )
                for f in families
            ),
            self.rounds,
            SIMULATED_CAVEAT if self.simulated else None,
            problem,
        )
        self.result = result
        self.finished.emit(result)
        return result

    def _finish_running(self, trial: Trial) -> None:
        self._deadline = None
        if not trial.deciding:
            self.countdown.resume()
        self._set_running(False)

    async def _measure_side(
        self,
        trial: Trial,
        families: tuple[Family, ...],
        side: Active,
        step: int,
        total: int,
        should_stop: Callable[[], bool],
    ) -> Measurement:
        on_gui = gui_poster()
        what = "the trial values" if side is Active.TRIAL else "the values found before"

        def report(p: Progress) -> None:  # on the worker thread: hand it to the GUI thread
            on_gui(self.progress.emit, f"Measuring {what} ({step} of {total}): {p.family.label}\u2026")

        return await in_thread(
            self._measure,
            families,
            self.plan,
            simulated=self.simulated,
            settings={f: s for f in families if (s := _settings(trial, f, after=side is Active.TRIAL)) is not None},
            progress=report,
            should_stop=should_stop,
        )


def _settings(trial: Trial, family: Family, *, after: bool) -> LoopbackSettings | None:
    for fc in trial.change.families:
        if fc.family is family:
            return fc.after if after else fc.before
    return None


def _switch_problem(message: str, found: tuple[Mismatch, ...]) -> str:
    if message:
        return f"the switch failed: {message}"
    return "the values did not read back as expected after the switch: " + "; ".join(m.describe() for m in found)
