"""Loopback measurements as typed values (one run, runs of a family, a whole measurement) and the pure statistics
over them: percentiles, medians with their spread, the run order, and whether two sets of runs differ."""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.domain.model import Family, LoopbackSettings

SCHEMA = 1
ADDRESSES = {Family.IPV4: "127.0.0.1", Family.IPV6: "::1"}  # the only addresses a measurement ever uses
MESSAGE_BYTES = 64  # the latency test's message, each way
BOOTSTRAP_SEED = 15  # fixed: the same runs always give the same interval
BOOTSTRAP_RESAMPLES = 2000
MIN_RUNS_TO_COMPARE = 3
SIMULATED_CAVEAT = (
    "simulated machine: these are real measurements of this computer's loopback, but the simulated settings do "
    "not change it, so no figure here shows the effect of a setting"
)


def median(values: Sequence[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count); raises ValueError when empty.

    Written out rather than taken from ``statistics``, which the command line would pay to import at every start.
    """
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def percentile(ordered: Sequence[int | float], p: float) -> float:
    """The nearest-rank ``p``-th percentile (0 < p <= 100) of ``ordered`` (sorted ascending, not empty).

    Nearest rank is always one of the samples: p50 of 1..100 is 50, p99 is 99, p100 the maximum.
    Raises ValueError for an empty sequence or p outside (0, 100].
    """
    if not ordered:
        raise ValueError("no samples")
    if not 0 < p <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {p}")
    rank = math.ceil(p / 100 * len(ordered))
    return float(ordered[max(rank, 1) - 1])


@dataclass(frozen=True, slots=True)
class Spread:
    """The median of several runs' figures, with the lowest and highest, and how many runs."""

    median: float
    min: float
    max: float
    runs: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        """Raises ValueError when ``values`` is empty."""
        if not values:
            raise ValueError("no runs")
        return cls(median(values), float(min(values)), float(max(values)), len(values))

    @property
    def relative_range(self) -> float:
        """(max - min) / median: the run-to-run noise as a fraction (0 when the median is 0)."""
        return (self.max - self.min) / self.median if self.median else 0.0

    def to_json(self, digits: int = 3) -> dict[str, object]:
        return {
            "median": round(self.median, digits),
            "min": round(self.min, digits),
            "max": round(self.max, digits),
            "runs": self.runs,
        }


@dataclass(frozen=True, slots=True)
class LatencyRun:
    """One run of the ping-pong test: round-trip times in microseconds."""

    samples: int
    p50_us: float
    p90_us: float
    p99_us: float
    max_us: float

    @classmethod
    def from_round_trips(cls, ordered_ns: Sequence[int]) -> LatencyRun:
        """From round-trip times in nanoseconds, sorted ascending; raises ValueError when there are none."""
        pick = [percentile(ordered_ns, p) / 1000 for p in (50, 90, 99, 100)]
        return cls(len(ordered_ns), *pick)

    def to_json(self) -> dict[str, object]:
        return {
            "samples": self.samples,
            "p50": round(self.p50_us, 2),
            "p90": round(self.p90_us, 2),
            "p99": round(self.p99_us, 2),
            "max": round(self.max_us, 2),
        }


@dataclass(frozen=True, slots=True)
class ThroughputRun:
    """One run of the bulk-stream test: bytes the receiver confirmed in the measured time."""

    bytes: int
    seconds: float

    @property
    def gb_per_s(self) -> float:
        """Decimal gigabytes (10^9 bytes) per second."""
        return self.bytes / self.seconds / 1e9 if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, object]:
        return {"bytes": self.bytes, "seconds": round(self.seconds, 4), "gb_per_s": round(self.gb_per_s, 3)}


@dataclass(frozen=True, slots=True)
class ConnectRun:
    """One run of the connection-setup test: fresh connections completed in the measured time."""

    connections: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.connections / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, object]:
        return {"connections": self.connections, "seconds": round(self.seconds, 4), "per_s": round(self.per_second)}


