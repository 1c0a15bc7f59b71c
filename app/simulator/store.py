"""The simulated machine's JSON state file: atomic writes, a lock, and corrupt files set aside."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from app.storage.files import InterProcessLock, set_aside, write_json_atomic

if TYPE_CHECKING:  # the machine (and the domain under it) is imported by the first load: an early read (issue 16)
    from app.simulator.machine import SimulatedMachine  # starts its runs before the command line imports them
    from app.simulator.profile import SimProfile

T = TypeVar("T")
MAX_STATE_BYTES = 64 * 1024


class SimStateFile:
    """Loads, changes and saves the simulated machine under a lock, so several processes can share it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = InterProcessLock(path.with_name(path.name + ".lock"))
        self.notices: list[str] = []  # things the user should be told (a corrupt file set aside)

    def build_hint(self) -> int | None:
        """The Windows build the state file names, read without the lock or the machine's classes, for the check
        an early read makes before it starts its runs (app/runners/early.py); None when the file names none that
        this quick look can trust. A file that cannot be parsed at all is loaded the full way instead, which sets
        it aside and notes it (``notices``), as the first load always has. The answer only decides whether runs
        start early: the read itself checks the build again, on the machine as loaded."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None  # a fresh machine: its default build
        except OSError:
            return None  # unreadable now: the runs' own loads report it
        try:
            if len(raw) > MAX_STATE_BYTES:
                raise ValueError("file is too large")
            data = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return self.load().profile.build  # corrupt: set aside and noted now, a fresh machine's build
        profile = data.get("profile") if isinstance(data, dict) else None
        build = profile.get("build") if isinstance(profile, dict) else None
        return build if type(build) is int else None

    def _load_unlocked(self) -> SimulatedMachine:
        from app.domain.errors import ValidationError
        from app.simulator.machine import SimulatedMachine

        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return SimulatedMachine()
        try:
            if len(raw) > MAX_STATE_BYTES:
                raise ValueError("file is too large")
            return SimulatedMachine.from_json(json.loads(raw.decode("utf-8")))
        except (ValueError, ValidationError, UnicodeDecodeError) as exc:
            moved = set_aside(self.path)
            self.notices.append(
                f"The simulated machine's state file was unreadable ({exc}); it was moved to "
                f"{moved.name} and a fresh machine was started."
            )
            return SimulatedMachine()

    def load(self) -> SimulatedMachine:
        with self._lock.hold(timeout_s=10):
            return self._load_unlocked()

    def update(self, change: Callable[[SimulatedMachine], T]) -> T:
        """Load, apply ``change``, save, all under the lock; returns what ``change`` returned."""
        from app.simulator.machine import SimulatedMachine

        with self._lock.hold(timeout_s=10):
            machine = self._load_unlocked()
            before = machine.to_json()
            result = change(machine)
            after = machine.to_json()
            if after != before or (not self.path.exists() and after != SimulatedMachine().to_json()):
                write_json_atomic(self.path, after)  # a read (show global) leaves the file alone
            return result

    def set_profile(self, profile: SimProfile) -> None:
        def apply(machine: SimulatedMachine) -> None:
            machine.profile = profile
            machine.hung_once = False

        self.update(apply)

    def reboot(self) -> None:
        self.update(lambda machine: machine.reboot())
