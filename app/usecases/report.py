"""The help-desk report for a ticket: machine, both families (active and saved), pending edits, history."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from app import __version__
from app.domain.machine_facts import MachineInfo
from app.domain.model import Change, Family, LoopbackSettings, MachineState, Reading
from app.storage.history import HistoryEntry


@dataclass(frozen=True)
class ReportInput:
    info: MachineInfo
    state: MachineState
    pending: Change = field(default_factory=Change)
    history: Sequence[HistoryEntry] = ()
    warnings: Sequence[str] = ()
    when: float | None = None


def _value(reading: Reading | None) -> str:
    if isinstance(reading, LoopbackSettings):
        return reading.describe()
    return f"cannot be read: {reading.message}" if reading is not None else "not read"


def _rows(data: ReportInput) -> list[tuple[str, str]]:
    info = data.info
    elevated = "unknown" if info.elevated is None else ("yes" if info.elevated else "no")
    rows = [
        ("Computer", info.computer),
        ("Windows", info.windows + (f", build {info.build}" if info.build else "")),
        ("Display language", info.language),
        ("Running as administrator", elevated),
    ]
    for family in Family:
        fs = data.state.families.get(family)
        rows.append((f"{family.label} now (active)", _value(fs.active if fs else None)))
        rows.append((f"{family.label} saved (persistent)", _value(fs.persistent if fs else None)))
    return rows


def build_report(data: ReportInput, *, markdown: bool = False, history_count: int = 5) -> str:
    """The report as plain text or Markdown."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(data.when or time.time()))
    title = f"Loopback Tuner {__version__} report, {stamp}" + (" (SIMULATED MACHINE)" if data.info.simulated else "")
    pending = data.pending.describe() or ["none"]
    history = [e.summary() for e in list(data.history)[-history_count:]] or ["none"]
    warnings = list(data.warnings) or ["none"]
    rows = _rows(data)
    if markdown:
        lines = [f"### {title}", "", "| | |", "|---|---|"]
        lines += [f"| {k} | {v.replace('|', '/')} |" for k, v in rows]
        for heading, items in (("Pending edits", pending), ("Recent changes", history), ("Warnings", warnings)):
            lines += ["", f"**{heading}**", ""] + [f"- {item}" for item in items]
        return "\n".join(lines) + "\n"
    width = max(len(k) for k, _ in rows) + 2
    lines = [title, "=" * len(title)] + [f"{k + ':':<{width}}{v}" for k, v in rows]
    for heading, items in (("Pending edits", pending), ("Recent changes", history), ("Warnings", warnings)):
        lines += ["", f"{heading}:"] + [f"  - {item}" for item in items]
    return "\n".join(lines) + "\n"
