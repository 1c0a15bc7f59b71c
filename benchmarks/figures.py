"""Benchmark figures: samples with median/min/max, a budget, and the verdict (PASS, MISS, INFO or ERROR)."""

from __future__ import annotations

import enum
import statistics
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field


class Verdict(enum.StrEnum):
    PASS = "PASS"
    MISS = "MISS"
    INFO = "info"  # a figure without a budget (shown for context)
    ERROR = "ERROR"  # the measurement itself failed
    SKIPPED = "skipped"  # not measured here, on purpose (a tool that is not installed); the note says why


@dataclass(frozen=True)
class Stats:
    """Several runs of one measurement."""

    samples: tuple[float, ...]

    @classmethod
    def of(cls, samples: Iterable[float]) -> Stats:
        values = tuple(samples)
        if not values:
            raise ValueError("no samples")
        return cls(values)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)


@dataclass(frozen=True)
class Budget:
    """A limit on a figure's median: "at most" unless ``at_least``."""

    limit: float
    why: str = ""  # how the limit was derived, e.g. "2 x 17 ms + 300 ms"
    at_least: bool = False

    def check(self, value: float) -> Verdict:
        ok = value >= self.limit if self.at_least else value <= self.limit
        return Verdict.PASS if ok else Verdict.MISS

    @property
    def sign(self) -> str:
        return ">=" if self.at_least else "<="


@dataclass(frozen=True)
class Figure:
    """One row of the table."""

    key: str
    label: str
    unit: str  # "ms", "MB", "x", "" (a count)
    stats: Stats | None
    budget: Budget | None = None
    note: str = ""
    error: str = ""
    details: dict[str, object] = field(default_factory=dict)
    skipped: str = ""  # why this figure was not measured (then stats is None)

    @property
    def verdict(self) -> Verdict:
        if self.skipped and self.stats is None:
            return Verdict.SKIPPED
        if self.error or self.stats is None:
            return Verdict.ERROR
        if self.budget is None:
            return Verdict.INFO
        return self.budget.check(self.stats.median)

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "key": self.key,
            "label": self.label,
            "unit": self.unit,
            "verdict": self.verdict.value,
        }
        if self.stats is not None:
            data.update(
                median=round(self.stats.median, 4),
                min=round(self.stats.min, 4),
                max=round(self.stats.max, 4),
                samples=[round(s, 4) for s in self.stats.samples],
            )
        if self.budget is not None:
            bound = "at_least" if self.budget.at_least else "at_most"
            data["budget"] = {bound: round(self.budget.limit, 4), "why": self.budget.why}
        if self.note:
            data["note"] = self.note
        if self.error:
            data["error"] = self.error
        if self.skipped:
            data["skipped"] = self.skipped
        if self.details:
            data["details"] = self.details
        return data


def failed(key: str, label: str, unit: str, exc: BaseException) -> Figure:
    """A row for a measurement that could not be taken (the run goes on with the others)."""
    return Figure(key, label, unit, None, error=f"{type(exc).__name__}: {exc}")


def format_value(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:.0f} ms" if value >= 100 else f"{value:.1f} ms"
    if unit in ("MB", "MiB"):
        return f"{value:.1f} {unit}"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "us":
        return f"{value:.1f} us" if value < 100 else f"{value:,.0f} us"
    if unit == "GB/s":
        return f"{value:.2f} GB/s"
    if unit == "s":
        return f"{value:.1f} s"
    return f"{value:g}"


def progress(text: str) -> None:
    """A line on stderr so a long run shows it is alive (the table goes to stdout)."""
    print(f"  ... {text}", file=sys.stderr, flush=True)
