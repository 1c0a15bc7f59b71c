"""Reading the machine for the command line, remembering the original values on the first successful read."""

from __future__ import annotations

import sys

from app.domain.model import MachineState
from app.services.reading import read_machine
from app.storage.machine import machine_records
from app.storage.originals import OriginalsStore, load_originals
from app.wiring import Services


def originals_store(services: Services) -> OriginalsStore:
    """This user's originals file, with the machine-wide record that wins over it (see load_originals)."""
    backend = services.backend
    try:
        machine = machine_records(backend.kind.value, backend.state)
    except OSError as exc:
        print(f"note: the machine-wide original values are not available ({exc})", file=sys.stderr)
        machine = None
    return OriginalsStore(services.paths.originals(backend.kind.value), machine)


async def read_state(services: Services) -> MachineState:
    """Read the machine and, the first time a family is readable, remember its original values."""
    state = await read_machine(services.reader)
    store = originals_store(services)
    load_originals(store, state)
    for notice in store.notices:
        print(f"note: {notice}", file=sys.stderr)
    return state
