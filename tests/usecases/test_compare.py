"""The compare use case against the real helper process on the simulated machine, with the measurement stood in
(figures chosen per configuration): keep the winner, keep nothing, stop half-way, values that do not stick."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from app.domain.comparisons import Configuration, ConfigurationResult, Goal, Recommendation
from app.domain.measurements import (
    ConnectRun,
    FamilyMeasurement,
    LatencyRun,
    MeasurePlan,
    RunResult,
    ThroughputRun,
)
from app.domain.model import Change, ExecutionMode, Family, LoopbackSettings, Store
from app.domain.outcomes import Outcome
from app.paths import AppPaths
from app.runners.factory import choose_backend
from app.simulator.machine import SIMULATED_INITIAL
from app.simulator.profile import Fault
from app.usecases.compare import ComparePlan, ComparisonCancelledError, ComparisonReport, Decide, compare
from app.wiring import Services, build_services, helper_backend
from tests.conftest import MakeState, machine_values

INLINE = LoopbackSettings(ExecutionMode.INLINE, 4, True)
CONFIGS = [Configuration("current", {Family.IPV4: SIMULATED_INITIAL}), Configuration("latency", {Family.IPV4: INLINE})]
PLAN = ComparePlan(Goal.LATENCY, MeasurePlan(seconds=0.1, runs=1), rounds=3, families=(Family.IPV4,))


class FakeMeasure:
    """Round trips of 10 us with the current values and 5 us with inline mode (read off the machine)."""

    def __init__(self, services: Services) -> None:
        self.services, self.calls = services, 0

    def __call__(self, families: Sequence[Family], plan: MeasurePlan) -> list[FamilyMeasurement]:
        from app.usecases.reading import read_machine

        self.calls += 1
        mode = read_machine(self.services.reader)[Family.IPV4].settings
        p50 = 5.0 if mode == INLINE else 10.0
        p50 += self.calls * 0.01  # a little noise
        run = RunResult(LatencyRun(100, p50, p50, p50, p50), ThroughputRun(3 * 10**9, 1.0), ConnectRun(10, 1.0))
        return [FamilyMeasurement(Family.IPV4, (run,))]


def _services(state_path: Path) -> Services:
    return build_services(choose_backend(backend="simulated", state=str(state_path)), AppPaths.default())


def _run(services: Services, decide: Decide, *, simulated: bool = False) -> ComparisonReport:
    return compare(
        CONFIGS,
        PLAN,
        history=services.history,
        reader=services.reader,
        launcher=services.launcher,
        backend=helper_backend(services.backend),
        simulated=simulated,
        decide=decide,
        measure_once=FakeMeasure(services),
    )


def test_the_winner_is_kept_and_saved(make_state: MakeState) -> None:
    state = make_state(elevated=True)
    services = _services(state.path)
    seen: list[Recommendation] = []

    def keep_best(rec: Recommendation, _results: Sequence[ConfigurationResult]) -> int | None:
        seen.append(rec)
        return rec.best

    report = _run(services, keep_best)
    assert seen[0].best == 1 and "better by 50%" in seen[0].reason
    assert report.kept == 1 and report.outcome is Outcome.KEPT
    assert [len(r.families[0].runs) for r in report.results] == [3, 3]
    active, saved = machine_values(state)
    assert active[Family.IPV4] == INLINE and saved[Family.IPV4] == INLINE
    assert report.to_json()["kept"] == 1
    entries, _ = services.history.load()  # this user's history: the kept change, so History can revert it
    assert [(e.outcome, e.reason, e.store) for e in entries] == [
        ("kept", "kept by a comparison (latency)", Store.PERSISTENT)
    ]
    assert (
        entries[0].requested.describe()
        == Change.between({Family.IPV4: SIMULATED_INITIAL}, {Family.IPV4: INLINE}).describe()
    )


def test_keep_none_puts_the_originals_back(make_state: MakeState) -> None:
    state = make_state(elevated=True)
    services = _services(state.path)
    report = _run(services, lambda _rec, _res: None)
    assert services.history.load()[0] == []  # nothing kept, nothing changed: no history entry
    assert report.kept is None and report.outcome is Outcome.REVERTED
    assert machine_values(state) == (dict.fromkeys(Family, SIMULATED_INITIAL), dict.fromkeys(Family, SIMULATED_INITIAL))


def test_on_the_simulated_machine_nothing_is_recommended(make_state: MakeState) -> None:
    state = make_state(elevated=True)
    report = _run(_services(state.path), lambda rec, _res: rec.best, simulated=True)
    assert report.recommendation.best is None and report.kept is None
    assert report.to_json()["caveat"] is not None


def test_stopping_half_way_puts_the_originals_back(make_state: MakeState) -> None:
    state = make_state(elevated=True)

    def interrupted(_rec: Recommendation, _res: Sequence[ConfigurationResult]) -> int | None:
        assert machine_values(state)[0][Family.IPV4] == INLINE  # the last configuration is in effect
        raise KeyboardInterrupt

    with pytest.raises(ComparisonCancelledError, match="original values"):
        _run(_services(state.path), interrupted)
    assert machine_values(state) == (dict.fromkeys(Family, SIMULATED_INITIAL), dict.fromkeys(Family, SIMULATED_INITIAL))


def test_values_that_do_not_stick_are_reported_and_the_comparison_goes_on(make_state: MakeState) -> None:
    state = make_state(elevated=True, faults=frozenset({Fault.SET_IGNORED}))
    report = _run(_services(state.path), lambda rec, _res: rec.best)
    latency = report.results[1]
    assert len(latency.problems) == 3 and all("did not stick" in p for p in latency.problems)
    assert latency.families == ()
    assert report.recommendation.best is None and report.outcome is Outcome.REVERTED
