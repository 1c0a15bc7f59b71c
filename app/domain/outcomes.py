"""How a change ended, as values every layer shares: the helper's outcome and revert reason, the history's
outcome (which also knows "cancelled" and "interrupted"), and a value that did not stick."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from app.domain.model import ExecutionMode, Family, LoopbackSettings, MachineState, Setting, Store, format_value


class Outcome(enum.StrEnum):
    """How a transaction ended."""

    KEPT = "kept"
    REVERTED = "reverted"
    FAILED = "failed"  # the change could not be applied; the helper restored what it had touched
    REVERT_FAILED = "revert-failed"  # restoring failed: the machine may still hold the trial values
    KEEP_FAILED = "keep-failed"  # saving to the persistent store failed: the change lasts until reboot


class RevertReason(enum.StrEnum):
    ASKED = "asked"
    DEADLINE = "deadline"
    CHANNEL_DROPPED = "channel-dropped"
    BAD_MESSAGE = "bad-message"
    HELPER_ERROR = "helper-error"  # the helper hit an unexpected error and put the previous values back


class HistoryOutcome(enum.StrEnum):
    """How a history entry ended (its "finished" record); None in an entry means it never finished."""

    KEPT = "kept"
    ACTIVE_UNTIL_RESTART = "active-until-restart"  # kept in the active store only: lost at the next restart
    REVERTED = "reverted"
    FAILED = "failed"
    KEEP_FAILED = "keep-failed"
    REVERT_FAILED = "revert-failed"
    CANCELLED = "cancelled"  # the UAC prompt was cancelled: nothing started
    INTERRUPTED = "interrupted"  # closed by the next start's check (the app or the machine stopped mid-trial)

    @property
    def stayed(self) -> bool:
        """The change is (still) in effect after this ending: the entries *Revert this change* can undo."""
        return self in (HistoryOutcome.KEPT, HistoryOutcome.ACTIVE_UNTIL_RESTART)


@dataclass(frozen=True)
class Mismatch:
    """A value that did not stick: what was expected and what the machine shows."""

    family: Family
    setting: Setting
    expected: object
    actual: object | None  # None when the family could not be read back
    store: Store = Store.ACTIVE

    def describe(self) -> str:
        if self.actual is None:
            return f"{self.family.label} {self.setting.label}: could not be read back to check"
        expected, actual = _words(self.setting, self.expected), _words(self.setting, self.actual)
        if self.store is Store.PERSISTENT:
            return (
                f"{self.family.label} {self.setting.label} was not saved: expected {expected}, "
                f"the saved value is {actual} (a restart would bring it back)"
            )
        return (
            f"{self.family.label} {self.setting.label} did not stick: expected {expected}, the machine shows {actual}"
        )


def _words(setting: Setting, value: object) -> str:
    """A value as people read it: on/off for large MTU, the mode's name, the number."""
    if isinstance(value, bool | int | ExecutionMode):
        return format_value(setting, value)
    return str(value)


def mismatches(
    state: MachineState, expected: dict[Family, LoopbackSettings], store: Store = Store.ACTIVE
) -> list[Mismatch]:
    """Where ``state`` differs from ``expected`` (only the families named in ``expected``)."""
    found = []
    for family, want in expected.items():
        fs = state.families.get(family)
        reading = None if fs is None else (fs.active if store is Store.ACTIVE else fs.persistent)
        for setting in Setting:
            if not isinstance(reading, LoopbackSettings):
                found.append(Mismatch(family, setting, want.value(setting), None, store))
            elif reading.value(setting) != want.value(setting):
                found.append(Mismatch(family, setting, want.value(setting), reading.value(setting), store))
    return found
