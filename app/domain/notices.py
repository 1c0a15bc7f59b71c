"""A notice a use case hands back to a face: ``kind`` is for decisions, ``text`` only for display."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class NoticeKind(enum.Enum):
    ORIGINALS = "originals"  # the original values could not be read or saved
    MACHINE_RECORD = "machine-record"  # the machine-wide record of originals is not available
    HISTORY = "history"  # the history was damaged (set aside) or could not be written


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    text: str
