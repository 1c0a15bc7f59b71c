"""What the benchmark ran on: CPU model, cores, OS, Python, PySide6 and Qt."""

from __future__ import annotations

import os
import platform
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    os: str
    python: str
    pyside6: str
    qt: str

    def describe(self) -> str:
        return f"{self.cpu}, {self.cores} cores, {self.os}; Python {self.python}, PySide6 {self.pyside6} (Qt {self.qt})"

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def this_machine() -> Machine:
    from PySide6.QtCore import qVersion

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 0)
    return Machine(
        _cpu_model(),
        cores,
        platform.platform(terse=True),
        platform.python_version(),
        _version("PySide6-Essentials"),
        qVersion(),
    )
