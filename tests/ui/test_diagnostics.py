"""Save diagnostics (offscreen): Help menu and the unreadable family's button show the file, then save that text."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication

from app.domain.model import Family
from app.simulator.profile import Fault, SimProfile
from app.ui.diagnostics_dialog import DiagnosticsDialog
from app.viewmodels.diagnostics_vm import DiagnosticsViewModel
from app.viewmodels.messages import Level
from tests.ui.conftest import Rig, SignalWaiter


def _dialog() -> DiagnosticsDialog:
    (dialog,) = [w for w in QApplication.topLevelWidgets() if isinstance(w, DiagnosticsDialog) and w.isVisible()]
    return dialog


def _vm(rig: Rig) -> DiagnosticsViewModel:
    (vm,) = rig.window.findChildren(DiagnosticsViewModel)
    return vm


def _help_action(rig: Rig) -> Any:
    (help_menu,) = [a.menu() for a in rig.window.menuBar().actions() if a.text() == "&Help"]
    (action,) = [a for a in help_menu.actions() if a.text() == "Save &diagnostics for a bug report\u2026"]
    return action


def test_help_menu_shows_the_file_then_saves_exactly_that(
    rig_factory: Callable[..., Rig], wait: SignalWaiter, tmp_path: Path
) -> None:
    rig = rig_factory()
    vm = _vm(rig)
    _help_action(rig).trigger()
    dialog = _dialog()
    assert not dialog.save_button.isEnabled()  # nothing to save before the file is made
    wait.until(lambda: vm.text != "")
    shown = vm.text
    assert json.loads(shown)["format"] == "loopback-tuner-diagnostics"
    assert dialog.view.toPlainText() == shown and dialog.save_button.isEnabled()
    target = tmp_path / "diag.json"
    (saved,) = wait(vm.saved, lambda: dialog.save_to(str(target)))
    assert saved == str(target)
    assert target.read_text(encoding="utf-8") == shown  # exactly what was shown, not a new reading
    assert rig.window.last_message is not None and rig.window.last_message.level is Level.SUCCESS
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, DiagnosticsDialog) and w.isVisible()]
    # A second time: a new dialog, and the first one (deleted on close) is not called again.
    _help_action(rig).trigger()
    wait.until(lambda: _dialog().save_button.isEnabled())
    wait(vm.saved, lambda: _dialog().save_to(str(tmp_path / "again.json")))
    assert (tmp_path / "again.json").is_file()


def test_a_family_that_cannot_be_read_offers_the_button(rig_factory: Callable[..., Rig], wait: SignalWaiter) -> None:
    rig = rig_factory(SimProfile(elevated=True, faults=frozenset({Fault.IPV6_UNREADABLE})))
    ipv4, ipv6 = rig.window.panels[Family.IPV4], rig.window.panels[Family.IPV6]
    assert ipv6.save_diagnostics.isVisibleTo(ipv6) and not ipv4.save_diagnostics.isVisibleTo(ipv4)
    vm = _vm(rig)
    ipv6.save_diagnostics.click()
    wait.until(lambda: vm.text != "")
    runs = json.loads(_dialog().view.toPlainText())["runs"]
    assert [r["parsed"]["result"] for r in runs] == ["settings", "settings", "unrecognized", "unrecognized"]
    _dialog().reject()


def test_a_failed_save_is_a_message(rig_factory: Callable[..., Rig], wait: SignalWaiter, tmp_path: Path) -> None:
    rig = rig_factory()
    vm = _vm(rig)
    _help_action(rig).trigger()
    wait.until(lambda: vm.text != "")
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    (message,) = wait(vm.message, lambda: _dialog().save_to(str(tmp_path / "a-file" / "d.json")))
    assert message.level is Level.ERROR and "could not be saved" in message.text
    assert _dialog().isVisible()
    _dialog().reject()


def test_a_replay_says_so_in_the_title(qtbot: Any, tmp_path: Path, run: Callable[[Any], Any]) -> None:
    from app.paths import AppPaths
    from app.runners.factory import choose_backend
    from app.wiring import build_gui, build_services
    from tests.conftest import FIXTURES

    capture = FIXTURES / "captures" / "sim-ipv6-unreadable.json"
    services = build_services(choose_backend(backend="simulated", capture=str(capture)), AppPaths(tmp_path, tmp_path))
    gui = build_gui(services)
    qtbot.addWidget(gui.window)
    assert gui.window.windowTitle().endswith("replay of sim-ipv6-unreadable.json (read-only)")
    run(gui.vm.start())
    assert gui.window.panels[Family.IPV6].save_diagnostics.isVisibleTo(gui.window.panels[Family.IPV6])
    gui.vm.countdown.stop()
    for obj in (gui.vm, *vars(gui.helpdesk).values()):
        obj.deleteLater()
    run(asyncio.sleep(0.01))  # deferred deletes run on the qasync loop
