"""Awaitable reads for the trial service until it becomes a synchronous use case (then this module goes)."""

from __future__ import annotations

import asyncio

from app.domain.model import Family, MachineState
from app.runners.base import NetshRunner
from app.usecases import reading


async def read_machine(runner: NetshRunner, families: tuple[Family, ...] = tuple(Family)) -> MachineState:
    """:func:`app.usecases.reading.read_machine` off the event loop's thread."""
    return await asyncio.to_thread(reading.read_machine, runner, families)
