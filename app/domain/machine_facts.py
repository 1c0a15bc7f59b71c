"""Facts about the configured machine (for reports, presets and known-problem warnings), and the source protocol."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class MachineInfo:
    computer: str
    windows: str
    build: int | None
    language: str
    elevated: bool | None
    simulated: bool
    processors: int | None = None  # the configured machine's logical processors (None: not known)


@dataclass(frozen=True)
class CongestionReading:
    """TCP setting name -> congestion provider, or why it could not be read."""

    providers: dict[str, str] = field(default_factory=dict)
    error: str = ""


class MachineFactsSource(Protocol):
    """Where the facts come from (Windows, the simulated machine, nothing for a custom netsh). Both calls block
    (the command line calls them directly, the window from a worker thread) and never raise."""

    def info(self) -> MachineInfo: ...

    def congestion(self) -> CongestionReading: ...


def parse_congestion_json(text: str) -> CongestionReading:
    """Parse ``Get-NetTCPSetting ... | ConvertTo-Json`` (one object or a list); never raises."""
    try:
        data = json.loads(text) if text.strip() else []
    except ValueError:
        return CongestionReading(error="PowerShell's answer was not JSON")
    items = data if isinstance(data, list) else [data]
    providers = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("SettingName"), str):
            value = item.get("CongestionProvider")
            providers[item["SettingName"]] = str(value) if value is not None else ""
    if not providers:
        return CongestionReading(error="PowerShell listed no TCP settings")
    return CongestionReading(providers)
