"""The machine's original values: the machine-wide record when there is one, else this user's first read.

The per-user record is saved once, on the first successful read, and never overwritten silently. The
machine-wide record (app/storage/machine.py) is written by the elevated helper before the first change ever
made on the machine, so it wins: a second user, or a user who first ran the app after someone else's
change, would otherwise call that change "original". :func:`load_originals` decides this for both faces.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from app.domain.model import Family, MachineState
from app.domain.originals import OriginalsSource, OriginalValues
from app.storage.files import set_aside, write_json_atomic
from app.storage.machine import MachineRecords, parse_originals
from app.storage.machine_events import MachineFolderError

__all__ = ["OriginalValues", "Originals", "OriginalsSource", "OriginalsStore", "load_originals"]


@dataclass(frozen=True)
class Originals:
    """The originals Restore offers, per family, each with its source."""

    values: dict[Family, OriginalValues] = field(default_factory=dict)
    notices: tuple[str, ...] = ()


class OriginalsStore:
    """Per-user file of the first values read for each family (per backend, so a simulation never mixes in)."""

    def __init__(self, path: Path, machine: MachineRecords | None = None) -> None:
        self.path, self.machine = path, machine
        self.notices: list[str] = []

    def load(self) -> dict[Family, OriginalValues]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            self.notices.append(f"The original values could not be read ({exc.strerror}).")
            return {}
        try:
            return {family: OriginalValues(settings, at) for family, (settings, at) in parse_originals(raw).items()}
        except ValueError as exc:  # ValidationError and UnicodeDecodeError are ValueErrors too
            try:
                moved = set_aside(self.path).name
            except OSError:
                moved = "(could not be moved)"
            self.notices.append(
                f"The saved original values were unreadable ({exc}); the file was kept as {moved} "
                "and the values read now become the originals."
            )
            return {}

    def remember(self, state: MachineState) -> dict[Family, OriginalValues]:
        """Save, for each family not saved yet, its values now; returns all originals. Write errors become notices."""
        originals = self.load()
        added = False
        for family, fs in state.families.items():
            if family not in originals and fs.settings is not None:
                originals[family] = OriginalValues(fs.settings, time.time())
                added = True
        if added:
            try:
                write_json_atomic(
                    self.path,
                    {f.value: {"settings": o.settings.to_json(), "saved_at": o.saved_at} for f, o in originals.items()},
                )
            except OSError as exc:
                self.notices.append(f"The original values could not be saved ({exc.strerror or exc}).")
        return originals


def _machine_originals(machine: MachineRecords) -> tuple[dict[Family, OriginalValues], str | None]:
    try:
        recorded = machine.read_originals()
    except MachineFolderError:
        return {}, (
            f"The machine-wide original values in {machine.folder} were not used: that folder can be changed "
            "by users who are not administrators. This user's own first-read values are shown instead."
        )
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return {}, f"The machine-wide original values could not be read ({exc}); this user's are shown instead."
    return {f: OriginalValues(s, at, OriginalsSource.MACHINE) for f, (s, at) in recorded.items()}, None


def load_originals(store: OriginalsStore, state: MachineState | None = None) -> Originals:
    """The originals Restore uses: per family the machine-wide record when it exists and its folder passes
    the check, else this user's. With ``state``, this user's first read is saved first (as before)."""
    user = store.remember(state) if state is not None else store.load()
    values = dict(user)
    if store.machine is not None:
        machine, notice = _machine_originals(store.machine)
        values.update(machine)
        if notice:
            store.notices.append(notice)
    return Originals(values, tuple(store.notices))
