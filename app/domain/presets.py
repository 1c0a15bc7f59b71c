"""One-click presets for help-desk walkthroughs; they only fill in pending edits."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from app.domain.model import WORKER_COUNT_MAX, WORKER_COUNT_MIN, ExecutionMode, LoopbackSettings


class PresetId(enum.StrEnum):
    LATENCY = "latency"
    THROUGHPUT = "throughput"
    BALANCED = "balanced"


@dataclass(frozen=True)
class Preset:
    id: PresetId
    label: str
    why: str

    def settings(self, current: LoopbackSettings, logical_processors: int | None) -> LoopbackSettings:
        """The values this preset implies for a family now at ``current``."""
        if self.id is PresetId.LATENCY:
            mode, workers = ExecutionMode.INLINE, current.worker_count  # the count has no effect inline
        else:
            mode = ExecutionMode.WORKER if self.id is PresetId.THROUGHPUT else ExecutionMode.ADAPTIVE
            workers = worker_count_for(logical_processors)
        return LoopbackSettings(mode, workers, True)


def worker_count_for(logical_processors: int | None) -> int:
    """One worker per logical processor, within 1-16 (our choice: Microsoft publishes no recommended count)."""
    return max(WORKER_COUNT_MIN, min(WORKER_COUNT_MAX, logical_processors or 4))


PRESETS: tuple[Preset, ...] = (
    Preset(
        PresetId.LATENCY,
        "Favor latency",
        "Inline mode handles localhost packets on the programs' own threads, so each request answers fastest. "
        "Large MTU stays on: inline with large MTU off is reported to cut localhost throughput tenfold.",
    ),
    Preset(
        PresetId.THROUGHPUT,
        "Favor throughput",
        "Worker mode queues packets to worker threads (one per logical processor, up to 16), which moves the "
        "most data at some cost in latency. Large MTU on, as Microsoft recommends.",
    ),
    Preset(
        PresetId.BALANCED,
        "Balanced",
        "Adaptive mode handles the first packets of a connection inline, then hands off to workers: "
        "a balance of latency and throughput. Large MTU on, as Microsoft recommends.",
    ),
)


def preset(preset_id: PresetId | str) -> Preset:
    """The preset with this id; raises ValueError for an unknown one."""
    wanted = PresetId(preset_id)
    return next(p for p in PRESETS if p.id is wanted)
