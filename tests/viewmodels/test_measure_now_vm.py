"""Measure now's view-model: the countdown pauses and keeps beating, the trial values and the values found before
are measured alternately, the trial values go back, and Cancel, Keep or Revert stop it. A fake trial and a fake
measure function with an injected clock (no sleeping), then once through the real helper on the simulated machine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QObject

from app.domain.measurements import (
    SIMULATED_CAVEAT,
    ConnectRun,
    FamilyMeasurement,
    LatencyRun,
    Measurement,
    MeasurePlan,
    RunResult,
    ThroughputRun,
)
from app.domain.model import Change, ExecutionMode, Family, FamilyChange, LoopbackSettings, MachineState
from app.domain.outcomes import Mismatch, Outcome
from app.simulator.machine import SIMULATED_INITIAL
from app.usecases.measure import Progress
from app.usecases.trials import MAX_PAUSE_S, Active, SwitchResult, TrialEndedError
from app.viewmodels.countdown import Countdown
from app.viewmodels.measure_now_vm import MARGIN_S, BeforeAfter, MeasureNowViewModel
from tests.viewmodels.conftest import Models

INLINE = LoopbackSettings(ExecutionMode.INLINE, 4, True)
CHANGE = Change((FamilyChange(Family.IPV4, SIMULATED_INITIAL, INLINE),))


def _run_result(rtt_us: float) -> RunResult:
    ns = int(rtt_us * 1000)
    return RunResult(LatencyRun.from_round_trips([ns] * 10), ThroughputRun(2 * 10**9, 1.0), ConnectRun(5000, 1.0))


@dataclass
class FakeTrial:
    """The Trial's surface Measure now uses, recording what it was asked, in order."""

    change: Change = CHANGE
    calls: list[str] = field(default_factory=list)
    active: Active = Active.TRIAL
    deciding: bool = False
    pauses_left: int = 3
    switches_left: int = 8
    fail_switch_to: Active | None = None
    end_on_switch: bool = False

    def pause(self, seconds: int) -> None:
        self.calls.append(f"pause {seconds}")
        self.pauses_left -= 1

    def verify(self) -> tuple[MachineState | None, tuple[Mismatch, ...]]:
        self.calls.append("verify")
        return None, ()

    def switch(self, to: Active) -> SwitchResult:
        self.calls.append(f"switch {to.value}")
        if self.end_on_switch:
            raise TrialEndedError("The helper already ended the trial (deadline).")
        self.switches_left -= 1
        ok = to is not self.fail_switch_to
        self.active = to if ok else Active.UNKNOWN
        return SwitchResult(self.active, ok, "" if ok else "IPv4: netsh exited with code 1", (), None, ())  # type: ignore[arg-type]


class FakeMeasure:
    """Measures instantly: 100 µs with the trial values active, 50 µs with the values found before."""

    def __init__(self, trial: FakeTrial, during: Callable[[], None] = lambda: None) -> None:
        self.trial, self.during = trial, during
        self.calls: list[dict[str, Any]] = []

    def __call__(self, families: tuple[Family, ...], plan: MeasurePlan, **kwargs: Any) -> Measurement:
        self.calls.append({"families": families, "active": self.trial.active, **kwargs})
        self.trial.calls.append(f"measure {self.trial.active.value}")
        kwargs["progress"](Progress(1, 1, families[0]))
        self.during()
        stopped = kwargs["should_stop"]()
        rtt = 100.0 if self.trial.active is Active.TRIAL else 50.0
        runs = () if stopped else (_run_result(rtt),)
        return Measurement(
            plan,
            tuple(FamilyMeasurement(f, runs, "stopped" if stopped else None) for f in families),
            families,
            kwargs["simulated"],
        )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _qt_objects(qapp: Any) -> Iterator[None]:
    """The view-models and countdowns a test made, deleted on the GUI thread at its end (never by a collector
    running on a worker thread, which Qt warns about)."""
    yield
    while MADE:
        shiboken6.delete(MADE.pop())


MADE: list[QObject] = []


def _vm(
    trial: FakeTrial, measure: FakeMeasure, *, simulated: bool = True, clock: Clock | None = None
) -> tuple[MeasureNowViewModel, Countdown, dict[str, list[Any]]]:
    countdown = Countdown(tick_ms=60_000)  # driven by hand: tick()
    vm = MeasureNowViewModel(
        lambda: trial,  # type: ignore[arg-type,return-value]
        countdown,
        simulated=simulated,
        measure_function=measure,
        clock=clock or Clock(),
    )
    MADE.extend((countdown, vm))
    seen: dict[str, list[Any]] = {"running": [], "progress": [], "finished": [], "failed": [], "lost": []}
    vm.runningChanged.connect(seen["running"].append)
    vm.progress.connect(seen["progress"].append)
    vm.finished.connect(seen["finished"].append)
    vm.failed.connect(seen["failed"].append)
    vm.trialLost.connect(lambda: seen["lost"].append(True))
    return vm, countdown, seen


