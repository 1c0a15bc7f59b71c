"""The GUI entry point as a user meets it: headless screenshot, the no-display message, remembered geometry."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect, QSettings

from tests.ui.conftest import Rig


def _headless_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["LOOPBACK_TUNER_HOME"] = str(home)
    return env


def _gui(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=_headless_env(home),
        check=False,
    )


def test_screenshot_works_with_no_display(tmp_path: Path) -> None:
    target = tmp_path / "window.png"
    done = _gui(
        "--backend", "simulated", "--state", str(tmp_path / "m.json"), "--screenshot", str(target), home=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert target.stat().st_size > 10_000  # a rendered window, not an empty image


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="Windows and macOS always have a display")
def test_no_display_says_what_to_do_instead_of_crashing(tmp_path: Path) -> None:
    done = _gui("--backend", "simulated", home=tmp_path)
    assert done.returncode == 2
    assert "--screenshot" in done.stderr and "loopback-tuner-cli" in done.stderr
    assert "Traceback" not in done.stderr and "qt.qpa" not in done.stderr


def test_bad_gui_options_are_refused_before_qt_starts(tmp_path: Path) -> None:
    done = _gui("--countdown", "1", home=tmp_path)
    assert done.returncode == 2 and "--countdown must be 5 to 120" in done.stderr
    done = _gui("--backend", "simulated", "--netsh", "/bin/true", home=tmp_path)
    assert done.returncode == 2 and "cannot be combined" in done.stderr


def test_elevated_helper_entry_point_needs_no_qt(tmp_path: Path) -> None:
    code = (
        "import sys, app.main\n"
        "rc = app.main.main(['--elevated-helper'])\n"
        "assert 'PySide6' not in sys.modules, 'the helper loaded Qt'\n"
        "sys.exit(rc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=_headless_env(tmp_path),
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "refused" in done.stderr


def test_window_size_and_position_are_remembered(rig_factory: Callable[..., Rig], tmp_path: Path, qtbot: Any) -> None:
    from app.ui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    rig = rig_factory()
    first = MainWindow(rig.vm, rig.helpdesk, rig.sim_vm, "sim", settings)
    qtbot.addWidget(first)
    first.show()
    # Off the screen's corner, inside the 800x800 offscreen screen (restoreGeometry clamps to it); the window
    # is at least 784 pixels wide and, with the simulation banner, 670 high (every control of a tab shows).
    first.setGeometry(6, 83, 788, 690)
    qtbot.waitUntil(lambda: first.geometry() == QRect(6, 83, 788, 690), timeout=5000)
    first.close()
    second = MainWindow(
        rig.vm, rig.helpdesk, rig.sim_vm, "sim", QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(second)
    second.show()
    assert second.geometry() == QRect(6, 83, 788, 690)  # the same place and size, not only the size
    assert second.pos() != QPoint(0, 0)


def test_a_screenshot_renders_at_the_default_size_and_leaves_the_saved_geometry_alone(
    tmp_path: Path, qtbot: Any
) -> None:
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QMainWindow

    small = QMainWindow()
    qtbot.addWidget(small)
    small.resize(650, 520)
    small.show()
    ini = tmp_path / "data" / "window.ini"
    saved = QSettings(str(ini), QSettings.Format.IniFormat)
    saved.setValue("geometry", small.saveGeometry())  # a user's smaller window, from a real run
    saved.sync()
    before = ini.read_bytes()
    target = tmp_path / "window.png"
    done = _gui(
        "--backend", "simulated", "--state", str(tmp_path / "m.json"), "--screenshot", str(target), home=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert (QImage(str(target)).width(), QImage(str(target)).height()) == (800, 700)  # the default size
    assert ini.read_bytes() == before
