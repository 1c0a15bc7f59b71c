"""What a chart of measurements shows, as typed values: the view-model builds it, a passive chart widget draws it.

One row per configuration (a comparison) or per family (a single measurement); every figure is a Spread (the
median of the runs, with the lowest and highest), so the chart can draw the run-to-run noise beside each median.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.domain.measurements import SIMULATED_CAVEAT, FamilyMeasurement, Measurement, RunResult, Spread
from app.domain.model import Family

if TYPE_CHECKING:  # annotations only: whoever imports this at the window's start does not pay for comparisons
    from app.domain.comparisons import ConfigurationResult, Recommendation


@dataclass(frozen=True, slots=True)
class ChartRow:
    """One bar group: a configuration (or a family's measurement) and its figures; None where nothing was measured."""

    label: str  # what the axis shows: "1 current", "2 latency", or "IPv4" for a single measurement
    family: Family | None  # the family these figures are for; None when they are averaged over both families
    rtt_p50_us: Spread | None
    rtt_p90_us: Spread | None
    rtt_p99_us: Spread | None
    throughput_gb_per_s: Spread | None
    connections_per_s: Spread | None
    workload_s: Spread | None  # the user's own command's wall time; None without a workload
    recommended: bool = False  # the configuration the recommendation picked (drawn highlighted)


@dataclass(frozen=True, slots=True)
class ChartData:
    """Everything one chart shows. ``caveat`` (the simulated machine's sentence) is drawn on the chart itself."""

    title: str
    rows: tuple[ChartRow, ...]
    caveat: str | None = None


Pick = Callable[[RunResult], float]
_FIGURES: tuple[Pick, ...] = (
    lambda r: r.latency.p50_us,
    lambda r: r.latency.p90_us,
    lambda r: r.latency.p99_us,
    lambda r: r.throughput.gb_per_s,
    lambda r: r.connect.per_second,
)


def _spreads(per_round: Callable[[Pick], list[float]]) -> list[Spread | None]:
    """The five figures a row shows (p50, p90, p99, GB/s, connections/s), each None when no round was measured."""
    spreads: list[Spread | None] = []
    for pick in _FIGURES:
        values = per_round(pick)
        spreads.append(Spread.of(values) if values else None)
    return spreads


def _family_row(family: FamilyMeasurement) -> ChartRow:
    p50, p90, p99, gbps, cps = _spreads(lambda pick: [pick(run) for run in family.runs])
    return ChartRow(family.family.label, family.family, p50, p90, p99, gbps, cps, None)


def chart_from_measurement(m: Measurement) -> ChartData:
    """One row per family measured, in the measurement's order; a family without runs keeps its row, empty."""
    title = "Loopback measurement" + ("" if m.ok else " (incomplete)")
    return ChartData(title, tuple(_family_row(f) for f in m.families), m.caveat)


def per_round(result: ConfigurationResult, pick: Pick) -> list[float]:
    """``pick``'s figure per round, averaged over the families measured: the rounds where every family has a run,
    as ConfigurationResult.latency_runs and throughput_runs average them for the recommendation."""
    count = min((len(f.runs) for f in result.families), default=0)
    return [sum(pick(f.runs[k]) for f in result.families) / len(result.families) for k in range(count)]


def _configuration_row(index: int, result: ConfigurationResult, recommended: bool) -> ChartRow:
    families = [f.family for f in result.families]
    family = families[0] if len(families) == 1 else None  # two families: the figures are their average
    p50, p90, p99, gbps, cps = _spreads(lambda pick: per_round(result, pick))
    label = f"{index + 1} {result.configuration.label}"
    return ChartRow(label, family, p50, p90, p99, gbps, cps, result.workload_spread, recommended)


def chart_from_comparison(
    results: Sequence[ConfigurationResult], recommendation: Recommendation, simulated: bool
) -> ChartData:
    """One row per configuration, numbered from 1 as the comparison lists them (1 is the current values); the
    recommended one highlighted. Raises ValueError when there is no configuration."""
    if not results:
        raise ValueError("a comparison has at least one configuration")
    rows = tuple(
        _configuration_row(index, result, index == recommendation.best) for index, result in enumerate(results)
    )
    families = {f.family for result in results for f in result.families}
    scope = " (average of IPv4 and IPv6)" if len(families) > 1 else ""
    title = f"Comparison of {len(results)} configurations{scope}"
    return ChartData(title, rows, SIMULATED_CAVEAT if simulated else None)
