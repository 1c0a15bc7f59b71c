"""Machine-wide records kept by the elevated helper: the machine's original values, its change history, the event log.

They live in a folder only administrators can write (``<ProgramData>\\LoopbackTuner`` on Windows; beside the
simulated machine's state file in simulation), checked before every use, so no user can plant "originals"
that a later Restore would apply, or erase another user's changes from the record.
"""

from __future__ import annotations

import importlib
import json
import os
import stat
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from app.domain.model import Family, LoopbackSettings, SettingsPatch, Store
from app.paths import MACHINE_EVENT_LOG, MACHINE_HISTORY, MACHINE_ORIGINALS, simulated_machine_folder
from app.storage.files import set_aside, write_json_atomic
from app.storage.machine_events import (
    ChangeStage,
    EventLog,
    FolderGuard,
    JsonLinesEventLog,
    MachineEvent,
    MachineFolderError,
    TrialObserver,
    WindowsEventLog,
    append_line,
    parse_event,
)

if TYPE_CHECKING:
    from app.platform.win32_machine import MachineApi

MAX_BYTES = 64 * 1024


def parse_originals(raw: bytes) -> dict[Family, tuple[LoopbackSettings, float]]:
    """An original-values file (machine-wide or per user: one format): each family's settings and when they
    were recorded. Raises ValueError (ValidationError, UnicodeDecodeError included) for anything else."""
    if len(raw) > MAX_BYTES:
        raise ValueError("file too large")
    data = json.loads(raw.decode("utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not an object")
    out = {}
    for key, value in data.items():
        if not isinstance(value, dict) or not isinstance(value.get("saved_at"), int | float):
            raise ValueError(f"bad entry {key!r}")
        out[Family(key)] = (LoopbackSettings.from_json(value.get("settings")), float(value["saved_at"]))
    return out


class PosixFolderGuard:
    """Simulation: the current user plays the administrators; the folder is theirs and nobody else's to write."""

    def check(self, path: Path) -> bool:
        try:
            info = os.lstat(path)
        except OSError:
            return False
        if not stat.S_ISDIR(info.st_mode):  # also refuses a symlink
            return False
        if sys.platform == "win32":  # the simulation on a Windows desktop: no owner model to check here
            return True
        return info.st_uid == os.geteuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)

    def ensure(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.mkdir(mode=0o755)
            os.chmod(path, 0o755)  # mkdir's mode is filtered by the umask
        except FileExistsError:
            pass
        if not self.check(path):
            raise MachineFolderError(f"{path} can be changed by other users; it is not used")


class WindowsFolderGuard:
    """Windows: the ACL check and creation of app.platform.win32_security (imported when first used)."""

    def _security(self) -> object:
        return importlib.import_module("app.platform.win32_security")

    def check(self, path: Path) -> bool:
        return bool(getattr(self._security(), "is_admin_only")(str(path)))  # noqa: B009

    def ensure(self, path: Path) -> None:
        try:
            getattr(self._security(), "create_admin_only_folder")(str(path))  # noqa: B009
        except OSError as exc:
            raise MachineFolderError(f"{path} is not writable by administrators only ({exc}); it is not used") from exc


class MachineRecords:
    """The machine-wide folder's records. The helper writes them; the app only reads the originals."""

    def __init__(
        self,
        folder: Path,
        guard: FolderGuard,
        event_log: EventLog | None = None,
        who: Callable[[], str] = lambda: "unknown",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.folder, self.guard, self.event_log, self.who, self.clock = folder, guard, event_log, who, clock
        self.notices: list[str] = []

    def _note(self, text: str) -> None:
        if text not in self.notices:  # the same broken folder is reported once, not at every stage
            self.notices.append(text)

    @property
    def originals_path(self) -> Path:
        return self.folder / MACHINE_ORIGINALS

    @property
    def history_path(self) -> Path:
        return self.folder / MACHINE_HISTORY

    def read_originals(self) -> dict[Family, tuple[LoopbackSettings, float]]:
        """The recorded originals ({} when none); raises MachineFolderError if the folder fails its check,
        OSError or ValueError if the file cannot be read."""
        if not self.folder.exists():
            return {}
        if not self.guard.check(self.folder):
            raise MachineFolderError(f"{self.folder} can be changed by non-administrators")
        try:
            raw = self.originals_path.read_bytes()
        except FileNotFoundError:
            return {}
        return parse_originals(raw)

    def record_originals(self, before: Mapping[Family, LoopbackSettings]) -> None:
        """Record each family's before-values unless recorded already (never overwritten); raises OSError."""
        self.guard.ensure(self.folder)
        try:
            known = self.read_originals()
        except (ValueError, UnicodeDecodeError):
            moved = set_aside(self.originals_path)
            self._note(f"the machine's original values were unreadable; kept as {moved.name}")
            known = {}
        missing = {f: s for f, s in before.items() if f not in known}
        if not missing:
            return
        now = self.clock()
        known.update({f: (s, now) for f, s in missing.items()})
        write_json_atomic(
            self.originals_path,
            {f.value: {"settings": s.to_json(), "saved_at": at} for f, (s, at) in known.items()},
        )

    def read_history(self) -> list[MachineEvent]:
        """The machine history, oldest first; unreadable lines are skipped (it is evidence, never a decision's only
        input), and a folder others could write is not trusted at all (empty)."""
        if not self.guard.check(self.folder):
            return []
        try:
            raw = self.history_path.read_bytes()
        except OSError:
            return []
        return [e for line in raw.decode("utf-8", errors="replace").splitlines() if (e := parse_event(line))]

    def append(self, event: MachineEvent) -> None:
        """Add ``event`` to the machine history and the event log; failures become :attr:`notices`."""
        try:
            self.guard.ensure(self.folder)
            append_line(self.history_path, event.to_json())
        except OSError as exc:
            self._note(f"the machine history was not written: {exc}")
        if self.event_log is not None:
            try:
                self.event_log.write(event)
            except OSError as exc:
                self._note(f"the event log entry was not written: {exc}")

    def observer(
        self, changes: Sequence[tuple[Family, SettingsPatch]], keep_store: Store | None = None
    ) -> TrialObserver:
        """The helper Transaction's observer: originals on STARTING, a history line per family otherwise (a KEPT
        line names the store the keep wrote, so a later read can tell a change lost at restart)."""

        def observe(stage: ChangeStage, before: Mapping[Family, LoopbackSettings]) -> None:
            if stage is ChangeStage.STARTING:
                try:
                    self.record_originals(before)
                except OSError as exc:
                    self._note(f"the machine's original values were not recorded: {exc}")
                return
            try:
                who = self.who()
            except OSError:
                who = "unknown"
            now = self.clock()
            for family, patch in changes:
                if family in before:
                    after = before[family].with_patch(patch)
                    store = keep_store if stage is ChangeStage.KEPT else None
                    self.append(MachineEvent(stage, family, before[family], after, who, now, store))

        return observe


def _os_account() -> str:
    """The account this process runs as, from the OS (never from the app's arguments or the environment).

    The helper records its own identity: the app's claim of who is using it cannot be checked by the elevated
    side, while the OS account can. With UAC "over the shoulder" that is the administrator who approved the
    prompt, which is who made the change as far as the machine is concerned.
    """
    if sys.platform == "win32":
        from app.platform.win32_machine import CtypesMachineApi, account_name

        return account_name(CtypesMachineApi())
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def machine_records(
    kind: str, state: Path | None, *, platform: str = sys.platform, api: MachineApi | None = None
) -> MachineRecords | None:
    """The machine-wide records for a backend ("system", "simulated"; a custom netsh has none)."""
    if kind == "simulated" and state is not None:
        folder = simulated_machine_folder(state)
        guard = PosixFolderGuard()
        return MachineRecords(folder, guard, JsonLinesEventLog(folder / MACHINE_EVENT_LOG, guard), _os_account)
    if kind == "system" and platform == "win32":
        from app.platform import win32_machine as w

        machine_api = api if api is not None else w.CtypesMachineApi()
        folder = Path(w.machine_folder(machine_api))
        return MachineRecords(folder, WindowsFolderGuard(), WindowsEventLog(machine_api), _os_account)
    return None


def machine_records_or_none(kind: str, state: Path | None) -> MachineRecords | None:
    """:func:`machine_records`, or None when the machine-wide folder cannot even be located (then only this
    user's originals are known)."""
    try:
        return machine_records(kind, state)
    except OSError:
        return None
