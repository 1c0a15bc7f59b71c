"""A comparison of configurations as typed values, and the one place that decides what it recommends: a
configuration wins only when it beats the current values (configuration 0) beyond the run-to-run noise, in the
figure the goal names, and never on the simulated machine."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.domain.commands import set_global
from app.domain.measurements import (
    SIMULATED_CAVEAT,
    Difference,
    FamilyMeasurement,
    Spread,
    Verdict,
    compare_runs,
    median,
)
from app.domain.model import Family, LoopbackSettings, SettingsPatch, Store

ROUNDS = (1, 10)  # how many rounds a comparison may take (both faces), lowest and highest


class Goal(enum.StrEnum):
    LATENCY = "latency"
    THROUGHPUT = "throughput"
    BALANCED = "balanced"


@dataclass(frozen=True)
class Configuration:
    """Values to try, per family (``label``: "current", a preset's name, or "custom N")."""

    label: str
    settings: Mapping[Family, LoopbackSettings]

    def helper_argument(self) -> str:
        """The helper's ``--config`` value: every family's whole values, built from typed values only."""
        parts = []
        for family in Family:
            if family in self.settings:
                s = self.settings[family]
                argv = set_global(family, SettingsPatch(s.execution_mode, s.worker_count, s.large_mtu), Store.ACTIVE)
                parts.append(f"{family.value}:{','.join(argv[4:-1])}")
        return "/".join(parts)

    def describe(self) -> str:
        return "; ".join(f"{f.label} {s.describe()}" for f, s in self.settings.items())

    def to_json(self) -> dict[str, object]:
        return {"label": self.label, "settings": {f.value: s.to_json() for f, s in self.settings.items()}}


@dataclass(frozen=True)
class WorkloadRun:
    """One run of the user's command: its wall time, and its exit code (None when it was stopped at its limit)."""

    seconds: float
    exit_code: int | None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@dataclass(frozen=True)
class ConfigurationResult:
    """What one configuration measured over the rounds, and what went wrong on the way."""

    configuration: Configuration
    families: tuple[FamilyMeasurement, ...]
    problems: tuple[str, ...] = ()  # a step that failed, values that did not stick: those rounds were not measured
    workload: tuple[WorkloadRun, ...] = ()

    def _per_round(self, pick: str) -> list[float]:
        """Per round, the figure averaged over the families measured (rounds where every family measured)."""
        count = min((len(f.runs) for f in self.families), default=0)
        values = []
        for k in range(count):
            runs = [f.runs[k] for f in self.families]
            figures = [r.latency.p50_us if pick == "latency" else r.throughput.gb_per_s for r in runs]
            values.append(sum(figures) / len(figures))
        return values

    @property
    def latency_runs(self) -> list[float]:
        return self._per_round("latency")

    @property
    def throughput_runs(self) -> list[float]:
        return self._per_round("throughput")

    @property
    def workload_spread(self) -> Spread | None:
        times = [w.seconds for w in self.workload if w.ok]
        return Spread.of(times) if times else None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = self.configuration.to_json()
        out["families"] = {f.family.value: f.to_json() for f in self.families}
        out["problems"] = list(self.problems)
        if self.workload:
            spread = self.workload_spread
            out["workload"] = {
                "seconds": spread.to_json(4) if spread else None,
                "runs": [{"seconds": round(w.seconds, 4), "exit_code": w.exit_code} for w in self.workload],
                "failed": sum(1 for w in self.workload if not w.ok),
            }
        return out


@dataclass(frozen=True)
class Standing:
    """One configuration against the current values: the two differences, and whether it wins for the goal."""

    index: int
    latency: Difference | None
    throughput: Difference | None
    wins: bool

    def to_json(self) -> dict[str, object]:
        return {
            "index": self.index,
            "latency_p50": self.latency.to_json() if self.latency else None,
            "throughput": self.throughput.to_json() if self.throughput else None,
            "wins": self.wins,
        }


@dataclass(frozen=True)
class Recommendation:
    """The configuration to keep (None: keep the original values), and why, in a sentence."""

    best: int | None
    reason: str
    standings: tuple[Standing, ...]

    def to_json(self) -> dict[str, object]:
        return {"best": self.best, "reason": self.reason, "standings": [s.to_json() for s in self.standings]}


def _difference(base: Sequence[float], cand: Sequence[float], higher_is_better: bool) -> Difference | None:
    if not base or not cand:
        return None
    try:
        return compare_runs(base, cand, higher_is_better=higher_is_better)
    except ValueError:
        return None


def recommend(results: Sequence[ConfigurationResult], goal: Goal, *, simulated: bool) -> Recommendation:
    """Which configuration to keep for ``goal``: one that beats configuration 0 (the current values) beyond the
    noise in the goal's figure (latency: p50 round trip; throughput: GB/s; balanced: better in one and worse in
    neither), the largest margin first. On the simulated machine nothing is ever recommended."""
    base = results[0]
    standings = []
    for index, result in enumerate(results[1:], start=1):
        lat = _difference(base.latency_runs, result.latency_runs, False)
        thr = _difference(base.throughput_runs, result.throughput_runs, True)
        better = {name: d is not None and d.verdict is Verdict.BETTER for name, d in (("lat", lat), ("thr", thr))}
        worse = any(d is not None and d.verdict is Verdict.WORSE for d in (lat, thr))
        if goal is Goal.LATENCY:
            wins = better["lat"]
        elif goal is Goal.THROUGHPUT:
            wins = better["thr"]
        else:
            wins = (better["lat"] or better["thr"]) and not worse
        standings.append(Standing(index, lat, thr, wins))
    if simulated:
        return Recommendation(None, f"nothing is recommended: {SIMULATED_CAVEAT}", tuple(standings))

    def margin(s: Standing) -> float:
        lat = s.latency.ratio if s.latency else 1.0
        thr = s.throughput.ratio if s.throughput else 1.0
        return {Goal.LATENCY: 1 / lat, Goal.THROUGHPUT: thr, Goal.BALANCED: thr / lat}[goal]

    winners = sorted((s for s in standings if s.wins), key=margin, reverse=True)
    if not winners:
        return Recommendation(
            None,
            f"no configuration beats the current values for {goal.value} beyond the run-to-run noise "
            "(no measurable difference): keep the original values",
            tuple(standings),
        )
    best = winners[0]
    label = results[best.index].configuration.label
    parts = [f"{name} {d.describe()}" for name, d in (("latency", best.latency), ("throughput", best.throughput)) if d]
    return Recommendation(best.index, f"{label} wins for {goal.value}: " + "; ".join(parts), tuple(standings))


def workload_median(result: ConfigurationResult) -> float | None:
    times = [w.seconds for w in result.workload if w.ok]
    return median(times) if times else None
