"""Where the window's start-up goes, phase by phase, against the bare window's: the profile behind figure 1.

``python benchmarks/start_profile.py [--runs 5]`` starts each window ``--runs`` times (interleaved), each in a
fresh process as make bench does, and prints the median milliseconds each phase took, measured from the moment
the process was started (the parent's clock) to a mark the child prints (the same clock: time.time). The
phases are taken in run_gui's own order: the child imports what run_gui imports, one group at a time, before
calling it, so the imports are attributed to their group and run_gui finds them loaded.

``--cli`` profiles ``show --json`` instead; its child imports nothing ahead of the command line (show starts its
netsh runs before importing its parser or the domain: app/cli_parts/early.py), and marks its phases by wrapping what
the command line calls.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

APP_CHILD = r"""
import sys, time
def mark(name): print(f"MARK {time.time():.6f} {name}", flush=True)
mark("interpreter ready (python's own start-up)")
import app.main
mark("app.main and its imports (argparse, wiring, runners, simulator, domain)")
import app.ui.qt_import
app.ui.qt_import.import_pyside()
import PySide6.QtCore, PySide6.QtGui, PySide6.QtWidgets
mark("PySide6 (QtCore, QtGui, QtWidgets)")
from PySide6.QtCore import Qt
mark("the Qt namespace's enums (first use of PySide6.QtCore.Qt)")
import app.ui.theme, app.ui.crash, app.support_log
mark("theme (contrast style), crash reporter, logging")
import app.viewmodels.main_vm
mark("view-models: main (reading, recovery, trials, originals, history)")
import app.ui.main_window
mark("the window's modules (panels, banners, help-desk view-models)")
import app.wiring as wiring, app.viewmodels.lifecycle as lifecycle
build_gui, start, install = wiring.build_gui, lifecycle.WindowLifecycle.start_in_threads, app.main.install_qasync
def timed_build(*args, **kwargs):
    mark("QApplication, theme applied, services built")
    gui = build_gui(*args, **kwargs)
    mark("view-models and window built (build_gui)")
    return gui
def timed_start(self, started, values_shown):
    def timed_started():
        mark("window shown; first read and machine facts shown (their threads)")
        started()
    start(self, timed_started, values_shown)
def timed_install(qapp):
    mark("screenshot grabbed and saved")
    loop = install(qapp)
    mark("asyncio and qasync imported, loop installed")
    return loop
wiring.build_gui, lifecycle.WindowLifecycle.start_in_threads = timed_build, timed_start
app.main.install_qasync = timed_install
code = app.main.main(sys.argv[1:])
mark("loop drained and closed")
sys.exit(code)
"""

BARE_CHILD = r"""
import sys, time
def mark(name): print(f"MARK {time.time():.6f} {name}", flush=True)
mark("interpreter ready (python's own start-up)")
sys.path.insert(0, sys.argv[1])
import PySide6.QtCore, PySide6.QtGui, PySide6.QtWidgets
mark("PySide6 (QtCore, QtGui, QtWidgets)")
import bare_window
mark("bare_window's imports")
build = bare_window.build_window
def timed_build():
    mark("QApplication")
    window = build()
    mark("window built")
    return window
bare_window.build_window = timed_build
code = bare_window.main(sys.argv[2:])
mark("shown, screenshot grabbed and saved")
sys.exit(code)
"""


CLI_CHILD = r"""
import sys, time
def mark(name): print(f"MARK {time.time():.6f} {name}", file=sys.stderr, flush=True)
mark("interpreter ready (python's own start-up)")
import app.cli
mark("app.cli (the early start's modules only: app/cli_parts/early.py)")
import app.runners.early as early  # the early start imports it first thing anyway
start_read = early.start_read
def timed_start(*args, **kwargs):
    mark("arguments looked at, backend chosen, the runs' modules (app/runners/early.py)")
    started = start_read(*args, **kwargs)
    mark("the read started: 4 netsh runs on threads")
    import app.wiring as wiring  # imported next by the command line anyway, while netsh runs
    logged_reader, outside = wiring.logged_reader, wiring.Services.outside_changes
    def timed_reader(runner, build):  # the started runs' reader is made just before the read (app/cli.py, show)
        if type(runner).__name__ == "PrefetchingRunner":
            mark("while netsh runs: parser, domain, logging, services, recovery check")
        return logged_reader(runner, build)
    def timed_outside(self, state):  # just after the read
        mark("the read: waiting for netsh (L), parsing, originals")
        return outside(self, state)
    wiring.logged_reader, wiring.Services.outside_changes = timed_reader, timed_outside
    return started