def test_after_then_before_alternately_then_the_trial_values_back(run: Callable[[Any], Any]) -> None:
    trial = FakeTrial()
    vm, countdown, seen = _vm(trial, FakeMeasure(trial))
    countdown.start(15)
    result = run(vm.run())
    assert isinstance(result, BeforeAfter) and seen["finished"] == [result]
    pause = vm.pause_seconds(1)
    assert trial.calls == [
        f"pause {pause}",
        "verify",
        "measure trial",
        "switch before",
        "measure before",
        "switch trial",
        "measure trial",
        "switch before",
        "measure before",
        "switch trial",
    ]
    assert trial.active is Active.TRIAL and not result.problem
    (ipv4,) = result.families
    assert (len(ipv4.before.runs), len(ipv4.after.runs)) == (2, 2)
    assert ipv4.before.settings == SIMULATED_INITIAL and ipv4.after.settings == INLINE
    assert ipv4.rows[0].label == "Round trip p50" and (ipv4.rows[0].before, ipv4.rows[0].after) == ("50.0 µs", "100 µs")
    assert [r.label for r in ipv4.rows] == ["Round trip p50", "Round trip p99", "Throughput", "New connections"]
    assert result.caveat == SIMULATED_CAVEAT
    assert seen["running"] == [True, False] and countdown.running and not countdown.paused
    assert countdown.seconds_left == 15  # the countdown did not move while paused
    assert any("values found before" in text for text in seen["progress"])


def test_no_caveat_on_a_real_machine_and_the_pause_stays_within_the_cap(run: Callable[[Any], Any]) -> None:
    trial = FakeTrial()
    vm, countdown, _seen = _vm(trial, FakeMeasure(trial), simulated=False)
    countdown.start(15)
    assert run(vm.run()).caveat is None
    assert 1 <= vm.pause_seconds(2) <= MAX_PAUSE_S and vm.pause_seconds(1) <= vm.pause_seconds(2)


def test_the_countdown_pauses_and_keeps_pulsing_while_measuring(run: Callable[[Any], Any]) -> None:
    trial = FakeTrial()
    pulses: list[int] = []
    observed: list[tuple[bool, int]] = []
    countdown_box: list[Countdown] = []

    def during() -> None:  # in the measurement: the GUI thread's timer ticks twice
        countdown = countdown_box[0]
        observed.append((countdown.paused, countdown.seconds_left))

    measure = FakeMeasure(trial, during)
    vm, countdown, _seen = _vm(trial, measure)
    countdown_box.append(countdown)
    countdown.pulsed.connect(lambda: pulses.append(countdown.seconds_left))
    countdown.start(15)

    async def measure_and_tick() -> None:
        task = asyncio.ensure_future(vm.run())
        while not countdown.paused:
            await asyncio.sleep(0.001)
        for _ in range(3):
            countdown.tick()  # the timer fires during the measurement: a beat, no second counted
        await task

    run(measure_and_tick())
    assert pulses[1:4] == [15, 15, 15]  # pulses (beats) while paused, and the seconds stayed
    assert all(paused for paused, _ in observed) and countdown.seconds_left == 15
    countdown.tick()
    assert countdown.seconds_left == 14  # resumed


def test_cancel_stops_the_measurement_puts_the_trial_values_back_and_resumes(run: Callable[[Any], Any]) -> None:
    trial = FakeTrial()
    vm_box: list[MeasureNowViewModel] = []

    def during() -> None:
        if trial.active is Active.BEFORE:
            vm_box[0].cancel()  # Cancel measurement, while the values found before are active

    vm, countdown, seen = _vm(trial, FakeMeasure(trial, during))
    vm_box.append(vm)
    countdown.start(15)
    result = run(vm.run())
    assert trial.calls[-3:] == ["switch before", "measure before", "switch trial"]
    assert trial.active is Active.TRIAL and result.problem == "cancelled"
    assert countdown.running and not countdown.paused and seen["running"] == [True, False]


