"""Changed outside Loopback Tuner: the last writes the app made (the machine-wide history, so a change made for
another user or as SYSTEM counts as the app's own; and this user's history) against a fresh read."""

from __future__ import annotations

from collections.abc import Iterable

from app.domain.model import MachineState, Store
from app.domain.outside import LastWrite, OutsideChange, last_writes, outside_changes, writes_from_history
from app.storage.history import History
from app.storage.machine import MachineRecords
from app.storage.machine_events import ChangeStage, MachineEvent


def writes_from_machine(events: Iterable[MachineEvent]) -> list[LastWrite]:
    """What each change the helper finished left in each store. A keep names its store (older lines do not: then
    only the active store is known to hold the values)."""
    found = []
    for event in events:
        if event.stage is ChangeStage.KEPT:
            found.append(LastWrite(event.family, Store.ACTIVE, event.after, event.at, event.store is Store.ACTIVE))
            if event.store is Store.PERSISTENT:
                found.append(LastWrite(event.family, Store.PERSISTENT, event.after, event.at))
        elif event.stage in (ChangeStage.REVERTED, ChangeStage.FAILED):
            found.append(LastWrite(event.family, Store.ACTIVE, event.before, event.at))
    return found


def find_outside_changes(
    state: MachineState, history: History, machine: MachineRecords | None
) -> tuple[OutsideChange, ...]:
    """The stores that changed outside the app since its last change to them (blocking: reads two files)."""
    entries, _ = history.load()
    writes = writes_from_history(entries)
    if machine is not None:
        writes += writes_from_machine(machine.read_history())
    return outside_changes(state, last_writes(writes))
