"""Figures 1, 2, 3 and 7: whole fresh processes (GUI start and peak RSS against the bare window, the CLI,
import time at GUI start).

Each command runs once first, discarded: that compiles its bytecode into the private pycache folder (as an
installed app has it) and writes the app's first-run files, so every measured run is a returning user's start.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from figures import Budget, Figure, Stats, progress
from processes import ImportTime, ProcessRun, parse_importtime, run_measured

from app.simulator.profile import SimProfile
from app.simulator.store import SimStateFile

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
READY = "Saved a screenshot"  # both windows print it once the PNG, showing the read values, is written
QT_MODULES = ("PySide6", "shiboken6", "qasync")


def child_environment(work: Path) -> dict[str, str]:
    """The measured processes' environment: offscreen Qt, a private app home, bytecode cached privately."""
    env = dict(os.environ)
    for name in ("PYTHONDONTWRITEBYTECODE", "LOOPBACK_TUNER_NETSH", "PYTHONPROFILEIMPORTTIME", "PYTHONSTARTUP"):
        env.pop(name, None)
    env.update(
        QT_QPA_PLATFORM="offscreen", LOOPBACK_TUNER_HOME=str(work / "home"), PYTHONPYCACHEPREFIX=str(work / "pycache")
    )
    return env


def _gui_command(folder: Path, *, importtime: bool = False) -> list[str]:
    flags = ["-X", "importtime"] if importtime else []
    return [
        sys.executable,
        *flags,
        "-m",
        "app",
        "--backend",
        "simulated",
        "--state",
        str(folder / "machine.json"),
        "--screenshot",
        str(folder / "app.png"),
    ]


def _paired_ratios(app: Sequence[float], bare: Sequence[float]) -> Stats:
    return Stats.of(a / b for a, b in zip(app, bare, strict=True))


def _stderr_note(stderrs: Sequence[str]) -> str:
    """Say so when the app wrote an error while it was measured (the figure may then be off)."""
    lines = [line.strip() for text in stderrs for line in text.splitlines()]
    error = next((line for line in lines if "Error:" in line or line.startswith("Fatal")), None)
    error = error or next((line for line in lines if line.startswith(("Traceback", "Exception", "Task was"))), None)
    return f"the app wrote to stderr: {error[:140]}" if error else ""


# --- 1 + 2: GUI cold start and peak RSS ---------------------------------------------------------------------
def gui_start(work: Path, env: dict[str, str], runs: int) -> list[Figure]:
    folder = work / "gui"
    folder.mkdir()
    bare = [sys.executable, str(HERE / "bare_window.py"), "--screenshot", str(folder / "bare.png")]
    commands = {
        "app": _gui_command(folder),
        "bare": bare,
        "qasync": [*bare[:-1], str(folder / "bare-qasync.png"), "--qasync"],
    }
    for command in commands.values():
        run_measured(command, env, REPO, ready=READY)
    measured: dict[str, list[ProcessRun]] = {name: [] for name in commands}
    for i in range(runs):  # interleaved, so drift in the machine's load hits all three alike
        progress(f"GUI start, run {i + 1}/{runs}")
        for name, command in commands.items():
            measured[name].append(run_measured(command, env, REPO, ready=READY))
    ms = {name: [r.ready_s * 1000 for r in done] for name, done in measured.items()}
    mb = {name: [r.peak_rss_mb for r in done] for name, done in measured.items()}
    to_exit = ", ".join(
        f"{name} {statistics.median(r.exit_s for r in done) * 1000:.0f} ms" for name, done in measured.items()
    )
    note = "; ".join(filter(None, [f"to exit: {to_exit}", _stderr_note([r.stderr for r in measured["app"]])]))
    reference = "  (reference) the bare window on a qasync loop"

    def versus_bare(values: dict[str, list[float]]) -> str:
        return f"{statistics.median(values['qasync']) / statistics.median(values['bare']):.2f}x the bare window"

    return [
        Figure("gui_start_app_ms", "1 GUI cold start to values shown: app", "ms", Stats.of(ms["app"]), note=note),
        Figure("gui_start_bare_ms", "  bare PySide6 window, same widgets", "ms", Stats.of(ms["bare"])),
        Figure("gui_start_ratio", "  ratio app / bare", "x", _paired_ratios(ms["app"], ms["bare"]), Budget(1.5)),
        Figure(
            "gui_start_qasync_ms",
            reference,
            "ms",
            Stats.of(ms["qasync"]),
            note=f"{versus_bare(ms)}: what asyncio and qasync cost before any app code",
        ),
        Figure(
            "peak_rss_app_mb",
            "2 Peak RSS: app",
            "MB",
            Stats.of(mb["app"]),
            note="the process's own ru_maxrss, from wait4 when it exits",
        ),
        Figure("peak_rss_bare_mb", "  bare PySide6 window", "MB", Stats.of(mb["bare"])),
        Figure("peak_rss_ratio", "  ratio app / bare", "x", _paired_ratios(mb["app"], mb["bare"]), Budget(1.25)),
        Figure("peak_rss_qasync_mb", reference, "MB", Stats.of(mb["qasync"]), note=versus_bare(mb)),
    ]


