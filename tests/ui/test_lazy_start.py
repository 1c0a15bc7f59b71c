"""Issue 16: the window imports and builds only what its first paint needs; every dialog (and the measure
view-model) is imported and built on first use, and works then."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.simulator.profile import SimProfile
from app.ui.measure_dialog import MeasureDialog
from tests.ui.conftest import Rig, SignalWaiter
from tests.ui.test_dialogs import _action, _opens

# Imported on first use only: a module here that the window's construction imports is a regression (make bench).
LAZY_MODULES = (
    "app.ui.crash_dialog",
    "app.ui.details_dialog",
    "app.ui.diagnostics_dialog",
    "app.ui.file_dialogs",
    "app.ui.dialogs",
    "app.ui.history_dialog",
    "app.ui.measure_dialog",
    "app.ui.measure_inputs",
    "app.ui.restore_dialog",
    "app.viewmodels.measure_vm",
    "app.usecases.measure",
    "app.domain.measurements",
    "app.usecases.diagnose_sources",
    "app.usecases.report",
    "logging.handlers",
    # the trial machinery: imported and built by the first change, on the worker thread that begins it
    "app.usecases.trials",
    "app.elevation.session",
    "app.elevation.launchers",
    "app.elevation.protocol",
    # the recovery check's machine-wide lock: only when an earlier run left a trial unfinished
    "app.elevation.machine_lock",
    "app.elevation.backend_args",  # the support log rotates by itself (app/support_log.py)
    # a change's outcome, the help-desk use cases and the defaults table: imported after the first paint
    # (app/main.py AFTER_PAINT_MODULES) or by their first use
    "app.usecases.endings",
    "app.usecases.formatting",
    "app.usecases.planning",
    "app.usecases.helpdesk",
    "app.domain.defaults",
    "app.domain.profile_file",
    # asyncio and qasync: imported, and qasync's loop installed, once the first read's values have painted
    # (test_the_values_are_shown_before_asyncio_is_imported)
    "asyncio",
    "qasync",
)

BUILD_WINDOW = """
import sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
from app.paths import AppPaths
from app.runners.factory import Backend, BackendKind
from app.wiring import build_gui, build_services
app = QApplication([])
home = Path(sys.argv[1])
services = build_services(Backend(BackendKind.SIMULATED, state=home / "machine.json"), AppPaths(home, home / "logs"))
gui = build_gui(services)
gui.lifecycle.start_in_threads()
gui.window.show()
gui.lifecycle.stop()  # waits for the first read's threads
print("\\n".join(sorted(sys.modules)))
"""


def test_building_the_window_imports_no_dialog(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", BUILD_WINDOW, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=120,
    )
    loaded = set(done.stdout.split())
    assert "app.ui.main_window" in loaded  # the window was built
    assert sorted(loaded.intersection(LAZY_MODULES)) == []


def test_the_measure_view_model_is_built_on_first_use_and_works(
    rig_factory: Callable[..., Rig], wait: SignalWaiter
) -> None:
    rig = rig_factory()
    assert rig.window._measure_vm is None  # nothing built before Tools > Measure loopback
    _action(rig, "Measure &loopback\u2026").trigger()
    dialog = _opens(rig, wait, MeasureDialog)
    assert dialog.vm is rig.window.measure_vm is rig.window._measure_vm
    assert dialog.start_button.isEnabled()
    dialog.reject()
    # the second time it is the same view-model (its state, e.g. the last results, survives the dialog)
    _action(rig, "Measure &loopback\u2026").trigger()
    assert _opens(rig, wait, MeasureDialog).vm is dialog.vm


def test_the_window_loads_no_tls(tmp_path: Path) -> None:
    """asyncio's optional ssl support (OpenSSL, about 5 MB) stays out of the window's process, as out of the
    frozen build; the window still starts, reads and renders on the qasync loop."""
    code = (
        "import sys, app.main\n"
        f"code = app.main.main(['--backend', 'simulated', '--state', {str(tmp_path / 'm.json')!r},"
        f" '--screenshot', {str(tmp_path / 'w.png')!r}])\n"
        "print(code, sys.modules.get('ssl'), 'asyncio' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "LOOPBACK_TUNER_HOME": str(tmp_path / "home")},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "0 None True"
    assert (tmp_path / "w.png").stat().st_size > 0


def _fresh(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "LOOPBACK_TUNER_HOME": str(tmp_path / "home")},
        timeout=120,
        check=False,
    )


def test_the_values_are_shown_before_asyncio_is_imported(tmp_path: Path) -> None:
    """Issue 16: the first read runs in threads started before the window is shown; asyncio and qasync are
    imported, and the loop installed (once), after the values have painted (here: after the screenshot)."""
    code = (
        "import sys, app.main\n"
        "install = app.main.install_qasync\n"
        "def spy(qapp):\n"
        "    print('installing; asyncio loaded before:', 'asyncio' in sys.modules, flush=True)\n"
        "    return install(qapp)\n"
        "app.main.install_qasync = spy\n"
        "app.main.LOOP_AT_THE_LATEST_MS = 600_000  # no fallback: a loaded machine may read slowly\n"
        f"code = app.main.main(['--backend', 'simulated', '--state', {str(tmp_path / 'm.json')!r},"
        f" '--screenshot', {str(tmp_path / 'w.png')!r}])\n"
        "print(code)\n"
    )
    done = _fresh(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"Saved a screenshot to {tmp_path / 'w.png'}",
        "installing; asyncio loaded before: False",
        "0",
    ]


def test_an_async_slot_called_before_the_loop_runs_once_the_loop_is_installed(tmp_path: Path) -> None:
    code = """
