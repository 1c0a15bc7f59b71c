"""The one channel through which the user hears about anything: a message with a level and details."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Level(enum.StrEnum):
    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Message:
    level: Level
    text: str
    details: str = ""
