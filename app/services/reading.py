"""Reads both families from both stores concurrently, and checks a machine against expected values."""

from __future__ import annotations

import asyncio

from app.domain.commands import show_global
from app.domain.model import (
    Family,
    FamilyState,
    MachineState,
    ReadFailure,
    Reading,
    ReadProblem,
    Store,
)
from app.domain.runs import NetshMissingError
from app.runners.base import NetshRunner
from app.runners.known_build import KnowsWindowsBuild
from app.runners.readings import reading_from, unsupported_build

__all__ = [
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