@dataclass(frozen=True, slots=True)
class RunResult:
    """One run of the three tests, by one client process against one server process."""

    latency: LatencyRun
    throughput: ThroughputRun
    connect: ConnectRun

    def to_json(self) -> dict[str, object]:
        return {
            "latency_us": self.latency.to_json(),
            "throughput": self.throughput.to_json(),
            "connect": self.connect.to_json(),
        }

    @classmethod
    def from_json(cls, data: object) -> RunResult:
        """Parse :meth:`to_json`'s shape (what a benchmark client sends back); raises ValueError when it does not
        fit."""
        if not isinstance(data, dict):
            raise ValueError("malformed run result: not an object")
        try:
            lat, thr, con = data["latency_us"], data["throughput"], data["connect"]
            latency = LatencyRun(_count(lat["samples"]), *(_number(lat[k]) for k in ("p50", "p90", "p99", "max")))
            throughput = ThroughputRun(_count(thr["bytes"]), _number(thr["seconds"]))
            connect = ConnectRun(_count(con["connections"]), _number(con["seconds"]))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed run result: {exc!r}") from None
        return cls(latency, throughput, connect)


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError(f"not a count: {value!r}")
    return value


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise TypeError(f"not a non-negative number: {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class FamilyMeasurement:
    """Every run of one family, or why it could not be measured (``error``, with the runs that did complete)."""

    family: Family
    runs: tuple[RunResult, ...] = ()
    error: str | None = None
    settings: LoopbackSettings | None = None  # the family's active settings read just before, when readable

    @property
    def address(self) -> str:
        return ADDRESSES[self.family]

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.runs)

    def _spread(self, pick: Callable[[RunResult], float]) -> Spread:
        return Spread.of([pick(run) for run in self.runs])

    @property
    def rtt_p50_us(self) -> Spread:
        return self._spread(lambda r: r.latency.p50_us)

    @property
    def rtt_p90_us(self) -> Spread:
        return self._spread(lambda r: r.latency.p90_us)

    @property
    def rtt_p99_us(self) -> Spread:
        return self._spread(lambda r: r.latency.p99_us)

    @property
    def rtt_max_us(self) -> Spread:
        return self._spread(lambda r: r.latency.max_us)

    @property
    def throughput_gb_per_s(self) -> Spread:
        return self._spread(lambda r: r.throughput.gb_per_s)

    @property
    def connections_per_s(self) -> Spread:
        return self._spread(lambda r: r.connect.per_second)

    @property
    def latency_samples(self) -> int:
        return sum(run.latency.samples for run in self.runs)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"address": self.address}
        out["settings"] = self.settings.to_json() if self.settings is not None else None
        if self.runs:
            out["latency_us"] = {
                "p50": self.rtt_p50_us.to_json(2),
                "p90": self.rtt_p90_us.to_json(2),
                "p99": self.rtt_p99_us.to_json(2),
                "max": self.rtt_max_us.to_json(2),
                "samples": self.latency_samples,
            }
            out["throughput_gb_per_s"] = self.throughput_gb_per_s.to_json(3)
            out["connections_per_s"] = self.connections_per_s.to_json(0)
        out["runs"] = [run.to_json() for run in self.runs]
        if self.error is not None:
            out["error"] = self.error
        return out


SECONDS_PER_TEST = (0.1, 60.0)  # the measured seconds per test a user may ask for (both faces), lowest and highest


@dataclass(frozen=True, slots=True)
class MeasurePlan:
    """How long and how often: each test measures ``seconds`` after ``warmup_s``, ``runs`` times per family."""

    seconds: float = 1.0
    warmup_s: float = 0.2
    runs: int = 3
    max_round_trips: int = 2_000_000  # per run: the latency test stops at this count even before its time
    max_connections: int = 20_000  # per run: the same for the connection test

    @property
    def seconds_per_run(self) -> float:
        """About how long one run takes: three tests, each warmed up, and the processes' start."""
        return 3 * (self.warmup_s + self.seconds) + 0.2

    def to_json(self) -> dict[str, object]:
        return {"seconds": self.seconds, "warmup_seconds": self.warmup_s, "runs": self.runs}


