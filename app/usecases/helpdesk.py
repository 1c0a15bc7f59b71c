"""The help-desk decisions both faces share: Windows' defaults for this build, profile files, presets on this
machine, and the known problems worth a warning. Synchronous and Qt-free; each returns typed values."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from app.domain.defaults import DefaultsEntry, lookup, parse_defaults
from app.domain.errors import LoopbackTunerError, ValidationError
from app.domain.interactions import bbr2_rule_applies
from app.domain.machine_facts import CongestionReading, MachineInfo
from app.domain.model import Family, LoopbackSettings
from app.domain.presets import LargeMtuChoice, PresetId, preset
from app.domain.profile_file import MAX_BYTES, dump_profile, load_profile
from app.storage.files import write_atomic


# --- Windows' defaults ----------------------------------------------------------------------------------------
class DefaultsProblem(enum.Enum):
    MISSING = "missing"  # the table is not in this installation
    DAMAGED = "damaged"  # the table did not parse
    UNKNOWN_BUILD = "unknown-build"  # the table has no entry for this build (or the build is not known)


class DefaultsUnavailableError(LoopbackTunerError):
    """Windows' defaults for this machine cannot be given; ``problem`` says why."""

    def __init__(self, problem: DefaultsProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True)
class DefaultsTable:
    """The defaults table as loaded: its entries, or why there are none."""

    entries: tuple[DefaultsEntry, ...] = ()
    problem: DefaultsProblem | None = None
    detail: str = ""

    @classmethod
    def from_text(cls, text: str | None) -> DefaultsTable:
        if text is None:
            return cls(
                problem=DefaultsProblem.MISSING, detail="The Windows defaults table is missing from this installation."
            )
        try:
            return cls(tuple(parse_defaults(text)))
        except ValidationError as exc:
            return cls(problem=DefaultsProblem.DAMAGED, detail=f"The Windows defaults table is damaged: {exc}")

    def for_machine(self, build: int | None, *, simulated: bool) -> DefaultsEntry:
        """The entry for this machine (the simulated machine's scope is its own); raises DefaultsUnavailableError."""
        if self.problem is not None:
            raise DefaultsUnavailableError(self.problem, self.detail)
        entry = (
            lookup(list(self.entries), "simulated" if simulated else "windows", build) if build is not None else None
        )
        if entry is None:
            raise DefaultsUnavailableError(
                DefaultsProblem.UNKNOWN_BUILD,
                "The Windows defaults for this build are not known; use the original values of this machine instead.",
            )
        return entry


# --- profile files --------------------------------------------------------------------------------------------
class ProfileError(LoopbackTunerError):
    """A profile file could not be read, was not a valid profile, or could not be written; nothing changed."""


def read_profile(path: Path) -> dict[Family, LoopbackSettings]:
    """The values of a profile file, validated completely (size capped); raises ProfileError."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ProfileError(f"{path} could not be read: {exc.strerror or exc}") from None
    try:
        return load_profile(raw)
    except ValidationError as exc:
        raise ProfileError(f"{path} is not a usable profile: {exc}") from None


def write_profile(path: Path, values: Mapping[Family, LoopbackSettings], note: str) -> None:
    """Write ``values`` as a profile file (atomically); raises ProfileError."""
    try:
        write_atomic(path, dump_profile(dict(values), note=note))
    except OSError as exc:
        raise ProfileError(f"{path} could not be written: {exc.strerror or exc}") from None


# --- presets and known problems -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PresetPlan:
    """A preset's values for each family given, on this machine, and what it did with large MTU."""

    preset: PresetId
    targets: dict[Family, LoopbackSettings]
    large_mtu: LargeMtuChoice
    processors: int | None


def fill_preset(
    preset_id: PresetId | str,
    current: Mapping[Family, LoopbackSettings],
    info: MachineInfo | None,
    congestion: CongestionReading | None,
) -> PresetPlan:
    """The preset for the families in ``current``: worker counts from the configured machine's processors, and
    large MTU left alone where the BBR2 rule applies (the preset must not undo that fix)."""
    chosen = preset(preset_id)
    build = info.build if info else None
    rule = bbr2_rule_applies(build, congestion.providers if congestion else {})
    processors = info.processors if info else None
    filled = {f: chosen.fill(s, processors, bbr2_rule=rule) for f, s in current.items()}
    choice = LargeMtuChoice.LEFT_AS_IS if rule else LargeMtuChoice.TURNED_ON
    return PresetPlan(chosen.id, {f: v.settings for f, v in filled.items()}, choice, processors)
