"""Reading the machine for the command line, remembering the original values on the first successful read."""

from __future__ import annotations

import sys

from app.domain.model import MachineState
from app.services.reading import read_machine
from app.storage.originals import OriginalsStore
from app.wiring import Services


def originals_store(services: Services) -> OriginalsStore:
    return OriginalsStore(services.paths.originals(services.backend.kind.value))


async def read_state(services: Services) -> MachineState:
    """Read the machine and, the first time a family is readable, remember its original values."""
    state = await read_machine(services.reader)
    store = originals_store(services)
    store.remember(state)
    for notice in store.notices:
        print(f"note: {notice}", file=sys.stderr)
    return state
