"""Values changed outside Loopback Tuner: a store that no longer holds what the app's last change left there (a
policy, a script, another tool), or an active-only change that the restart dropped. Pure: the history's last writes
and a fresh read in, typed findings out; both faces show them (show, the window)."""

from __future__ import annotations

import enum
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.domain.history import HistoryEntry
from app.domain.model import Family, LoopbackSettings, MachineState, Setting, Store, format_value
from app.domain.outcomes import HistoryOutcome


class OutsideKind(enum.StrEnum):
    CHANGED = "changed-outside"  # someone or something else changed the store since the app's last change
    LOST_AT_RESTART = "lost-at-restart"  # the app's change was active only, and a restart brought the saved values


@dataclass(frozen=True)
class LastWrite:
    """What the app's last change that wrote ``store`` left there, and when."""

    family: Family
    store: Store
    values: LoopbackSettings
    at: float
    active_only: bool = False  # kept in the active store only: a restart drops it


@dataclass(frozen=True)
class Difference:
    setting: Setting
    expected: object  # what the app left
    actual: object  # what the store holds now

    def describe(self) -> str:
        left, now = format_value(self.setting, self.expected), format_value(self.setting, self.actual)  # type: ignore[arg-type]
        return f"{self.setting.label} is {now} (Loopback Tuner left {left})"


@dataclass(frozen=True)
class OutsideChange:
    family: Family
    store: Store
    kind: OutsideKind
    since: float  # when the app's last change to that store was made
    differences: tuple[Difference, ...]

    @property
    def text(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.since))
        what = "; ".join(d.describe() for d in self.differences)
        if self.kind is OutsideKind.LOST_AT_RESTART:
            return f"{self.family.label}: the change of {when} was active only and was lost at restart: {what}"
        where = "saved" if self.store is Store.PERSISTENT else "active"
        return f"{self.family.label} ({where} values) changed outside Loopback Tuner since {when}: {what}"

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "store": self.store.value,
            "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.since)),
            "differences": [
                {
                    "setting": d.setting.value,
                    "expected": format_value(d.setting, d.expected),  # type: ignore[arg-type]
                    "actual": format_value(d.setting, d.actual),  # type: ignore[arg-type]
                }
                for d in self.differences
            ],
        }


def writes_from_history(entries: Iterable[HistoryEntry]) -> list[LastWrite]:
    """What each finished change left in each store (a revert or a failure leaves the values from before)."""
    found = []
    for entry in entries:
        at = entry.finished or entry.started
        for fc in entry.requested.families:
            if entry.outcome is HistoryOutcome.KEPT:
                found += [
                    LastWrite(fc.family, Store.ACTIVE, fc.after, at),
                    LastWrite(fc.family, Store.PERSISTENT, fc.after, at),
                ]
            elif entry.outcome is HistoryOutcome.ACTIVE_UNTIL_RESTART:
                found.append(LastWrite(fc.family, Store.ACTIVE, fc.after, at, active_only=True))
            elif entry.outcome in (HistoryOutcome.REVERTED, HistoryOutcome.FAILED):
                found.append(LastWrite(fc.family, Store.ACTIVE, fc.before, at))
    return found


def last_writes(writes: Iterable[LastWrite]) -> dict[tuple[Family, Store], LastWrite]:
    """The newest write per family and store."""
    newest: dict[tuple[Family, Store], LastWrite] = {}
    for write in writes:
        key = (write.family, write.store)
        if key not in newest or write.at >= newest[key].at:
            newest[key] = write
    return newest


def outside_changes(state: MachineState, writes: Mapping[tuple[Family, Store], LastWrite]) -> tuple[OutsideChange, ...]:
    """Each store that reads other than the app's last change left it (unreadable stores say nothing)."""
    found = []
    for (family, store), write in sorted(writes.items(), key=lambda item: (item[0][0].value, item[0][1].value)):
        fs = state.families.get(family)
        if fs is None:
            continue
        now = fs.active if store is Store.ACTIVE else fs.persistent
        if not isinstance(now, LoopbackSettings) or now == write.values:
            continue
        differences = tuple(
            Difference(s, write.values.value(s), now.value(s)) for s in Setting if write.values.value(s) != now.value(s)
        )
        lost = write.active_only and now == fs.saved
        kind = OutsideKind.LOST_AT_RESTART if lost else OutsideKind.CHANGED
        found.append(OutsideChange(family, store, kind, write.at, differences))
    return tuple(found)
