"""Finds transactions that never finished (the app was closed or killed mid-trial or mid-comparison), checks the
machine, records them.

Nothing is assumed: the machine is read first and compared with the values the "started" record kept. A trial
whose values are still in effect is reported as such, with the change that puts the recorded values back; so is a
comparison that left one of its configurations in effect (its helper puts the original values back on its own
when the app dies, so usually they are back: that is checked too).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from app.domain.history import ComparisonStart
from app.domain.model import Change, Family, FamilyChange, LoopbackSettings, MachineState, Store
from app.domain.notices import Notice, NoticeKind
from app.runners.base import NetshRunner
from app.storage.files import InterProcessLock, LockBusyError
from app.storage.history import INTERRUPTED, History, HistoryEntry
from app.usecases.reading import read_machine

if TYPE_CHECKING:
    from app.elevation.machine_lock import MachineLock


class Finding(enum.Enum):
    """What the machine shows compared with an unfinished trial's (or comparison's) recorded values."""

    STILL_APPLIED = "still-applied"  # the trial's values (one of the comparison's configurations) are still in effect
    REVERTED = "reverted"  # the values from before the trial (the comparison's original values) are back
    CHANGED_SINCE = "changed-since"  # neither: something else changed them, or a revert stopped half-way
    UNCHECKED = "unchecked"  # an old record without the trial's store, or the machine could not be read
    HELPER_RUNNING = "helper-running"  # a helper still holds the machine (it reverts unless kept): not judged yet


# What the history says (for people reading it; callers use the Finding).
REASONS = {
    Finding.STILL_APPLIED: "the app ended during the trial; the trial's values are still in effect (checked)",
    Finding.REVERTED: "the app ended during the trial; reverted by its helper (checked)",
    Finding.CHANGED_SINCE: "the app ended during the trial; changed since (values differ from both)",
    Finding.UNCHECKED: "the app ended during the trial; the values could not be checked",
}
COMPARISON_REASONS = {
    Finding.STILL_APPLIED: (
        "the app ended during the comparison; the original values are not back: one of its configurations is "
        "still in effect (checked)"
    ),
    Finding.REVERTED: "the app ended during the comparison; its helper put the original values back (checked)",
    Finding.CHANGED_SINCE: (
        "the app ended during the comparison; changed since (values differ from the originals and every configuration)"
    ),
    Finding.UNCHECKED: "the app ended during the comparison; the values could not be checked",
}


def reason_for(entry: HistoryEntry, finding: Finding) -> str:
    """What the history says about an unfinished entry, once checked."""
    return (COMPARISON_REASONS if entry.comparison is not None else REASONS)[finding]


@dataclass(frozen=True)
class Recovered:
    """One unfinished trial, what the machine showed, and the change that would put the recorded values back."""

    entry: HistoryEntry
    finding: Finding
    restore: Change  # STILL_APPLIED only (else empty): from the trial's values back to the recorded ones
    restore_store: Store = Store.ACTIVE  # persistent only when the trial's values were also saved

    @property
    def families(self) -> tuple[Family, ...]:
        if self.entry.comparison is not None:
            return tuple(self.entry.comparison.originals)
        return tuple(fc.family for fc in self.entry.requested.families)

    @property
    def comparison(self) -> bool:
        """An unfinished comparison (else a trial): the faces word their reports for it."""
        return self.entry.comparison is not None


@dataclass(frozen=True)
class Recovery:
    """Every unfinished trial found this time, and notices (a corrupt history set aside, a failed write)."""

    found: tuple[Recovered, ...] = ()
    notices: tuple[Notice, ...] = ()


def _shows(reading: object, fc: FamilyChange, values: LoopbackSettings) -> bool:
    """Whether ``reading`` has ``values`` in every setting the trial touched."""
    if not isinstance(reading, LoopbackSettings):
        return False
    return all(reading.value(setting) == values.value(setting) for setting, _ in fc.patch.items())


def judge_comparison(entry: HistoryEntry, start: ComparisonStart, state: MachineState | None) -> Recovered:
    """Compare the machine with an unfinished comparison's original values and configurations (pure): the
    originals back (REVERTED); one configuration in effect (STILL_APPLIED, with the change that puts the originals
    back, in both stores when the configuration was also saved, as a keep saves it); or neither (CHANGED_SINCE)."""
    if state is None:
        return Recovered(entry, Finding.UNCHECKED, Change())
    active: dict[Family, LoopbackSettings] = {}
    for family in start.originals:
        fs = state.families.get(family)
        if fs is None or fs.settings is None:
            return Recovered(entry, Finding.UNCHECKED, Change())
        active[family] = fs.settings
    if active == dict(start.originals):
        return Recovered(entry, Finding.REVERTED, Change())
    if not any(all(values.get(f) == s for f, s in active.items()) for _, values in start.configurations):
        return Recovered(entry, Finding.CHANGED_SINCE, Change())
    restore = Change(tuple(FamilyChange(f, s, start.originals[f]) for f, s in active.items()))
    saved = all(state[f].persistent == s for f, s in active.items())
    return Recovered(entry, Finding.STILL_APPLIED, restore, Store.PERSISTENT if saved else Store.ACTIVE)


def judge(entry: HistoryEntry, state: MachineState | None) -> Recovered:
    """Compare the machine with an unfinished trial's recorded before- and after-values (pure)."""
    if entry.comparison is not None:
        return judge_comparison(entry, entry.comparison, state)
    families = entry.requested.families
    if entry.store is None or state is None or not families:
        return Recovered(entry, Finding.UNCHECKED, Change())
    actives = []
    for fc in families:
        fs = state.families.get(fc.family)
        if fs is None or fs.settings is None:
            return Recovered(entry, Finding.UNCHECKED, Change())
        actives.append(fs.active)
    if all(_shows(r, fc, fc.after) for r, fc in zip(actives, families, strict=True)):
        saved = entry.store is Store.PERSISTENT and all(
            _shows(state[fc.family].persistent, fc, fc.after) for fc in families
        )
        return Recovered(
            entry, Finding.STILL_APPLIED, entry.requested.inverse(), Store.PERSISTENT if saved else Store.ACTIVE
        )
    if all(_shows(r, fc, fc.before) for r, fc in zip(actives, families, strict=True)):
        return Recovered(entry, Finding.REVERTED, Change())
    return Recovered(entry, Finding.CHANGED_SINCE, Change())


