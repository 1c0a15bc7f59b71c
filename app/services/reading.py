"""Reads both families from both stores concurrently, and checks a machine against expected values."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from app.domain.commands import show_global
from app.domain.errors import UnrecognizedOutputError, UnsupportedBuildError
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
from app.domain.parser import parse_show_global
from app.runners.base import CommandResult, NetshMissingError, NetshRunner


def reading_from(result: CommandResult) -> Reading:
    """Settings from one ``show global`` run, or why not (never raises for netsh's behaviour)."""
    if not result.ok:
        return ReadFailure(ReadProblem.NETSH_FAILED, result.describe_failure(), result.output)
    try:
        return parse_show_global(result.stdout)
    except UnsupportedBuildError as exc:
        return ReadFailure(ReadProblem.UNSUPPORTED, str(exc), exc.raw)
    except UnrecognizedOutputError as exc:
        return ReadFailure(ReadProblem.UNRECOGNIZED, str(exc), exc.raw)


async def read_one(runner: NetshRunner, family: Family, store: Store) -> Reading:
    try:
        result = await runner.run(show_global(family, store))
    except NetshMissingError as exc:
        return ReadFailure(ReadProblem.NETSH_MISSING, str(exc))
    return reading_from(result)


async def read_machine(runner: NetshRunner, families: tuple[Family, ...] = tuple(Family)) -> MachineState:
    """Both stores of every family, all at once (four netsh runs in parallel)."""
    jobs = [read_one(runner, family, store) for family in families for store in (Store.ACTIVE, Store.PERSISTENT)]
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
