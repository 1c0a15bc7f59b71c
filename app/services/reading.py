"""Reads both families from both stores concurrently, and checks a machine against expected values."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from app.domain.commands import show_global
from app.domain.model import (
    ExecutionMode,
    Family,
    FamilyState,
    LoopbackSettings,
    MachineState,
    ReadFailure,
    Reading,
    ReadProblem,
    Setting,
    Store,
    format_value,
)
from app.runners.base import NetshMissingError, NetshRunner
from app.runners.known_build import KnowsWindowsBuild
from app.runners.readings import reading_from, unsupported_build

__all__ = [
    "Mismatch",
    "mismatches",
    "read_machine",
    "read_one",
    "reading_from",
    "unsupported_build",
    "windows_build_of",
]


def windows_build_of(runner: NetshRunner) -> int | None:
    """The build behind ``runner`` if it can say (see KnowsWindowsBuild), else None; never raises OSError.

    Called on the caller's thread: ``windows_build`` is cheap by contract (RtlGetVersion, or the simulated
    profile in a small local file), and no extra await comes before the first netsh run.
    """
    if not isinstance(runner, KnowsWindowsBuild):
        return None
    try:
        return runner.windows_build()
    except OSError:
        return None


async def read_one(runner: NetshRunner, family: Family, store: Store, build: int | None = None) -> Reading:
    """One family and store; a build known to be too old is "unsupported" without running netsh."""
    too_old = unsupported_build(build)
    if too_old is not None:
        return too_old
    try:
        result = await runner.run(show_global(family, store))
    except NetshMissingError as exc:
        return ReadFailure(ReadProblem.NETSH_MISSING, str(exc), "", build)
    return reading_from(result, build)


async def read_machine(runner: NetshRunner, families: tuple[Family, ...] = tuple(Family)) -> MachineState:
    """Both stores of every family, all at once (four netsh runs in parallel; none on a build before 17763).

    The build comes from the runner (``KnowsWindowsBuild``: the profile in simulation, RtlGetVersion on Windows).
    """
    build = windows_build_of(runner)
    jobs = [read_one(runner, family, store, build) for family in families for store in (Store.ACTIVE, Store.PERSISTENT)]
    readings = await asyncio.gather(*jobs)
    return MachineState(
        {family: FamilyState(family, readings[2 * i], readings[2 * i + 1]) for i, family in enumerate(families)}
    )


@dataclass(frozen=True)
class Mismatch:
    """A value that did not stick: what was expected and what the machine shows."""

    family: Family
    setting: Setting
    expected: object
    actual: object | None  # None when the family could not be read back
    store: Store = Store.ACTIVE

    def describe(self) -> str:
        if self.actual is None:
            return f"{self.family.label} {self.setting.label}: could not be read back to check"
        expected, actual = _words(self.setting, self.expected), _words(self.setting, self.actual)
        if self.store is Store.PERSISTENT:
            return (
                f"{self.family.label} {self.setting.label} was not saved: expected {expected}, "
                f"the saved value is {actual} (a restart would bring it back)"
            )
        return (
            f"{self.family.label} {self.setting.label} did not stick: expected {expected}, the machine shows {actual}"
        )


def _words(setting: Setting, value: object) -> str:
    """A value as people read it: on/off for large MTU, the mode's name, the number."""
    if isinstance(value, bool | int | ExecutionMode):
        return format_value(setting, value)
    return str(value)


def mismatches(
    state: MachineState, expected: dict[Family, LoopbackSettings], store: Store = Store.ACTIVE
) -> list[Mismatch]:
    """Where ``state`` differs from ``expected`` (only the families named in ``expected``)."""
    found = []
    for family, want in expected.items():
        fs = state.families.get(family)
        reading = None if fs is None else (fs.active if store is Store.ACTIVE else fs.persistent)
        for setting in Setting:
            if not isinstance(reading, LoopbackSettings):
                found.append(Mismatch(family, setting, want.value(setting), None, store))
            elif reading.value(setting) != want.value(setting):
                found.append(Mismatch(family, setting, want.value(setting), reading.value(setting), store))
    return found