@dataclass(frozen=True, slots=True)
class Measurement:
    """A whole measurement: each family asked for, in the order the runs were taken, and what it means."""

    plan: MeasurePlan
    families: tuple[FamilyMeasurement, ...]
    order: tuple[Family, ...]  # the runs as taken: interleaved, ipv4 ipv6 ipv4 ipv6 ...
    simulated: bool

    @property
    def caveat(self) -> str | None:
        """What every result must say about itself: on the simulated machine the settings are not what was measured."""
        return SIMULATED_CAVEAT if self.simulated else None

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.families)

    def __getitem__(self, family: Family) -> FamilyMeasurement:
        return next(f for f in self.families if f.family is family)

    def to_json(self) -> dict[str, object]:
        """The documented ``measure --json`` shape (README, "JSON contract (measure --json)")."""
        out: dict[str, object] = {
            "schema": SCHEMA,
            "simulated": self.simulated,
            "caveat": self.caveat,
            "plan": {**self.plan.to_json(), "order": [f.value for f in self.order]},
        }
        for fm in self.families:
            out[fm.family.value] = fm.to_json()
        return out


def interleaved(labels: Sequence[str], rounds: int) -> list[str]:
    """The run order for ``rounds`` runs of each label: A B A B ..., never A A B B, so slow drift of the machine
    (heat, other load) spreads over every label alike."""
    return [label for _ in range(rounds) for label in labels]


class Verdict(enum.StrEnum):
    """What two sets of runs say, for a figure where higher or lower is better."""

    BETTER = "better"
    WORSE = "worse"
    NO_DIFFERENCE = "no measurable difference"
    TOO_FEW_RUNS = "too few runs to tell"


@dataclass(frozen=True, slots=True)
class Difference:
    """How ``candidate`` compares with ``baseline``: the ratio of their medians and its bootstrap interval."""

    ratio: float  # median(candidate) / median(baseline)
    low: float  # the interval of that ratio (95 %, bootstrap, fixed seed)
    high: float
    verdict: Verdict

    @property
    def is_real(self) -> bool:
        return self.verdict in (Verdict.BETTER, Verdict.WORSE)

    def describe(self, unit_of_better: str = "") -> str:
        if not self.is_real:
            return str(self.verdict)
        percent = abs(self.ratio - 1) * 100
        return f"{self.verdict} by {percent:.0f}% (95% interval of the ratio {self.low:.3f} to {self.high:.3f})"

    def to_json(self) -> dict[str, object]:
        return {
            "ratio": round(self.ratio, 4),
            # An unbounded end (too few runs to tell) is null: strict JSON has no Infinity.
            "interval": [_bound(self.low), _bound(self.high)],
            "verdict": self.verdict.value,
        }


def _bound(value: float) -> float | None:
    return round(value, 4) if math.isfinite(value) else None


def compare_runs(
    baseline: Sequence[float],
    candidate: Sequence[float],
    *,
    higher_is_better: bool,
    seed: int = BOOTSTRAP_SEED,
    resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = 0.95,
) -> Difference:
    """Whether ``candidate``'s runs differ from ``baseline``'s beyond the run-to-run noise.

    Resamples each side's runs with replacement (a bootstrap, ``random.Random(seed)``: the same runs always give
    the same answer) and takes the ratio of the medians each time; the difference is real only when the central
    ``confidence`` interval of that ratio excludes 1. With three runs a side this holds only when the two ranges
    do not overlap at all: honest, not sensitive. Fewer than MIN_RUNS_TO_COMPARE runs a side is "too few runs".
    Raises ValueError when a median is not positive (a ratio would mean nothing).
    """
    if not baseline or not candidate:
        raise ValueError("no runs")
    import random

    base_median, cand_median = median(baseline), median(candidate)
    if base_median <= 0 or cand_median <= 0 or min(baseline) <= 0 or min(candidate) <= 0:
        raise ValueError("figures must be positive to compare as a ratio")
    ratio = cand_median / base_median
    if min(len(baseline), len(candidate)) < MIN_RUNS_TO_COMPARE:
        return Difference(ratio, 0.0, math.inf, Verdict.TOO_FEW_RUNS)
    rng = random.Random(seed)
    ratios = sorted(
        median(rng.choices(candidate, k=len(candidate))) / median(rng.choices(baseline, k=len(baseline)))
        for _ in range(resamples)
    )
    tail = (1 - confidence) / 2
    low = ratios[math.floor(tail * (resamples - 1))]
    high = ratios[math.ceil((1 - tail) * (resamples - 1))]
    if low <= 1 <= high:
        verdict = Verdict.NO_DIFFERENCE
    else:
        up = low > 1
        verdict = Verdict.BETTER if up == higher_is_better else Verdict.WORSE
    return Difference(ratio, low, high, verdict)