def test_keep_during_the_measurement_stops_it_without_switching_back(run: Callable[[Any], Any]) -> None:
    trial = FakeTrial()

    def during() -> None:
        if trial.active is Active.BEFORE:
            trial.deciding = True  # Keep pressed: the helper puts the trial values back itself

    measure = FakeMeasure(trial, during)
    vm, countdown, seen = _vm(trial, measure)
    countdown.start(15)
    assert run(vm.run()) is None
    assert trial.calls[-1] == "measure before" and trial.active is Active.BEFORE  # nothing more was sent
    assert measure.calls[-1]["should_stop"]()  # the worker processes were told to stop
    assert not seen["finished"] and seen["running"] == [True, False]


def test_a_measurement_that_would_outlast_its_pause_is_stopped(run: Callable[[Any], Any]) -> None:
    trial = FakeTrial()
    clock = Clock()
    box: list[Countdown] = []

    def during() -> None:
        if trial.active is Active.BEFORE:
            clock.now += vm.pause_seconds(1)  # the machine is very slow
            box[0].tick()  # the next pulse sees it

    vm, countdown, _seen = _vm(trial, FakeMeasure(trial, during), clock=clock)
    box.append(countdown)
    countdown.start(15)
    result = run(vm.run())
    assert vm.overran and "pause ran out" in result.problem
    assert trial.calls[-3:] == ["switch before", "measure before", "switch trial"] and trial.active is Active.TRIAL
    assert MARGIN_S > 0


def test_a_failed_switch_stops_and_tries_to_put_the_trial_values_back(run: Callable[[Any], Any]) -> None:
    trial = FakeTrial(fail_switch_to=Active.BEFORE)
    vm, countdown, _seen = _vm(trial, FakeMeasure(trial))
    countdown.start(15)
    result = run(vm.run())
    assert "IPv4: netsh exited with code 1" in result.problem
    assert trial.calls[-2:] == ["switch before", "switch trial"] and trial.active is Active.TRIAL
    assert not result.families[0].before.runs and result.families[0].rows[0].before == "\u2014"


def test_a_trial_the_helper_ended_is_reported_and_handed_back(run: Callable[[Any], Any]) -> None:
    trial = FakeTrial(end_on_switch=True)
    vm, countdown, seen = _vm(trial, FakeMeasure(trial))
    countdown.start(15)
    assert run(vm.run()) is None
    assert seen["lost"] == [True] and "helper already ended" in seen["failed"][0]
    assert not vm.running


@pytest.mark.parametrize("limit", [{"pauses_left": 0}, {"switches_left": 3}, {"deciding": True}])
def test_measure_now_is_refused_when_the_trial_cannot_take_it(run: Callable[[Any], Any], limit: dict[str, Any]) -> None:
    trial = FakeTrial(**limit)
    vm, countdown, _seen = _vm(trial, FakeMeasure(trial))
    countdown.start(15)
    assert not vm.available()
    assert run(vm.run()) is None and trial.calls == [] and not countdown.paused


# --- through the real helper -------------------------------------------------------------------------------------
def test_measure_now_in_a_real_trial_measures_each_side_with_its_values_and_keeps(
    models: Callable[..., Models], run: Callable[[Any], Any]
) -> None:
    m = models()
    seen_values: list[tuple[Active, LoopbackSettings]] = []

    def measure(families: tuple[Family, ...], plan: MeasurePlan, **kwargs: Any) -> Measurement:
        active = m.state.load().active[Family.IPV4]  # what the simulated machine holds right now
        seen_values.append((Active.TRIAL if active == INLINE else Active.BEFORE, active))
        runs = (_run_result(100.0 if active == INLINE else 50.0),)
        return Measurement(plan, tuple(FamilyMeasurement(f, runs) for f in families), families, True)

    main = m.main
    now = MeasureNowViewModel(lambda: main._trial, main.countdown, simulated=True, measure_function=measure)
    MADE.append(now)
    run(main.refresh())
    main.set_mode(Family.IPV4, ExecutionMode.INLINE)
    run(main.apply())
    assert main.in_trial
    failures: list[str] = []
    now.failed.connect(failures.append)
    result = run(now.run())
    assert not failures
    assert [v for v, _ in seen_values] == [Active.TRIAL, Active.BEFORE, Active.TRIAL, Active.BEFORE]
    assert seen_values[1][1] == SIMULATED_INITIAL
    assert result.families[0].rows[0].before == "50.0 µs" and not result.problem
    assert m.state.load().active[Family.IPV4] == INLINE  # the trial values are back
    kept = run(main.keep())
    assert kept is not None and kept.outcome is Outcome.KEPT
    assert m.state.load().persistent[Family.IPV4] == INLINE