def _take(machine: Callable[[], MachineLock] | None) -> MachineLock | Literal[False] | None:
    """The taken lock; False when a helper holds it; None when there is none, or it cannot be checked."""
    if machine is None:
        return None
    try:
        lock = machine()
        return lock if lock.acquire() else False
    except (OSError, ValueError):  # e.g. no lock for this backend here: recovery still checks the values
        return None


def _unfinished(entries: list[HistoryEntry]) -> list[HistoryEntry]:
    return [e for e in entries if e.outcome is None]


def recover_interrupted(
    history: History, lock_path: Path, reader: NetshRunner, machine: Callable[[], MachineLock] | None = None
) -> Recovery:
    """Check and record every unfinished trial, unless another instance is still running one.

    Under the transaction lock the history is loaded again (another instance may have recorded them since
    the first look) and the machine is read before anything is written. ``machine`` makes the lock a helper
    holds for its whole life: while a helper (of a killed app, say) still holds it, its values may be half-reverted,
    so nothing is judged (HELPER_RUNNING, not recorded); it is held during the read, so no trial starts meanwhile.
    Blocking: the window runs it off the GUI thread.
    """
    entries, texts = history.load()
    notices = [Notice(NoticeKind.HISTORY, n) for n in texts]
    if not _unfinished(entries):
        return Recovery((), tuple(notices))
    lock = InterProcessLock(lock_path)
    try:
        lock.acquire()
    except LockBusyError:
        return Recovery((), tuple(notices))  # a trial is running in another window: its entry is not ours to judge
    try:
        entries, more = history.load()
        notices += [n for n in (Notice(NoticeKind.HISTORY, m) for m in more) if n not in notices]
        unfinished = _unfinished(entries)
        if not unfinished:
            return Recovery((), tuple(notices))
        held = _take(machine)
        if held is False:
            return Recovery(tuple(Recovered(e, Finding.HELPER_RUNNING, Change()) for e in unfinished), tuple(notices))
        try:
            checkable = [e for e in unfinished if e.store is not None]
            state = read_machine(reader) if checkable else None
        finally:
            if held:
                held.release()
        found = tuple(judge(entry, state) for entry in unfinished)
        for item in found:
            reason = reason_for(item.entry, item.finding)
            text = history.record_finished(item.entry.id, INTERRUPTED, reason)
            notice = Notice(NoticeKind.HISTORY, text) if text else None
            item.entry.outcome, item.entry.reason = INTERRUPTED, reason
            if notice and notice not in notices:
                notices.append(notice)
    finally:
        lock.release()
    return Recovery(found, tuple(notices))
