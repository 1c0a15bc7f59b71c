"""The measure use case over a stand-in for the worker processes: run order, failures, stopping, what it records."""

from __future__ import annotations

import pytest

from app.benchmark.pair import MeasureError, MeasureStoppedError
from app.domain.measurements import ConnectRun, LatencyRun, MeasurePlan, RunResult, ThroughputRun
from app.domain.model import ExecutionMode, Family, LoopbackSettings
from app.usecases.measure import Progress, measure

PLAN = MeasurePlan(seconds=0.1, warmup_s=0.0, runs=3)


class FakeRuns:
    """Returns numbered results and remembers the order it was asked in; fails where told."""

    def __init__(self, fail_on: dict[tuple[Family, int], str] | None = None) -> None:
        self.calls: list[Family] = []
        self.fail_on = fail_on or {}

    def __call__(self, family: Family, plan: MeasurePlan) -> RunResult:
        assert plan is PLAN
        self.calls.append(family)
        nth = self.calls.count(family)
        if (family, nth) in self.fail_on:
            raise MeasureError(self.fail_on[(family, nth)])
        return RunResult(LatencyRun(10, nth, nth, nth, nth), ThroughputRun(nth, 1.0), ConnectRun(nth, 1.0))


def test_runs_alternate_between_families() -> None:
    fake = FakeRuns()
    seen: list[Progress] = []
    result = measure([Family.IPV4, Family.IPV6], PLAN, simulated=False, run_once=fake, progress=seen.append)
    assert fake.calls == [Family.IPV4, Family.IPV6] * 3
    assert result.order == (Family.IPV4, Family.IPV6) * 3
    assert [(p.index, p.total, p.family) for p in seen] == [
        (i + 1, 6, f) for i, f in enumerate([Family.IPV4, Family.IPV6] * 3)
    ]
    assert result.ok and not result.simulated and result.caveat is None
    assert [r.latency.p50_us for r in result[Family.IPV4].runs] == [1, 2, 3]
    assert result[Family.IPV6].rtt_p50_us.median == 2


def test_a_family_that_fails_keeps_what_it_measured_and_the_other_goes_on() -> None:
    fake = FakeRuns({(Family.IPV6, 2): "the benchmark client failed: reset"})
    result = measure([Family.IPV4, Family.IPV6], PLAN, simulated=True, run_once=fake)
    assert fake.calls == [Family.IPV4, Family.IPV6, Family.IPV4, Family.IPV6, Family.IPV4]
    v6 = result[Family.IPV6]
    assert v6.error == "the benchmark client failed: reset" and len(v6.runs) == 1 and not v6.ok
    assert result[Family.IPV4].ok and len(result[Family.IPV4].runs) == 3
    assert not result.ok
    assert result.simulated and result.caveat is not None and "simulated" in result.caveat


def test_a_stopped_measurement_returns_what_it_has() -> None:
    fake = FakeRuns()
    asked = iter([False, False, True])
    result = measure([Family.IPV4, Family.IPV6], PLAN, simulated=False, run_once=fake, should_stop=lambda: next(asked))
    assert fake.calls == [Family.IPV4, Family.IPV6]
    assert all(f.error == "stopped before every run was taken" for f in result.families)


def test_the_settings_read_before_are_recorded_and_a_family_is_measured_once_however_often_named() -> None:
    settings = {Family.IPV6: LoopbackSettings(ExecutionMode.WORKER, 2, False)}
    fake = FakeRuns()
    result = measure([Family.IPV6, Family.IPV6], PLAN, simulated=False, settings=settings, run_once=fake)
    assert fake.calls == [Family.IPV6] * 3
    assert [f.family for f in result.families] == [Family.IPV6]
    assert result[Family.IPV6].settings == settings[Family.IPV6]


def test_an_unexpected_error_is_not_swallowed() -> None:
    def broken(_family: Family, _plan: MeasurePlan) -> RunResult:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError, match="a bug"):
        measure([Family.IPV4], PLAN, simulated=False, run_once=broken)


def test_a_run_stopped_midway_ends_the_measurement_with_what_it_has() -> None:
    stop = False
    fake = FakeRuns()

    def stopped_in_the_second_run(family: Family, plan: MeasurePlan) -> RunResult:
        nonlocal stop
        if fake.calls:
            stop = True
            raise MeasureStoppedError("stopped on request")
        return fake(family, plan)

    result = measure(
        [Family.IPV4, Family.IPV6], PLAN, simulated=False, run_once=stopped_in_the_second_run, should_stop=lambda: stop
    )
    assert result.order == (Family.IPV4,)
    assert len(result[Family.IPV4].runs) == 1
    assert all(f.error == "stopped before every run was taken" for f in result.families)
