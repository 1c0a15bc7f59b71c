"""Does a machine match a profile? A pure comparison of what was read with what a profile file asks for."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.domain.model import (
    ExecutionMode,
    Family,
    LoopbackSettings,
    MachineState,
    ReadFailure,
    ReadProblem,
    Setting,
    Store,
    format_value,
)

Value = ExecutionMode | int | bool


class Verdict(enum.StrEnum):
    """How a compliance check ended."""

    COMPLIANT = "compliant"  # every value the profile names is in every store checked
    NOT_COMPLIANT = "not-compliant"  # at least one value differs (and everything could be read)
    UNREADABLE = "unreadable"  # a family the profile names could not be read: never reported as compliant


@dataclass(frozen=True, slots=True)
class Difference:
    """One value the machine has that the profile does not want."""

    family: Family
    store: Store
    setting: Setting
    expected: Value
    actual: Value

    def describe(self) -> str:
        actual, expected = format_value(self.setting, self.actual), format_value(self.setting, self.expected)
        return f"{self.family.label} {self.store.value}: {self.setting.label} is {actual}, the profile says {expected}"

    def to_json(self) -> dict[str, object]:
        return {
            "family": self.family.value,
            "store": self.store.value,
            "setting": self.setting.field_name,
            "expected": _json_value(self.expected),
            "actual": _json_value(self.actual),
        }


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A family and store the profile names that could not be read."""

    family: Family
    store: Store
    failure: ReadFailure

    def describe(self) -> str:
        return f"{self.family.label} {self.store.value}: cannot be read ({self.failure.message})"

    def to_json(self) -> dict[str, object]:
        return {
            "family": self.family.value,
            "store": self.store.value,
            "problem": self.failure.problem.value,
            "error": self.failure.message,
        }


@dataclass(frozen=True, slots=True)
class Compliance:
    """The result of comparing a machine with a profile."""

    families: tuple[Family, ...]
    stores: tuple[Store, ...]
    differences: tuple[Difference, ...] = ()
    unreadable: tuple[Unreadable, ...] = ()

    @property
    def verdict(self) -> Verdict:
        if self.unreadable:
            return Verdict.UNREADABLE
        return Verdict.NOT_COMPLIANT if self.differences else Verdict.COMPLIANT

    @property
    def unreadable_families(self) -> tuple[Family, ...]:
        return tuple(dict.fromkeys(u.family for u in self.unreadable))

    def to_json(self) -> dict[str, object]:
        """The documented ``check --json`` shape (README, *Many machines*)."""
        return {
            "compliant": self.verdict is Verdict.COMPLIANT,
            "verdict": self.verdict.value,
            "families": [f.value for f in self.families],
            "stores": [s.value for s in self.stores],
            "differences": [d.to_json() for d in self.differences],
            "unreadable": [u.to_json() for u in self.unreadable],
        }


def compare(
    state: MachineState, profile: Mapping[Family, LoopbackSettings], stores: Iterable[Store] = tuple(Store)
) -> Compliance:
    """Compare every family ``profile`` names, in each of ``stores``, with ``state``.

    Families the profile leaves out are not checked. A family (and store) that could not be read is listed as
    unreadable, so the verdict is never "compliant" for a machine that was not read.
    """
    chosen_stores = tuple(stores)
    if not chosen_stores:
        raise ValueError("compare needs at least one store")
    families = tuple(f for f in Family if f in profile)
    differences: list[Difference] = []
    unreadable: list[Unreadable] = []
    for family in families:
        expected = profile[family]
        family_state = state.families.get(family)
        for store in chosen_stores:
            if family_state is None:
                unreadable.append(Unreadable(family, store, ReadFailure(ReadProblem.NETSH_FAILED, "not read")))
                continue
            reading = family_state.active if store is Store.ACTIVE else family_state.persistent
            if isinstance(reading, ReadFailure):
                unreadable.append(Unreadable(family, store, reading))
                continue
            differences.extend(
                Difference(family, store, setting, expected.value(setting), reading.value(setting))
                for setting in Setting
                if reading.value(setting) != expected.value(setting)
            )
    return Compliance(families, chosen_stores, tuple(differences), tuple(unreadable))


def _json_value(value: Value) -> object:
    return value.value if isinstance(value, ExecutionMode) else value
