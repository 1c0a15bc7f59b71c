"""The compare use case against the real helper process on the simulated machine, with the measurement stood in
(figures chosen per configuration): keep the winner, keep nothing, stop half-way, values that do not stick."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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


def _run(services: Services, decide: Decide, *, simulated: bool = False, **more: Any) -> ComparisonReport:
    return compare(
        CONFIGS,
        PLAN,
        history=services.history,
        reader=services.reader,
        launcher=services.launcher,
        backend=helper_backend(services.backend),
        simulated=simulated,
        decide=decide,
        measure_once=more.pop("measure_once", None) or FakeMeasure(services),
        **more,
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
    entries, _ = services.history.load()  # the comparison is in this user's history, finished as reverted
    assert [(e.outcome, e.reason, e.requested.is_empty) for e in entries] == [
        ("reverted", "the original values are back (asked)", True)
    ]
    assert entries[0].comparison is not None and "comparison of 2 configurations" in entries[0].summary()
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


def test_the_start_is_recorded_before_the_helper_runs_with_the_values_found(make_state: MakeState) -> None:
    state = make_state(elevated=True)
    services = _services(state.path)
    seen: list[Any] = []

    def look(_rec: Recommendation, _res: Sequence[ConfigurationResult]) -> int | None:
        seen.extend(services.history.load()[0])  # mid-comparison: the entry is there, unfinished
        return None

    _run(services, look)
    (entry,) = seen
    assert entry.outcome is None and entry.store is Store.PERSISTENT and entry.requested.is_empty
    assert entry.comparison.originals == {Family.IPV4: SIMULATED_INITIAL}
    assert entry.comparison.configurations == (
        ("current", {Family.IPV4: SIMULATED_INITIAL}),
        ("latency", {Family.IPV4: INLINE}),
    )


def test_progress_is_typed_with_each_stage_and_the_time_left_from_an_injected_clock(make_state: MakeState) -> None:
    from app.usecases.compare import CompareProgress, Stage

    state = make_state(elevated=True)
    services = _services(state.path)
    ticks = iter(range(0, 10_000, 10))  # every look at the clock is 10 s later
    seen: list[CompareProgress] = []
    plan = ComparePlan(Goal.LATENCY, MeasurePlan(seconds=0.1, runs=1), rounds=2, families=(Family.IPV4,))
    compare(
        CONFIGS, plan, history=None, reader=services.reader, launcher=services.launcher,
        backend=helper_backend(services.backend), simulated=False, decide=lambda _r, _s: None,
        measure_once=FakeMeasure(services), progress=seen.append, clock=lambda: float(next(ticks)),
    )  # fmt: skip
    steps = [(p.round, p.index, p.label) for p in seen if p.stage is Stage.APPLYING]
    assert steps == [(1, 0, "current"), (1, 1, "latency"), (2, 0, "current"), (2, 1, "latency")]  # interleaved
    assert [p.stage for p in seen[:3]] == [Stage.APPLYING, Stage.VERIFYING, Stage.MEASURING]
    assert all((p.rounds, p.count) == (2, 2) for p in seen)
    # before a step is timed: the plan's estimate per step (3 tests of 0.3 s + 0.2 s start + 1 s) for 4 steps
    assert seen[0].seconds_left == pytest.approx(4 * (plan.measure.seconds_per_run + 1.0))
    # then the steps timed so far: 3 clock reads per step here (applying, verifying, measuring), so 30 s a step
    second = next(p for p in seen if p.stage is Stage.APPLYING and p.index == 1)
    assert second.seconds_left == pytest.approx(3 * 30.0)
    assert seen[seen.index(second) + 1].seconds_left == pytest.approx(3 * 30.0 - 10.0)  # within the step: less
    assert second.describe() == "round 1 of 2: configuration 2 (latency): applying, about 90 s left"


def test_cancel_between_steps_puts_the_originals_back_and_finishes_the_record(make_state: MakeState) -> None:
    state = make_state(elevated=True)
    services = _services(state.path)
    cancel = threading.Event()
    fake = FakeMeasure(services)

    def measure_then_cancel(families: Sequence[Family], plan: MeasurePlan) -> list[FamilyMeasurement]:
        if fake.calls == 1:  # the second step (latency) is in effect: the user cancels while it is measured
            assert machine_values(state)[0][Family.IPV4] == INLINE
            cancel.set()
        return fake(families, plan)

    decided: list[object] = []
    with pytest.raises(ComparisonCancelledError, match="Cancelled: the original values are back") as raised:
        _run(services, lambda r, _s: decided.append(r), cancel=cancel, measure_once=measure_then_cancel)
    assert raised.value.outcome is Outcome.REVERTED and not decided and fake.calls == 2
    assert machine_values(state) == (dict.fromkeys(Family, SIMULATED_INITIAL), dict.fromkeys(Family, SIMULATED_INITIAL))
    entries, _ = services.history.load()
    assert [(e.outcome, e.reason) for e in entries] == [("reverted", "cancelled: asked")]


def test_an_interrupted_session_is_recorded_reverted_only_when_a_read_shows_the_originals(
    make_state: MakeState,
) -> None:
    state = make_state(elevated=True)
    services = _services(state.path)

    def interrupted(_rec: Recommendation, _res: Sequence[ConfigurationResult]) -> int | None:
        raise KeyboardInterrupt

    with pytest.raises(ComparisonCancelledError):
        _run(services, interrupted)
    entries, _ = services.history.load()
    assert [(e.outcome, e.reason) for e in entries] == [
        ("reverted", "stopped: the helper put the original values back (checked)")
    ]


def test_a_refused_prompt_finishes_the_record_as_cancelled(make_state: MakeState) -> None:
    from app.elevation.launchers import ElevationCancelledError
    from app.simulator.profile import UacAnswer

    state = make_state(elevated=False, uac=UacAnswer.CANCEL)
    services = _services(state.path)
    with pytest.raises(ElevationCancelledError):
        _run(services, lambda _r, _s: None)
    entries, _ = services.history.load()
    assert [e.outcome for e in entries] == ["cancelled"]  # not left unfinished: the next start reports nothing


def test_a_workload_is_split_into_an_argv_with_backslashes_kept() -> None:
    from app.domain.errors import ValidationError
    from app.usecases.compare import parse_workload

    assert parse_workload(r'C:\tools\bench.exe --name "two words" x') == (
        r"C:\tools\bench.exe",
        "--name",
        "two words",
        "x",
    )
    assert parse_workload("a; rm -rf / | b") == ("a;", "rm", "-rf", "/", "|", "b")  # no shell: mere arguments
    with pytest.raises(ValidationError, match="cannot be split"):
        parse_workload('run "unclosed')


def test_a_cancelled_workload_is_killed_at_once() -> None:
    import sys
    import time

    from app.usecases.compare import run_workload

    started = time.monotonic()
    run = run_workload([sys.executable, "-c", "import time; time.sleep(60)"], should_stop=lambda: True)
    assert run.exit_code is None and time.monotonic() - started < 10


def test_configurations_fill_presets_as_the_window_does_and_drop_duplicates() -> None:
    from app.domain.errors import ValidationError
    from app.domain.machine_facts import MachineInfo
    from app.domain.model import SettingsPatch
    from app.usecases.compare import comparison_configurations

    info = MachineInfo("pc", "Windows", 22631, "en-US", True, True, processors=6)
    current = {Family.IPV4: SIMULATED_INITIAL}
    found = comparison_configurations(
        current,
        ["current", "throughput", "balanced"],
        [SettingsPatch(ExecutionMode.INLINE)],
        info=info,
        congestion=None,
    )
    assert [c.label for c in found] == ["current", "throughput", "balanced", "custom 1"]
    assert found[1].settings[Family.IPV4] == LoopbackSettings(ExecutionMode.WORKER, 6, True)  # the machine's CPUs
    with pytest.raises(ValidationError, match="nothing to compare"):
        comparison_configurations(current, ["current"], [SettingsPatch()], info=info, congestion=None)


def test_an_ending_other_than_kept_or_reverted_is_recorded_with_the_helpers_reason(tmp_path: Path) -> None:
    from app.domain.comparisons import recommend
    from app.storage.history import History
    from app.usecases.compare import _Record

    history = History(tmp_path / "history.jsonl")
    record = _Record(history, "simulated", CONFIGS)
    results = tuple(ConfigurationResult(c, ()) for c in CONFIGS)
    reason = "saving failed (IPv4: netsh exited 1); it lasts until reboot"
    report = ComparisonReport(
        PLAN, results, recommend(results, Goal.LATENCY, simulated=False), None, Outcome.KEEP_FAILED, reason, False,
        1.0, {Family.IPV4: INLINE},
    )  # fmt: skip
    record.finish_report(report)
    entries, _ = history.load()
    assert [(e.outcome, e.reason) for e in entries] == [("keep-failed", reason)]  # never "the originals are back"
    assert entries[0].after == {"ipv4": INLINE.to_json()}
