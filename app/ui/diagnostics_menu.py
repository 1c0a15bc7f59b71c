"""Help > Save diagnostics for a bug report…, installed with the window; the dialog (app/ui/diagnostics_dialog.py)
is imported when it is first opened (make bench, issue 16)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu

from app.viewmodels.diagnostics_vm import DiagnosticsViewModel

if TYPE_CHECKING:
    from app.ui.diagnostics_dialog import DiagnosticsDialog


def _open(vm: DiagnosticsViewModel, window: QMainWindow) -> DiagnosticsDialog:
    from app.ui.diagnostics_dialog import open_diagnostics

    return open_diagnostics(vm, window)


def install_diagnostics(window: QMainWindow, vm: DiagnosticsViewModel) -> QAction:
    """Help > Save diagnostics for a bug report…, and each family panel's Save diagnostics… button."""
    help_menu = next((a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Help"), None)
    action = QAction("Save &diagnostics for a bug report\u2026", window)
    action.triggered.connect(lambda: _open(vm, window))
    if isinstance(help_menu, QMenu):
        existing = help_menu.actions()
        if len(existing) > 1:
            help_menu.insertAction(existing[1], action)  # after "What do these settings do?"
        else:
            help_menu.addAction(action)
    for panel in getattr(window, "panels", {}).values():
        panel.save_diagnostics.setVisible(True)
        panel.save_diagnostics.clicked.connect(lambda: _open(vm, window))
    vm.message.connect(getattr(window, "show_message", lambda _m: None))
    return action