early.start_read = timed_start
code = app.cli.main()
mark("changed-outside check, JSON printed")
sys.exit(code)
"""


def run_once(argv: list[str], env: dict[str, str]) -> list[tuple[str, float]]:
    """[(phase, ms it took)] for one fresh process, the last phase being interpreter exit."""
    started = time.time()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=False)
    ended = time.time()
    if done.returncode != 0:
        raise RuntimeError(f"{argv[:3]} exited {done.returncode}: {done.stderr[-400:]}")
    lines = (done.stdout + done.stderr).splitlines()
    marks = [(float(t), name) for _m, t, name in (line.split(" ", 2) for line in lines if line.startswith("MARK "))]
    phases, previous = [], started
    for at, name in marks:
        phases.append((name, (at - previous) * 1000))
        previous = at
    phases.append(("interpreter exit", (ended - previous) * 1000))
    return phases


def table(title: str, runs: list[list[tuple[str, float]]]) -> str:
    names = [name for name, _ms in runs[0]]
    lines = [title, f"{'phase':<78} {'median':>8} {'min':>7} {'max':>7}"]
    totals = [sum(ms for _n, ms in run) for run in runs]
    for i, name in enumerate(names):
        values = [run[i][1] for run in runs]
        lines.append(f"{name:<78} {statistics.median(values):8.1f} {min(values):7.1f} {max(values):7.1f}")
    lines.append(f"{'whole process':<78} {statistics.median(totals):8.1f} {min(totals):7.1f} {max(totals):7.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cli", action="store_true", help="profile `show --json` against `python -c pass` instead")
    parser.add_argument("--latency-ms", type=int, default=300, help="with --cli: the simulated netsh latency L")
    options = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="loopback-start-"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME")}
    env.update(QT_QPA_PLATFORM="offscreen", LOOPBACK_TUNER_HOME=str(work / "home"), PYTHONPYCACHEPREFIX=str(work))
    state = ["--backend", "simulated", "--state", str(work / "machine.json")]
    if options.cli:
        return _cli(work, env, state, options.runs, options.latency_ms)
    app = [sys.executable, "-c", APP_CHILD, *state, "--screenshot", str(work / "app.png")]
    bare = [sys.executable, "-c", BARE_CHILD, str(HERE), "--screenshot", str(work / "bare.png")]
    return _side_by_side(("The app", app), ("The bare window", bare), env, options.runs)


def _side_by_side(first: tuple[str, list[str]], second: tuple[str, list[str]], env: dict[str, str], runs: int) -> int:
    """Each command once (it compiles and writes the first-run files: every measured run returns), then ``runs``
    runs of each, interleaved; prints both tables."""
    for _title, argv in (first, second):
        run_once(argv, env)
    measured: tuple[list[list[tuple[str, float]]], ...] = ([], [])
    for _ in range(runs):
        for (_title, argv), done in zip((first, second), measured, strict=True):
            done.append(run_once(argv, env))
    print(table(f"{first[0]}, median of {runs} runs (ms)", measured[0]))
    print()
    print(table(f"{second[0]}, median of {runs} runs (ms)", measured[1]))
    return 0


def _cli(work: Path, env: dict[str, str], state: list[str], runs: int, latency_ms: int) -> int:
    sys.path.insert(0, str(REPO))
    from app.simulator.profile import SimProfile
    from app.simulator.store import SimStateFile

    SimStateFile(work / "machine.json").set_profile(SimProfile(latency_ms=latency_ms))
    cli = [sys.executable, "-c", CLI_CHILD, *state, "show", "--json"]
    python = [sys.executable, "-c", "import sys, time; print(f'MARK {time.time():.6f} interpreter ready')"]
    title = f"show --json with L = {latency_ms} ms"
    return _side_by_side((title, cli), ("python -c pass (with a mark)", python), env, runs)


if __name__ == "__main__":
    raise SystemExit(main())
