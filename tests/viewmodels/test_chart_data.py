"""The chart's rows from fixed measurements and comparisons: one row per family or per configuration, each figure the
median of the runs with their lowest and highest, the recommended row marked, the simulated machine's caveat."""

from __future__ import annotations

import pytest

from app.domain.comparisons import (
    Configuration,
    ConfigurationResult,
    Goal,
    Recommendation,
    WorkloadRun,
    recommend,
)
from app.domain.measurements import (
    SIMULATED_CAVEAT,
    ConnectRun,
    FamilyMeasurement,
    LatencyRun,
    Measurement,
    MeasurePlan,
    RunResult,
    Spread,
    ThroughputRun,
)
from app.domain.model import ExecutionMode, Family, LoopbackSettings
from app.viewmodels.chart_data import ChartRow, chart_from_comparison, chart_from_measurement, per_round

CURRENT = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)


def run(p50: float, gbps: float, per_s: float = 1000.0) -> RunResult:
    """A run whose p90 and p99 are p50 + 1 and p50 + 5, so each figure can be told apart."""
    return RunResult(
        LatencyRun(100, p50, p50 + 1, p50 + 5, p50 + 9),
        ThroughputRun(int(gbps * 1e9), 1.0),
        ConnectRun(int(per_s), 1.0),
    )


IPV4 = FamilyMeasurement(Family.IPV4, (run(10, 3.0, 900), run(12, 2.0, 1100), run(11, 4.0, 1000)))
IPV6 = FamilyMeasurement(Family.IPV6, (run(20, 1.0), run(22, 1.5)))


def test_a_measurement_has_one_row_per_family_with_the_median_and_range_of_its_runs() -> None:
    chart = chart_from_measurement(Measurement(MeasurePlan(), (IPV4, IPV6), (Family.IPV4, Family.IPV6), False))
    assert [(row.label, row.family) for row in chart.rows] == [("IPv4", Family.IPV4), ("IPv6", Family.IPV6)]
    v4 = chart.rows[0]
    assert v4.rtt_p50_us == Spread(11.0, 10.0, 12.0, 3)
    assert v4.rtt_p90_us == Spread(12.0, 11.0, 13.0, 3)
    assert v4.rtt_p99_us == Spread(16.0, 15.0, 17.0, 3)
    assert v4.throughput_gb_per_s == Spread(3.0, 2.0, 4.0, 3)
    assert v4.connections_per_s == Spread(1000.0, 900.0, 1100.0, 3)
    assert v4.workload_s is None and not v4.recommended
    assert chart.rows[1].rtt_p50_us == Spread(21.0, 20.0, 22.0, 2)
    assert chart.caveat is None and chart.title == "Loopback measurement"


def test_a_family_that_could_not_be_measured_keeps_an_empty_row_and_the_simulated_caveat_is_carried() -> None:
    failed = FamilyMeasurement(Family.IPV6, (), error="no ::1 on this machine")
    chart = chart_from_measurement(Measurement(MeasurePlan(), (IPV4, failed), (Family.IPV4,), True))
    assert chart.rows[1] == ChartRow("IPv6", Family.IPV6, None, None, None, None, None, None)
    assert chart.caveat == SIMULATED_CAVEAT
    assert chart.title == "Loopback measurement (incomplete)"


def _result(label: str, *families: FamilyMeasurement, workload: tuple[WorkloadRun, ...] = ()) -> ConfigurationResult:
    settings = {f.family: CURRENT for f in families}
    return ConfigurationResult(Configuration(label, settings), families, (), workload)


def test_a_comparison_has_one_numbered_row_per_configuration_and_marks_the_recommended_one() -> None:
    base = _result("current", FamilyMeasurement(Family.IPV4, (run(10, 3.0), run(10.2, 3.1), run(9.9, 2.9))))
    faster = _result("latency", FamilyMeasurement(Family.IPV4, (run(8, 3.0), run(8.1, 2.95), run(7.9, 3.05))))
    rec = recommend([base, faster], Goal.LATENCY, simulated=False)
    assert rec.best == 1
    chart = chart_from_comparison([base, faster], rec, simulated=False)
    assert [(row.label, row.family, row.recommended) for row in chart.rows] == [
        ("1 current", Family.IPV4, False),
        ("2 latency", Family.IPV4, True),
    ]
    assert chart.rows[1].rtt_p50_us == Spread(8.0, 7.9, 8.1, 3)
    assert chart.rows[1].rtt_p99_us == Spread(13.0, 12.9, 13.1, 3)
    assert chart.title == "Comparison of 2 configurations" and chart.caveat is None


def test_two_families_are_averaged_per_round_as_the_recommendation_averages_them() -> None:
    both = _result("current", IPV4, IPV6)  # IPv6 has two runs: only two rounds have both families
    rec = Recommendation(None, "keep the original values", ())
    row = chart_from_comparison([both], rec, simulated=True).rows[0]
    assert row.family is None and not row.recommended
    assert per_round(both, lambda r: r.latency.p50_us) == [15.0, 17.0] == both.latency_runs
    assert row.rtt_p50_us == Spread.of(both.latency_runs) == Spread(16.0, 15.0, 17.0, 2)
    assert row.throughput_gb_per_s == Spread.of(both.throughput_runs)
    chart = chart_from_comparison([both], rec, simulated=True)
    assert chart.caveat == SIMULATED_CAVEAT and chart.title.endswith("(average of IPv4 and IPv6)")


def test_the_workload_row_is_its_successful_runs_and_a_configuration_without_runs_is_empty() -> None:
    timed = _result(
        "current",
        FamilyMeasurement(Family.IPV4, (run(10, 3.0),)),
        workload=(WorkloadRun(2.0, 0), WorkloadRun(9.0, 1), WorkloadRun(4.0, 0)),
    )
    not_stuck = _result("latency", FamilyMeasurement(Family.IPV4, (), error="values did not stick"))
    rows = chart_from_comparison([timed, not_stuck], Recommendation(None, "", ()), simulated=False).rows
    assert rows[0].workload_s == Spread(3.0, 2.0, 4.0, 2)
    assert rows[1].rtt_p50_us is None and rows[1].throughput_gb_per_s is None and rows[1].workload_s is None


def test_a_comparison_without_configurations_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        chart_from_comparison([], Recommendation(None, "", ()), simulated=False)