import sys
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication
import app.main
from app.ui.slots import async_slot

qapp = QApplication([])

class Widget(QObject):
    @async_slot(int)
    async def chosen(self, index: int) -> None:
        print("ran with", index, "asyncio loaded:", "asyncio" in sys.modules, flush=True)
        qapp.quit()

widget = Widget()
print("returned", widget.chosen(3), flush=True)
loops = []
QTimer.singleShot(0, lambda: loops.append(app.main.install_qasync(qapp)))
qapp.exec()
loops[0].stop()
loops[0].close()
"""
    done = _fresh(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["returned None", "ran with 3 asyncio loaded: True"]


def test_an_async_slot_waits_for_the_loop_even_once_asyncio_is_imported(tmp_path: Path) -> None:
    """asyncio is imported by a worker thread before the GUI thread installs the loop: a slot called in between
    must wait for the loop, not run on none."""
    code = """
import asyncio
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication
import app.main
from app.ui.slots import async_slot

qapp = QApplication([])

class Widget(QObject):
    @async_slot(int)
    async def chosen(self, index: int) -> None:
        print("ran with", index, "on the installed loop:", asyncio.get_running_loop() is loops[0], flush=True)
        qapp.quit()

loops = []
widget = Widget()
print("returned", widget.chosen(4), flush=True)
QTimer.singleShot(0, lambda: loops.append(app.main.install_qasync(qapp)))
qapp.exec()
loops[0].stop()
loops[0].close()
"""
    done = _fresh(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["returned None", "ran with 4 on the installed loop: True"]


def test_the_first_read_in_threads_shows_what_start_shows(
    rig_factory: Callable[..., Rig], wait: SignalWaiter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """start_in_threads (the app's start, before the loop exists) ends where start() ends: values, originals,
    the simulated profile and the machine's facts shown, not busy; the BBR2 check waits for the loop."""
    rig = rig_factory(start=False)
    events: list[str] = []
    rig.gui.lifecycle.start_in_threads(lambda: events.append("started"), lambda: events.append("values"))
    assert rig.vm.busy  # "Reading the current values..." until the read reports
    wait.until(lambda: "started" in events)
    assert events == ["values", "started"]
    assert rig.vm.state is not None and not rig.vm.busy
    assert all(rig.vm.family_view(f).editable for f in rig.vm.state.families)
    assert rig.vm.originals  # remembered, as the first read does
    assert rig.helpdesk.facts.info is not None
    assert rig.sim_vm.profile.elevated  # the machine's profile, loaded with the read
    checks: list[str] = []
    monkeypatch.setattr(rig.helpdesk.facts, "check_interactions", lambda: _noted(checks))
    rig.gui.lifecycle.loop_installed()
    wait.until(lambda: checks == ["checked"])


async def _noted(checks: list[str]) -> None:
    checks.append("checked")


def test_a_first_read_that_fails_goes_to_the_crash_dialog_and_ends_busy(
    rig_factory: Callable[..., Rig], wait: SignalWaiter, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = rig_factory(start=False)
    reported: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda _kind, exc, _tb: reported.append(exc))

    def broken(_reader: object = None) -> None:
        raise RuntimeError("the read broke")

    monkeypatch.setattr(rig.vm, "first_read", broken)
    done: list[bool] = []
    rig.gui.lifecycle.start_in_threads(lambda: done.append(True))
    wait.until(lambda: bool(done))
    assert [str(e) for e in reported] == ["the read broke"]
    assert not rig.vm.busy and rig.vm.state is None
    # the status bar no longer says a read is under way: it says this one failed, and what to do
    assert rig.window.message_label.full_text() == (
        "The current values could not be read (the error report has the details). Refresh to try again."
    )


def test_settle_shows_a_quick_first_read_before_the_window_is_shown_without_the_event_loop(
    rig_factory: Callable[..., Rig],
) -> None:
    """The window waits (a bounded time) for the first read, so a quick read's values are in its first paint; they
    are shown by settle() itself, on this thread, with no event loop turn."""
    rig = rig_factory(start=False)
    events: list[str] = []
    rig.gui.lifecycle.start_in_threads(lambda: events.append("started"), lambda: events.append("values"))
    assert rig.gui.lifecycle.settle(60.0) is True
    assert events == ["values", "started"]  # called by settle, before any loop turn
    assert rig.vm.state is not None and not rig.vm.busy
    assert rig.helpdesk.facts.info is not None


def test_settle_gives_up_on_a_slow_first_read_which_is_shown_when_it_arrives(
    rig_factory: Callable[..., Rig], wait: SignalWaiter
) -> None:
    rig = rig_factory(SimProfile(elevated=True, latency_ms=700), start=False)
    events: list[str] = []
    rig.gui.lifecycle.start_in_threads(lambda: events.append("started"), lambda: events.append("values"))
    assert rig.gui.lifecycle.settle(0.01) is False
    assert "values" not in events and rig.vm.busy  # the window is shown busy ("Reading the current values...")
    wait.until(lambda: "started" in events)
    assert events == ["values", "started"] and rig.vm.state is not None and not rig.vm.busy


def test_a_callback_after_the_next_paint_runs_once_after_the_window_has_painted(
    rig_factory: Callable[..., Rig], wait: SignalWaiter, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = rig_factory()
    painted: list[str] = []
    original = type(rig.window).paintEvent

    def counting(window: Any, event: Any) -> None:
        painted.append("paint")
        original(window, event)

    monkeypatch.setattr(type(rig.window), "paintEvent", counting)
    calls: list[int] = []
    rig.window.call_after_next_paint(lambda: calls.append(len(painted)))
    wait.until(lambda: bool(calls))
    assert calls[0] >= 1  # after a paint, never before
    rig.window.update()
    wait.until(lambda: len(painted) > calls[0])
    assert len(calls) == 1  # once


def _real_start(tmp_path: Path, before: str, when_the_loop_goes_in: str, after: str = "print(code)") -> list[str]:
    """A whole start of the window (no screenshot) in a fresh interpreter: ``before`` runs first; once qasync's
    loop goes in, the statement ``when_the_loop_goes_in`` runs (it may print) and the window quits. Its output."""
    code = (
        "import gc, sys, app.main, app.wiring\n" + before + "install = app.main.install_qasync\n"
        "def installing(qapp):\n"
        f"    {when_the_loop_goes_in}\n"
        "    loop = install(qapp)\n"
        "    qapp.quit()\n"
        "    return loop\n"
        "app.main.install_qasync = installing\n"
        "app.main.FIRST_PAINT_WAITS_S = 60.0  # a loaded machine may read slowly\n"
        f"code = app.main.main(['--backend', 'simulated', '--state', {str(tmp_path / 'm.json')!r}])\n"
        f"{after}\n"
    )
    done = _fresh(code, tmp_path)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_without_a_screenshot_asyncio_is_imported_after_the_values_have_painted(tmp_path: Path) -> None:
    """A real start: the values are in the window's first paint (the read is quick here), and asyncio and qasync
    are imported only after that paint, so their import never slows it (issue 16)."""
    lines = _real_start(
        tmp_path,
        "from app.ui.main_window import MainWindow\n"
        "paints = []\n"
        "paint = MainWindow.paintEvent\n"
        "def counting(window, event):\n"
        "    paints.append(window.vm.state is not None)\n"
        "    paint(window, event)\n"
        "MainWindow.paintEvent = counting\n"
        "load = app.main._import_after_paint\n"
        "def loading():\n"
        "    print('import starts; first paint showed the values:', paints[:1], 'asyncio:', 'asyncio' in sys.modules,"
        " flush=True)\n"
        "    load()\n"
        "app.main._import_after_paint = loading\n"
        "app.main.LOOP_AT_THE_LATEST_MS = 600_000  # no fallback: only the paint starts the import\n",
        "print('window icon set by then:', not qapp.windowIcon().isNull(), flush=True); "
        "print('a change needs nothing more:', [m for m in app.main.AFTER_PAINT_MODULES if m not in sys.modules])",
    )
    assert lines == [
        "import starts; first paint showed the values: [True] asyncio: False",
        "window icon set by then: True",  # after the first paint too
        "a change needs nothing more: []",  # imported after the paint, off the GUI thread
        "0",
    ]


def test_the_garbage_collector_is_off_while_the_window_starts_and_on_once_the_values_have_painted(
    tmp_path: Path,
) -> None:
    lines = _real_start(
        tmp_path,
        "build = app.wiring.build_gui\n"
        "def spy(*args, **kwargs):\n"
        "    print('collector on while building:', gc.isenabled(), flush=True)\n"
        "    return build(*args, **kwargs)\n"
        "app.wiring.build_gui = spy\n",
        "print('collector on once the values have painted:', gc.isenabled(), flush=True)",
        after="print(code, gc.isenabled())",
    )
    assert lines == [
        "collector on while building: False",
        "collector on once the values have painted: True",
        "0 True",
    ]


def test_with_a_real_netsh_the_first_read_runs_start_before_qt_is_imported_and_serve_the_first_read(
    tmp_path: Path,
) -> None:
    """The real (here: a custom) netsh: the first read's four runs are started before PySide6 is even imported, and
    the first read takes them (no run made twice); the values shown are netsh's."""
    from tests.conftest import FIXTURES

    log = tmp_path / "runs.log"
    fake = tmp_path / "netsh"
    fake.write_text(
        f'#!/bin/sh\necho "$*" >> "{log}"\nexec cat "{FIXTURES / "sim-en-US-show-global.txt"}"\n', encoding="utf-8"
    )
    fake.chmod(0o755)
    code = (
        "import sys, app.main\n"
        "start = app.main.start_read\n"
        "def starting(backend):\n"
        "    started = start(backend)\n"
        "    print('runs started:', started is not None, 'Qt imported:', 'PySide6.QtCore' in sys.modules, flush=True)\n"
        "    return started\n"
        "app.main.start_read = starting\n"
        "app.main.FIRST_PAINT_WAITS_S = 60.0\n"
        f"code = app.main.main(['--netsh', {str(fake)!r}, '--screenshot', {str(tmp_path / 'w.png')!r}])\n"
        "print('exit', code)\n"
    )
    done = _fresh(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "runs started: True Qt imported: False",
        f"Saved a screenshot to {tmp_path / 'w.png'}",
        "exit 0",
    ]
    runs = log.read_text(encoding="utf-8").splitlines()
    assert sorted(runs) == sorted(  # the first read's four runs, once each: it took the ones started early
        f"interface {family} show global store={store}"
        for family in ("ipv4", "ipv6")
        for store in ("active", "persistent")
    )
