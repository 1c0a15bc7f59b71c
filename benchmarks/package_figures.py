"""Figure 8: the size of what users download, the one-folder bundle and the installer (``make package`` builds
them; Inno Setup runs on Windows only, so here the installer row says where its figure comes from), and the frozen
build's start-up against the bare window frozen the same way (8b)."""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from figures import Budget, Figure, Stats, progress
from processes import ProcessRun, run_measured

READY = "Saved a screenshot"  # both windows print it once the PNG, showing the read values, is written

REPO = Path(__file__).resolve().parent.parent
DIST = REPO / "dist"
MIB = 1024 * 1024
BUNDLE_BUDGET_MIB = 100.0  # issue 17: "aim for 100 MiB or less"


def folder_bytes(folder: Path) -> int:
    return sum(path.lstat().st_size for path in folder.rglob("*") if path.is_file() and not path.is_symlink())


def package_sizes(dist: Path = DIST) -> list[Figure]:
    """The bundle's size against its budget, and the installer's when one was built here."""
    bundle = dist / "loopback-tuner"
    if not bundle.is_dir():
        raise FileNotFoundError(f"no bundle at {bundle}: run `make package` first")
    size = folder_bytes(bundle)
    figures = [
        Figure(
            "package_bundle_mib",
            "8 Bundle size (one folder, both executables)",
            "MiB",
            Stats.of([size / MIB]),
            Budget(BUNDLE_BUDGET_MIB, "issue 17"),
            note=f"{size / 1e6:.1f} MB in {bundle.relative_to(REPO) if bundle.is_relative_to(REPO) else bundle}",
        )
    ]
    installers = sorted(dist.glob("loopback-tuner-*-setup.exe"))
    if installers:
        setup = installers[-1]
        figures.append(
            Figure(
                "package_installer_mib",
                "  installer",
                "MiB",
                Stats.of([setup.stat().st_size / MIB]),
                note=f"{setup.stat().st_size / 1e6:.1f} MB, {setup.name}",
            )
        )
    else:
        figures[0] = Figure(
            figures[0].key,
            figures[0].label,
            figures[0].unit,
            figures[0].stats,
            figures[0].budget,
            note=figures[0].note + "; no installer here (Inno Setup runs on Windows: the Windows workflow prints it)",
        )
    return figures


# --- 8b: the frozen build's start-up (issue 16) -------------------------------------------------------------
SPEC = REPO / "packaging" / "loopback-tuner.spec"
BARE_SCRIPT = REPO / "benchmarks" / "bare_window.py"
CACHE = Path(os.environ.get("LOOPBACK_TUNER_BENCH_CACHE", Path.home() / ".cache" / "loopback-tuner-bench"))


def _pyside_version() -> str:
    """PySide6's version from its distribution's metadata: not imported, this process must not load Qt yet (see
    frozen_start). The wheel is PySide6 or, as here, PySide6-Essentials."""
    for name in ("PySide6-Essentials", "PySide6"):
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "unknown"


def frozen_bare_window() -> Path:
    """The bare window frozen with the app's own spec (same excludes, same Qt trimming), built once per version of
    the spec, the script and the Python and PySide6 it freezes, into CACHE (a build takes minutes: not every run)."""
    pyside = _pyside_version()
    key = hashlib.sha256()
    for part in (SPEC.read_bytes(), BARE_SCRIPT.read_bytes(), sys.version.encode(), pyside.encode()):
        key.update(part)
    folder = CACHE / f"bare-window-{key.hexdigest()[:16]}"
    exe = folder / "bare-window" / ("bare-window.exe" if sys.platform == "win32" else "bare-window")
    if exe.is_file():
        return exe
    progress(f"freezing the bare window once (PyInstaller, a few minutes) into {folder}")
    env = {
        **os.environ,
        "LOOPBACK_TUNER_FREEZE_BARE_WINDOW": str(BARE_SCRIPT),
        "LOOPBACK_TUNER_GENERATED": str(REPO / "build" / "packaging"),  # the ICU stub make package compiled
    }
    argv = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--distpath", str(folder)]
    done = subprocess.run(
        [*argv, "--workpath", str(folder / "work"), str(SPEC)], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0 or not exe.is_file():
        raise RuntimeError(f"freezing the bare window failed ({done.returncode}): {done.stderr[-400:]}")
    shutil.rmtree(folder / "work", ignore_errors=True)
    return exe


def frozen_start(work: Path, env: dict[str, str], runs: int) -> list[Figure]:
    """The frozen app against the frozen bare window (start to values shown, peak RSS), and against the app run from
    source (frozen start within 1.1x of it), interleaved run by run. Run it before this process loads Qt: a child
    forked from a large parent starts with the parent's resident pages in its ru_maxrss."""
    app_exe = DIST / "loopback-tuner" / ("loopback-tuner.exe" if sys.platform == "win32" else "loopback-tuner")
    if not app_exe.is_file():
        return [
            Figure(
                "package_frozen_start_ratio",
                "8b Frozen GUI start: frozen app / frozen bare window",
                "x",
                None,
                skipped=f"no bundle at {app_exe.parent}: run `make package` first",
            )
        ]
    bare_exe = frozen_bare_window()
    folder = work / "frozen"
    folder.mkdir()
    state = ["--backend", "simulated", "--state", str(folder / "machine.json")]
    commands = {
        "frozen": [str(app_exe), *state, "--screenshot", str(folder / "app.png")],
        "bare": [str(bare_exe), "--screenshot", str(folder / "bare.png")],
        "source": [sys.executable, "-m", "app", *state, "--screenshot", str(folder / "source.png")],
    }
    for command in commands.values():
        run_measured(command, env, REPO, ready=READY)
    measured: dict[str, list[ProcessRun]] = {name: [] for name in commands}
    for i in range(runs):
        progress(f"frozen GUI start, run {i + 1}/{runs}")
        for name, command in commands.items():
            measured[name].append(run_measured(command, env, REPO, ready=READY))
    ms = {name: [r.ready_s * 1000 for r in done] for name, done in measured.items()}
    mb = {name: [r.peak_rss_mb for r in done] for name, done in measured.items()}

    def ratio(values: dict[str, list[float]], a: str, b: str) -> Stats:
        return Stats.of(x / y for x, y in zip(values[a], values[b], strict=True))

    cached = f"bare window frozen once into {bare_exe.parent.parent} (cached: rebuilt when the spec, the script, "
    cached += "Python or PySide6 change)"
    return [
        Figure("package_frozen_app_ms", "8b Frozen GUI cold start to values shown: app", "ms", Stats.of(ms["frozen"])),
        Figure("package_frozen_bare_ms", "  frozen bare window, same widgets", "ms", Stats.of(ms["bare"]), note=cached),
        Figure(
            "package_frozen_start_ratio",
            "  ratio frozen app / frozen bare",
            "x",
            ratio(ms, "frozen", "bare"),
            Budget(1.5),
        ),
        Figure(
            "package_frozen_source_ratio",
            "  ratio frozen app / app from source",
            "x",
            ratio(ms, "frozen", "source"),
            Budget(1.1),
            note=f"from source: {statistics.median(ms['source']):.0f} ms",
        ),
        Figure(
            "package_frozen_rss_ratio",
            "  peak RSS ratio frozen app / frozen bare",
            "x",
            ratio(mb, "frozen", "bare"),
            Budget(1.25),
            note=f"frozen app {statistics.median(mb['frozen']):.1f} MB, bare {statistics.median(mb['bare']):.1f} MB",
        ),
    ]
