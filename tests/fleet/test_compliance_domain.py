"""The pure comparison behind ``check``: which values differ, in which store, and when a read failure wins."""

from __future__ import annotations

import pytest

from app.domain.compliance import Difference, Verdict, compare
from app.domain.model import (
    ExecutionMode,
    Family,
    FamilyState,
    LoopbackSettings,
    MachineState,
    ReadFailure,
    ReadProblem,
    Setting,
    Store,
)

A = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)
B = LoopbackSettings(ExecutionMode.WORKER, 8, False)
UNREADABLE = ReadFailure(ReadProblem.UNRECOGNIZED, "labels not known")


def machine(active: LoopbackSettings | ReadFailure, persistent: LoopbackSettings | ReadFailure) -> MachineState:
    return MachineState({f: FamilyState(f, active, persistent) for f in Family})


def test_equal_values_are_compliant() -> None:
    result = compare(machine(A, A), dict.fromkeys(Family, A))
    assert result.verdict is Verdict.COMPLIANT
    assert result.to_json()["compliant"] is True


def test_every_differing_setting_is_listed_per_family_and_store() -> None:
    result = compare(machine(B, A), {Family.IPV6: A})
    assert result.verdict is Verdict.NOT_COMPLIANT
    assert result.differences == (
        Difference(Family.IPV6, Store.ACTIVE, Setting.EXECUTION_MODE, ExecutionMode.ADAPTIVE, ExecutionMode.WORKER),
        Difference(Family.IPV6, Store.ACTIVE, Setting.WORKER_COUNT, 4, 8),
        Difference(Family.IPV6, Store.ACTIVE, Setting.LARGE_MTU, True, False),
    )
    assert result.differences[2].to_json() == {
        "family": "ipv6",
        "store": "active",
        "setting": "large_mtu",
        "expected": True,
        "actual": False,
    }
    assert result.differences[1].describe() == "IPv6 active: worker count is 8, the profile says 4"


def test_only_the_stores_asked_for_are_compared() -> None:
    assert compare(machine(A, B), dict.fromkeys(Family, A), (Store.ACTIVE,)).verdict is Verdict.COMPLIANT
    assert compare(machine(A, B), dict.fromkeys(Family, A), (Store.PERSISTENT,)).verdict is Verdict.NOT_COMPLIANT


def test_an_unreadable_store_wins_over_differences_and_is_never_compliant() -> None:
    result = compare(machine(B, UNREADABLE), dict.fromkeys(Family, A))
    assert result.verdict is Verdict.UNREADABLE
    assert result.to_json()["compliant"] is False
    assert [(u.family, u.store) for u in result.unreadable] == [(f, Store.PERSISTENT) for f in Family]
    assert result.unreadable_families == tuple(Family)
    assert compare(machine(A, UNREADABLE), dict.fromkeys(Family, A), (Store.ACTIVE,)).verdict is Verdict.COMPLIANT


def test_a_family_missing_from_the_read_is_unreadable() -> None:
    state = MachineState({Family.IPV4: FamilyState(Family.IPV4, A, A)})
    assert compare(state, dict.fromkeys(Family, A)).verdict is Verdict.UNREADABLE


def test_no_store_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="at least one store"):
        compare(machine(A, A), {Family.IPV4: A}, ())
