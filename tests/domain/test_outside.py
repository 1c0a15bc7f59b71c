"""Changed outside Loopback Tuner (issue 13): each store against what the app's last change left there."""

from __future__ import annotations

from app.domain.history import HistoryEntry
from app.domain.model import (
    Change,
    ExecutionMode,
    Family,
    FamilyChange,
    FamilyState,
    LoopbackSettings,
    MachineState,
    Setting,
    Store,
)
from app.domain.outcomes import HistoryOutcome
from app.domain.outside import LastWrite, OutsideKind, last_writes, outside_changes, writes_from_history

A = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)
B = LoopbackSettings(ExecutionMode.ADAPTIVE, 6, True)
C = LoopbackSettings(ExecutionMode.INLINE, 2, True)


def machine(active: LoopbackSettings, saved: LoopbackSettings) -> MachineState:
    return MachineState({Family.IPV4: FamilyState(Family.IPV4, active, saved)})


def entry(outcome: HistoryOutcome, before: LoopbackSettings, after: LoopbackSettings, at: float) -> HistoryEntry:
    change = Change((FamilyChange(Family.IPV4, before, after),))
    return HistoryEntry("id", at, "u", "m", "simulated", change, outcome, finished=at)


def test_a_store_that_holds_what_the_app_left_says_nothing() -> None:
    writes = last_writes(writes_from_history([entry(HistoryOutcome.KEPT, A, B, 10.0)]))
    assert outside_changes(machine(B, B), writes) == ()


def test_a_store_changed_since_names_what_differs_and_when() -> None:
    writes = last_writes(writes_from_history([entry(HistoryOutcome.KEPT, A, B, 10.0)]))
    found = outside_changes(machine(C, B), writes)
    (one,) = found
    assert (one.family, one.store, one.kind, one.since) == (Family.IPV4, Store.ACTIVE, OutsideKind.CHANGED, 10.0)
    assert [(d.setting, d.expected, d.actual) for d in one.differences] == [
        (Setting.EXECUTION_MODE, ExecutionMode.ADAPTIVE, ExecutionMode.INLINE),
        (Setting.WORKER_COUNT, 6, 2),
    ]
    assert "changed outside Loopback Tuner since" in one.text
    assert one.to_json()["differences"] == [
        {"setting": "loopbackexecutionmode", "expected": "adaptive", "actual": "inline"},
        {"setting": "loopbackworkercount", "expected": "6", "actual": "2"},
    ]


def test_an_active_only_change_after_a_restart_is_lost_not_outside() -> None:
    writes = last_writes(writes_from_history([entry(HistoryOutcome.ACTIVE_UNTIL_RESTART, A, B, 10.0)]))
    (one,) = outside_changes(machine(A, A), writes)
    assert one.kind is OutsideKind.LOST_AT_RESTART and "lost at restart" in one.text
    (other,) = outside_changes(machine(C, A), writes)  # something else, not the saved values: outside
    assert other.kind is OutsideKind.CHANGED


def test_the_newest_write_wins_and_a_revert_leaves_the_values_before() -> None:
    history = [entry(HistoryOutcome.KEPT, A, B, 10.0), entry(HistoryOutcome.REVERTED, B, C, 20.0)]
    writes = last_writes(writes_from_history(history))
    assert writes[Family.IPV4, Store.ACTIVE] == LastWrite(Family.IPV4, Store.ACTIVE, B, 20.0)
    assert writes[Family.IPV4, Store.PERSISTENT] == LastWrite(Family.IPV4, Store.PERSISTENT, B, 10.0)
    assert outside_changes(machine(B, B), writes) == ()


def test_unfinished_or_failed_to_revert_entries_are_not_evidence() -> None:
    history = [entry(HistoryOutcome.REVERT_FAILED, A, B, 10.0), entry(HistoryOutcome.CANCELLED, A, B, 11.0)]
    assert writes_from_history(history) == []
