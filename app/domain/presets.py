"""One-click presets for help-desk walkthroughs; they only fill in pending edits."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from app.domain.model import WORKER_COUNT_MAX, WORKER_COUNT_MIN, ExecutionMode, LoopbackSettings


class LargeMtuChoice(enum.StrEnum):
    """What a preset did with large MTU, and why (the pending list and the command line say it)."""

    TURNED_ON = "turned-on"  # Microsoft recommends it on
    LEFT_AS_IS = "left-as-is"  # the known BBR2 problem applies to this machine: the preset does not undo its fix

    @property
    def text(self) -> str:
        if self is LargeMtuChoice.TURNED_ON:
            return "Large MTU is set on: Microsoft recommends keeping it on."
        return (
            "Large MTU is left as it is: on this machine (Windows 11 22H2 or later with BBR2) large MTU on is "
            "reported to stall localhost connections."
        )


@dataclass(frozen=True)
class PresetValues:
    """A preset's values for one family, and what it did with large MTU."""

    settings: LoopbackSettings
    large_mtu: LargeMtuChoice


class PresetId(enum.StrEnum):
    LATENCY = "latency"
    THROUGHPUT = "throughput"
    BALANCED = "balanced"


@dataclass(frozen=True)
class Preset:
    id: PresetId
    label: str
    why: str

    def settings(
        self, current: LoopbackSettings, logical_processors: int | None, *, bbr2_rule: bool = False
    ) -> LoopbackSettings:
        """The values this preset implies for a family now at ``current``."""
        return self.fill(current, logical_processors, bbr2_rule=bbr2_rule).settings

    def fill(self, current: LoopbackSettings, logical_processors: int | None, *, bbr2_rule: bool) -> PresetValues:
        """The values for a family now at ``current`` on a machine with ``logical_processors``; where the known
        BBR2 rule applies (``bbr2_rule``) large MTU is left as it is, elsewhere it is turned on."""
        if self.id is PresetId.LATENCY:
            mode, workers = ExecutionMode.INLINE, current.worker_count  # the count has no effect inline
        else:
            mode = ExecutionMode.WORKER if self.id is PresetId.THROUGHPUT else ExecutionMode.ADAPTIVE
            workers = worker_count_for(logical_processors)
        choice = LargeMtuChoice.LEFT_AS_IS if bbr2_rule else LargeMtuChoice.TURNED_ON
        large_mtu = current.large_mtu if bbr2_rule else True
        return PresetValues(LoopbackSettings(mode, workers, large_mtu), choice)


def worker_count_for(logical_processors: int | None) -> int:
    """One worker per logical processor, within 1-16 (our choice: Microsoft publishes no recommended count)."""
    return max(WORKER_COUNT_MIN, min(WORKER_COUNT_MAX, logical_processors or 4))


PRESETS: tuple[Preset, ...] = (
    Preset(
        PresetId.LATENCY,
        "Favor latency",
        "Inline mode handles localhost packets on the programs' own threads, so each request answers fastest. "
        "Large MTU on where it is safe: inline with large MTU off is reported to cut localhost throughput tenfold.",
    ),
    Preset(
        PresetId.THROUGHPUT,
        "Favor throughput",
        "Worker mode queues packets to worker threads (one per logical processor, up to 16), which moves the "
        "most data at some cost in latency. Large MTU on where it is safe, as Microsoft recommends.",
    ),
    Preset(
        PresetId.BALANCED,
        "Balanced",
        "Adaptive mode handles the first packets of a connection inline, then hands off to workers: "
        "a balance of latency and throughput. Large MTU on where it is safe, as Microsoft recommends.",
    ),
)


def preset(preset_id: PresetId | str) -> Preset:
    """The preset with this id; raises ValueError for an unknown one."""
    wanted = PresetId(preset_id)
    return next(p for p in PRESETS if p.id is wanted)
