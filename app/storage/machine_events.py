"""What the machine-wide records hold: the stages of a change, one history event, and the event logs it goes to."""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from app.domain.errors import ValidationError
from app.domain.model import Family, LoopbackSettings, Store

if TYPE_CHECKING:
    from app.platform.win32_machine import MachineApi


class MachineFolderError(OSError):
    """The machine-wide folder exists but could be written by someone other than an administrator."""


class ChangeStage(enum.StrEnum):
    """Where a change made by the helper stands; the machine history and the event log record each one."""

    STARTING = "starting"  # the values before were read, nothing set yet: only the originals are recorded
    APPLIED = "applied"
    KEPT = "kept"
    KEEP_FAILED = "keep-failed"
    REVERTED = "reverted"
    FAILED = "failed"
    REVERT_FAILED = "revert-failed"


WARNING_STAGES = frozenset({ChangeStage.FAILED, ChangeStage.REVERT_FAILED, ChangeStage.KEEP_FAILED})
EVENT_IDS = {  # 1..1000: the range EventCreate.exe's message table covers (see packaging/installer.iss)
    ChangeStage.APPLIED: 101,
    ChangeStage.KEPT: 102,
    ChangeStage.REVERTED: 103,
    ChangeStage.FAILED: 201,
    ChangeStage.REVERT_FAILED: 202,
    ChangeStage.KEEP_FAILED: 203,
}

TrialObserver = Callable[[ChangeStage, Mapping[Family, LoopbackSettings]], None]


@dataclass(frozen=True)
class MachineEvent:
    """One line of the machine history: who changed which family from what to what, and how it ended."""

    stage: ChangeStage
    family: Family
    before: LoopbackSettings
    after: LoopbackSettings
    who: str
    at: float
    store: Store | None = None  # KEPT only: the store the keep wrote (older lines have none)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "at": self.at,
            "who": self.who,
            "family": self.family.value,
            "before": self.before.to_json(),
            "after": self.after.to_json(),
            "outcome": self.stage.value,
        }
        if self.store is not None:
            out["store"] = self.store.value
        return out

    def strings(self) -> tuple[str, ...]:
        """The event log's insertion strings: a whole sentence first (the only one a message file
        showing "%1" displays), then who, what, before and after on their own for filtering."""
        what = f"{self.family.label} loopback settings {self.stage.value}"
        before, after = self.before.describe(), self.after.describe()
        return (f"{self.who}: {what}; before: {before}; after: {after}", self.who, what, before, after)


def parse_event(line: str) -> MachineEvent | None:
    """One machine-history line, or None when it is not one (strict: every field checked)."""
    try:
        data = json.loads(line)
        if not isinstance(data, dict):
            return None
        at, who, store = data["at"], data["who"], data.get("store")
        if not isinstance(at, int | float) or isinstance(at, bool) or not isinstance(who, str):
            return None
        return MachineEvent(
            ChangeStage(data["outcome"]),
            Family(data["family"]),
            LoopbackSettings.from_json(data["before"]),
            LoopbackSettings.from_json(data["after"]),
            who,
            float(at),
            None if store is None else Store(store),
        )
    except (ValueError, KeyError, TypeError, ValidationError):
        return None


class FolderGuard(Protocol):
    """Creates the machine-wide folder so only administrators can write it, and checks it before each use."""

    def ensure(self, path: Path) -> None:
        """Create it admin-only if missing; raises OSError (MachineFolderError if it exists and is not)."""

    def check(self, path: Path) -> bool:
        """Whether it exists and only administrators can write it."""


class EventLog(Protocol):
    def write(self, event: MachineEvent) -> None:
        """Record one event; raises OSError."""


class JsonLinesEventLog:
    """Simulation: the Application log as a JSON-lines file, one entry per line, as Windows would store it."""

    def __init__(self, path: Path, guard: FolderGuard) -> None:
        self.path, self.guard = path, guard

    def write(self, event: MachineEvent) -> None:
        if not self.guard.check(self.path.parent):  # it sits in the machine-wide folder: the same check
            raise MachineFolderError(f"{self.path.parent} can be changed by non-administrators")
        entry = {
            "source": "Loopback Tuner",
            "type": "warning" if event.stage in WARNING_STAGES else "information",
            "event_id": EVENT_IDS[event.stage],
            "strings": list(event.strings()),
        }
        append_line(self.path, entry)


class WindowsEventLog:
    """The real Application log, source "Loopback Tuner"."""

    def __init__(self, api: MachineApi | None = None) -> None:
        self._api = api

    def write(self, event: MachineEvent) -> None:
        from app.platform import win32_machine as w

        api = self._api if self._api is not None else w.CtypesMachineApi()
        kind = w.EVENTLOG_WARNING_TYPE if event.stage in WARNING_STAGES else w.EVENTLOG_INFORMATION_TYPE
        w.report_event(api, kind, EVENT_IDS[event.stage], event.strings())


def append_line(path: Path, data: object) -> None:
    line = (json.dumps(data, sort_keys=True) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        os.write(fd, line)  # one write of a short line: appended whole
        os.fsync(fd)
    finally:
        os.close(fd)
