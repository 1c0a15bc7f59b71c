"""Reading the machine for the command line: the read use case, its notices printed on standard error."""

from __future__ import annotations

import sys

from app.domain.model import MachineState
from app.runners.base import NetshRunner
from app.usecases.reading import MachineReader, ReadResult, originals_store
from app.wiring import Services


def machine_reader(services: Services, reader: NetshRunner | None = None) -> MachineReader:
    """The read use case over this backend's originals (this user's and the machine-wide record); ``reader``
    replaces the services' reader (a read started early, app/runners/early.py start_read)."""
    backend = services.backend
    store, notices = originals_store(services.paths.originals(backend.kind.value), backend.kind.value, backend.state)
    return MachineReader(reader or services.reader, store, notices)


def print_notices(result: ReadResult) -> None:
    for notice in result.notices:
        print(f"note: {notice.text}", file=sys.stderr)


def read_full(services: Services, reader: NetshRunner | None = None) -> ReadResult:
    """Read the machine and, the first time a family is readable, remember its original values."""
    result = machine_reader(services, reader).read()
    print_notices(result)
    return result


def read_state(services: Services, reader: NetshRunner | None = None) -> MachineState:
    return read_full(services, reader).state