# --- 3: the command line ------------------------------------------------------------------------------------
def cli_show(work: Path, env: dict[str, str], runs: int, latency_ms: int) -> list[Figure]:
    folder = work / "cli"
    folder.mkdir()
    state = folder / "machine.json"
    SimStateFile(state).set_profile(SimProfile(latency_ms=latency_ms))
    args = ["-m", "app.cli", "--backend", "simulated", "--state", str(state), "show", "--json"]
    cli, python = [sys.executable, *args], [sys.executable, "-c", "pass"]
    run_measured(cli, env, REPO)
    run_measured(python, env, REPO)
    cli_ms, python_ms = [], []
    for i in range(runs):
        progress(f"CLI show --json, run {i + 1}/{runs}")
        done = run_measured(cli, env, REPO)
        if set(json.loads(done.stdout)) != {"ipv4", "ipv6"}:
            raise RuntimeError(f"show --json printed {done.stdout[:200]!r}")
        cli_ms.append(done.exit_s * 1000)
        python_ms.append(run_measured(python, env, REPO).exit_s * 1000)
    imports = parse_importtime(run_measured([sys.executable, "-X", "importtime", *args], env, REPO).stderr)
    qt = sorted({i.module for i in imports if i.module.split(".")[0] in QT_MODULES})
    start_up = statistics.median(python_ms)
    heaviest = sorted((i for i in imports if i.depth == 0), key=lambda i: -i.cumulative_us)[:5]
    return [
        Figure(
            "cli_show_ms",
            f"3 CLI show --json (netsh latency {latency_ms} ms)",
            "ms",
            Stats.of(cli_ms),
            Budget(2 * start_up + latency_ms, f"2 x {start_up:.1f} ms start-up + {latency_ms} ms"),
            note="heaviest imports: "
            + ", ".join(f"{i.module} {i.cumulative_us / 1000:.0f}" for i in heaviest)
            + " ms (-X importtime)",
        ),
        Figure("python_start_ms", "  python -c pass", "ms", Stats.of(python_ms)),
        Figure(
            "cli_qt_modules",
            "  Qt modules the CLI imports",
            "",
            Stats.of([len(qt)]),
            Budget(0),
            note=", ".join(qt) if qt else "none (checked with -X importtime)",
        ),
    ]


# --- 7: import time at GUI start ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportRow:
    module: str
    depth: int
    cumulative_us: Stats
    self_us: float

    def to_json(self) -> dict[str, object]:
        return {
            "module": self.module,
            "depth": self.depth,
            "cumulative_us": self.cumulative_us.median,
            "min_us": self.cumulative_us.min,
            "max_us": self.cumulative_us.max,
            "self_us": self.self_us,
        }


def _import_rows(
    command: list[str], env: dict[str, str], runs: int, ready: str | None, what: str
) -> tuple[list[ImportRow], Stats]:
    """The ten imports of ``command`` with the largest median cumulative time, and the sum of all own times (ms)."""
    per_run: list[list[ImportTime]] = []
    for i in range(runs):
        progress(f"{what} import time, run {i + 1}/{runs}")
        per_run.append(parse_importtime(run_measured(command, env, REPO, ready=ready).stderr))
    cumulative: dict[str, list[int]] = {}
    own: dict[str, list[int]] = {}
    depth: dict[str, int] = {}
    for run in per_run:
        for item in run:
            cumulative.setdefault(item.module, []).append(item.cumulative_us)
            own.setdefault(item.module, []).append(item.self_us)
            depth[item.module] = item.depth
    top = sorted(cumulative, key=lambda m: -statistics.median(cumulative[m]))[:10]
    rows = [ImportRow(m, depth[m], Stats.of(cumulative[m]), statistics.median(own[m])) for m in top]
    return rows, Stats.of(sum(i.self_us for i in run) / 1000 for run in per_run)


def gui_imports(work: Path, env: dict[str, str], runs: int) -> tuple[list[ImportRow], list[Figure]]:
    """The ten imports with the largest median cumulative time, and the sum of all imports' own times."""
    folder = work / "imports"
    folder.mkdir()
    rows, total = _import_rows(_gui_command(folder, importtime=True), env, runs, READY, "GUI")
    return rows, [
        Figure(
            "gui_import_total_ms",
            "7 GUI start: all imports (-X importtime)",
            "ms",
            total,
            note="importtime's own overhead inflates this: compare runs, not with the wall times",
        )
    ]


def cli_imports(work: Path, env: dict[str, str], runs: int) -> tuple[list[ImportRow], list[Figure]]:
    """The same for ``show --json`` (issue 16: the command line's import table)."""
    folder = work / "cli-imports"
    folder.mkdir()
    state = folder / "machine.json"
    SimStateFile(state).set_profile(SimProfile(latency_ms=0))
    command = [sys.executable, "-X", "importtime", "-m", "app.cli", "--backend", "simulated", "--state", str(state)]
    rows, total = _import_rows([*command, "show", "--json"], env, runs, None, "CLI")
    return rows, [
        Figure(
            "cli_import_total_ms",
            "7 CLI show --json: all imports (-X importtime)",
            "ms",
            total,
            note="python -c pass's own imports (site, encodings) included",
        )
    ]
