"""Whole-process measurements: wall time to a "ready" line, wall time to exit, peak RSS, ``-X importtime``.

Peak RSS comes from the kernel: ``os.wait4`` reaps the child and returns its own resource usage, whose
``ru_maxrss`` is that process's peak resident set (not its children's, and no polling that could miss a peak).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

if sys.platform == "win32":  # pragma: no cover - make bench is POSIX; the app's target is measured elsewhere
    raise ImportError("the process benchmarks need os.wait4 (Linux or macOS)")


class ProcessFailedError(Exception):
    """A measured process exited non-zero, timed out, or never printed its ready line."""


@dataclass(frozen=True)
class ProcessRun:
    ready_s: float  # start to the ready line (or to exit when no ready line is awaited)
    exit_s: float  # start to the process reaped
    peak_rss_mb: float
    stdout: str
    stderr: str


def _peak_rss_mb(maxrss: int) -> float:
    # Linux reports kilobytes, macOS bytes.
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def run_measured(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path, *, ready: str | None = None, timeout_s: float = 60.0
) -> ProcessRun:
    """Start ``argv`` in ``cwd``; time it to a stdout line holding ``ready`` and to exit. Raises ProcessFailedError."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(argv), stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, env=dict(env), cwd=cwd
        )
        timer = threading.Timer(timeout_s, process.kill)
        timer.start()
        ready_s: float | None = None
        lines: list[bytes] = []
        try:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line)
                if ready_s is None and ready is not None and ready.encode() in line:
                    ready_s = time.perf_counter() - started
            _, status, usage = os.wait4(process.pid, 0)
            exit_s = time.perf_counter() - started
        finally:
            timer.cancel()
            if process.stdout is not None:
                process.stdout.close()
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4; tell Popen
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    stdout = b"".join(lines).decode("utf-8", "replace")
    command = " ".join(Path(a).name if "/" in a else a for a in argv[1:6])
    if process.returncode != 0:
        tail = (stderr.strip().splitlines() or ["no output"])[-1]
        raise ProcessFailedError(f"{command} ...: exit code {process.returncode}: {tail}")
    if ready is not None and ready_s is None:
        raise ProcessFailedError(f"{command} ...: never printed {ready!r}")
    return ProcessRun(ready_s if ready_s is not None else exit_s, exit_s, _peak_rss_mb(usage.ru_maxrss), stdout, stderr)


@dataclass(frozen=True)
class ImportTime:
    """One line of ``-X importtime``: microseconds in the module itself and including what it imported."""

    module: str
    self_us: int
    cumulative_us: int
    depth: int  # 0 for an import made by the program itself, 1 for one made by that import, ...


def parse_importtime(stderr: str) -> list[ImportTime]:
    """The ``import time:`` lines of a ``python -X importtime`` run's stderr."""
    found = []
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line[len("import time:") :].split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue  # the header line
        name = parts[2].rstrip()
        stripped = name.lstrip(" ")
        found.append(ImportTime(stripped, int(parts[0]), int(parts[1]), (len(name) - len(stripped) - 1) // 2))
    return found
