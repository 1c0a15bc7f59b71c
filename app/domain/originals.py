"""A family's original values (as first read, or as recorded for the machine) and where they come from."""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass

from app.domain.model import LoopbackSettings


class OriginalsSource(enum.StrEnum):
    MACHINE = "machine"  # recorded by the elevated helper before the first change on this machine
    USER = "user"  # this user's first successful read


@dataclass(frozen=True)
class OriginalValues:
    """One family's values as first read (or recorded for the machine), and when."""

    settings: LoopbackSettings
    saved_at: float
    source: OriginalsSource = OriginalsSource.USER

    @property
    def date_text(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))

    @property
    def provenance(self) -> str:
        """One short line for both faces: where these values come from."""
        if self.source is OriginalsSource.MACHINE:
            return f"recorded for this machine on {self.date_text}"
        return f"recorded by this user on {self.date_text}"
