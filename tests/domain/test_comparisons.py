"""What a comparison recommends, with fixed figures: a win only beyond the noise, in the goal's figure, never on the
simulated machine; and the helper argument a configuration becomes."""

from __future__ import annotations

from app.domain.comparisons import Configuration, ConfigurationResult, Goal, WorkloadRun, recommend
from app.domain.measurements import ConnectRun, FamilyMeasurement, LatencyRun, RunResult, ThroughputRun
from app.domain.model import ExecutionMode, Family, LoopbackSettings

CURRENT = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)
INLINE = LoopbackSettings(ExecutionMode.INLINE, 4, True)


def _result(label: str, p50s: list[float], gbps: list[float]) -> ConfigurationResult:
    runs = tuple(
        RunResult(LatencyRun(100, p, p, p, p), ThroughputRun(int(g * 1e9), 1.0), ConnectRun(10, 1.0))
        for p, g in zip(p50s, gbps, strict=True)
    )
    return ConfigurationResult(Configuration(label, {Family.IPV4: CURRENT}), (FamilyMeasurement(Family.IPV4, runs),))


BASE = _result("current", [10.0, 10.2, 9.9], [3.0, 3.1, 2.9])
FASTER = _result("latency", [8.0, 8.1, 7.9], [3.0, 2.95, 3.05])  # latency better, throughput no different
BIGGER = _result("throughput", [10.1, 9.8, 10.0], [4.0, 4.1, 3.9])  # throughput better
MIXED = _result("mixed", [7.0, 7.1, 6.9], [2.0, 2.1, 1.9])  # latency better, throughput worse
NOISY = _result("noisy", [6.0, 14.0, 9.0], [2.0, 5.0, 3.0])  # overlaps everything


def test_the_goal_picks_the_figure() -> None:
    assert recommend([BASE, FASTER, BIGGER], Goal.LATENCY, simulated=False).best == 1
    assert recommend([BASE, FASTER, BIGGER], Goal.THROUGHPUT, simulated=False).best == 2


def test_balanced_wins_only_without_getting_worse() -> None:
    rec = recommend([BASE, MIXED, BIGGER], Goal.BALANCED, simulated=False)
    assert rec.best == 2
    assert [s.wins for s in rec.standings] == [False, True]
    assert recommend([BASE, MIXED], Goal.LATENCY, simulated=False).best == 1  # for latency alone, mixed wins


def test_noise_is_no_measurable_difference_and_keeps_the_originals() -> None:
    rec = recommend([BASE, NOISY], Goal.BALANCED, simulated=False)
    assert rec.best is None
    assert "no measurable difference" in rec.reason and "keep the original values" in rec.reason


def test_the_simulated_machine_never_recommends() -> None:
    rec = recommend([BASE, FASTER], Goal.LATENCY, simulated=True)
    assert rec.best is None and "simulated settings do not change it" in rec.reason
    assert rec.standings[0].wins  # the figures are still shown; they are just not attributed to a setting


def test_the_reason_names_the_winner_and_its_margin() -> None:
    rec = recommend([BASE, FASTER], Goal.LATENCY, simulated=False)
    assert rec.reason.startswith("latency wins for latency: latency better by 20% (95% interval")


def test_a_configuration_becomes_whole_values_for_the_helper() -> None:
    config = Configuration("x", {Family.IPV6: INLINE, Family.IPV4: CURRENT})
    assert config.helper_argument() == (
        "ipv4:loopbackexecutionmode=adaptive,loopbackworkercount=4,loopbacklargemtu=enable/"
        "ipv6:loopbackexecutionmode=inline,loopbackworkercount=4,loopbacklargemtu=enable"
    )


def test_workload_runs_count_only_when_they_succeed() -> None:
    result = ConfigurationResult(
        BASE.configuration, BASE.families, (), (WorkloadRun(1.0, 0), WorkloadRun(3.0, 1), WorkloadRun(2.0, 0))
    )
    spread = result.workload_spread
    assert spread is not None and (spread.median, spread.runs) == (1.5, 2)
    assert result.to_json()["workload"]["failed"] == 1  # type: ignore[index]
