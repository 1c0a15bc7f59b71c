"""Turns a request ("set ipv4 to inline") and the machine's state into a typed Change, or says why not."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from app.domain.errors import LoopbackTunerError, ValidationError
from app.domain.model import (
    Change,
    Family,
    FamilyChange,
    LoopbackSettings,
    MachineState,
    ReadProblem,
    SettingsPatch,
    Store,
)

if TYPE_CHECKING:
    from app.domain.history import HistoryEntry


class FamilyUnavailableError(LoopbackTunerError):
    """A family the request names could not be read, so no safe change can be planned for it."""

    def __init__(self, family: Family, problem: ReadProblem, message: str) -> None:
        super().__init__(f"{family.label}: {message}")
        self.family, self.problem, self.message = family, problem, message


def plan_targets(
    state: MachineState, families: Iterable[Family], target: Callable[[Family, LoopbackSettings], LoopbackSettings]
) -> Change:
    """The change to ``target(family, current)`` for each family; raises FamilyUnavailableError for an unreadable
    one (a change is only ever planned from values that were read)."""
    items = []
    for family in families:
        fs = state[family]
        if fs.settings is None:
            failure = fs.failure
            assert failure is not None
            raise FamilyUnavailableError(family, failure.problem, failure.message)
        items.append(FamilyChange(family, fs.settings, target(family, fs.settings)))
    return Change(tuple(items))


def plan_change(state: MachineState, families: Iterable[Family], patch: SettingsPatch) -> Change:
    """The change that applies ``patch`` to each family; raises FamilyUnavailableError for an unreadable one."""
    return plan_targets(state, families, lambda _family, current: current.with_patch(patch))


def plan_to_match(state: MachineState, targets: dict[Family, LoopbackSettings], store: Store) -> Change:
    """The change that makes ``store`` (and the active values) match ``targets`` (a profile, the originals): with the
    persistent store, a value only the saved store lacks is part of it too, so a machine whose saved values drifted
    is remediated, and one that matches in both stores needs no change at all. Each family's change runs from the
    value being replaced (the active one, or the saved one where only it differs) to the target; raises
    FamilyUnavailableError for a family (or, with the persistent store, a saved store) that cannot be read."""
    items = []
    for family, target in targets.items():
        fs = state[family]
        readings = (fs.active, fs.persistent) if store is Store.PERSISTENT else (fs.active,)
        for reading in readings:
            if not isinstance(reading, LoopbackSettings):
                raise FamilyUnavailableError(family, reading.problem, reading.message)
        active = fs.active
        assert isinstance(active, LoopbackSettings)
        replaced = active
        if store is Store.PERSISTENT:
            saved = fs.persistent
            assert isinstance(saved, LoopbackSettings)
            fields = {}
            for setting, _ in SettingsPatch.between(saved, target).items():
                name = setting.field_name
                if getattr(active, name) == getattr(target, name):  # only the saved value differs
                    fields[name] = getattr(saved, name)
            replaced = dataclasses.replace(active, **fields)
        if replaced != target:
            items.append(FamilyChange(family, replaced, target))
    return Change(tuple(items))


def plan_save(state: MachineState, families: Iterable[Family]) -> Change:
    """The change that makes the active values persistent: from the saved values to the active ones, for each
    family where they differ (empty when everything is saved). Raises FamilyUnavailableError when a family's
    active or saved values cannot be read. Both faces use this."""
    items = []
    for family in families:
        fs = state[family]
        for reading in (fs.active, fs.persistent):
            if not isinstance(reading, LoopbackSettings):
                raise FamilyUnavailableError(family, reading.problem, reading.message)
        assert fs.settings is not None and fs.saved is not None
        if fs.unsaved_settings:
            items.append(FamilyChange(family, fs.saved, fs.settings))
    return Change(tuple(items))


class NotRevertibleError(ValidationError):
    """Only a change that was kept can be reverted: any other did not stay on the machine."""

    def __init__(self) -> None:
        super().__init__("only a kept change can be reverted; this one did not stay")


def revertible(entry: HistoryEntry) -> bool:
    """Whether a history entry is a change that stayed (so reverting it means something)."""
    return entry.stayed


def plan_revert(entry: HistoryEntry, state: MachineState) -> Change:
    """The change that puts back the values a kept entry replaced, on top of the machine's values now (fields it
    did not touch stay as they are). Raises NotRevertibleError, FamilyUnavailableError. Both faces use this."""
    if not revertible(entry):
        raise NotRevertibleError()
    patches = {fc.family: fc.patch for fc in entry.requested.inverse().families}
    return plan_targets(state, patches, lambda family, current: current.with_patch(patches[family]))
