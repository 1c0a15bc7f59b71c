"""What a chart of measurements shows, as typed values: the view-model builds it, a passive chart widget draws it.

One row per configuration (a comparison) or per family (a single measurement); every figure is a Spread (the
median of the runs, with the lowest and highest), so the chart can draw the run-to-run noise beside each median.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.measurements import Spread
from app.domain.model import Family


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
