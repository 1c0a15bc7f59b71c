"""The machine's original values: saved once, on the first successful read, and never overwritten silently."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from app.domain.errors import ValidationError
from app.domain.model import Family, LoopbackSettings, MachineState
from app.storage.files import set_aside, write_json_atomic

MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class OriginalValues:
    """One family's values as first read, and when."""

    settings: LoopbackSettings
    saved_at: float

    @property
    def date_text(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))


class OriginalsStore:
    """Per-user file of the first values read for each family (per backend, so a simulation never mixes in)."""

    def __init__(self, path: Path) -> None:
        self.path = path
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
            if len(raw) > MAX_BYTES:
                raise ValueError("file too large")
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not an object")
            out = {}
            for key, value in data.items():
                if not isinstance(value, dict) or not isinstance(value.get("saved_at"), int | float):
                    raise ValueError(f"bad entry {key!r}")
                out[Family(key)] = OriginalValues(
                    LoopbackSettings.from_json(value.get("settings")), float(value["saved_at"])
                )
            return out
        except (ValueError, ValidationError, UnicodeDecodeError) as exc:
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
