"""Issue 16: the window imports and builds only what its first paint needs; every dialog (and the measure
view-model) is imported and built on first use, and works then."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from app.ui.measure_dialog import MeasureDialog
from tests.ui.conftest import Rig, SignalWaiter
from tests.ui.test_dialogs import _action, _opens

# Imported on first use only: a module here that the window's construction imports is a regression (make bench).
LAZY_MODULES = (
    "app.ui.dialogs",
    "app.ui.history_dialog",
    "app.ui.measure_dialog",
    "app.ui.restore_dialog",
    "app.viewmodels.measure_vm",
    "app.usecases.measure",
    "app.domain.measurements",
    "app.usecases.diagnose_sources",
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
gui.window.show()
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
