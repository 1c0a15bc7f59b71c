"""Save diagnostics for a bug report: the file's whole text is shown first, then saved where the user says."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.file_dialogs import choose_file_to_save
from app.ui.slots import async_slot
from app.viewmodels.diagnostics_vm import DEFAULT_NAME, DiagnosticsViewModel

INTRO = (
    "This file helps fix a problem reading your settings. It holds what netsh printed (raw and as text), what "
    "Loopback Tuner made of it, the Windows version, display languages and code pages, and the TCP congestion "
    "providers. It holds no user, computer or domain names, and nothing was changed to make it. Read it, then "
    "save it and attach it to your report."
)


class DiagnosticsDialog(QDialog):
    """Shows the diagnostics file's text (read-only) with Save… and Copy; opened with open(), never exec()."""

    def __init__(self, vm: DiagnosticsViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        self.setWindowTitle("Save diagnostics for a bug report")
        layout = QVBoxLayout(self)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.view = QPlainTextEdit()
        self.view.setReadOnly(True)
        self.view.setAccessibleName("The diagnostics file")
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.view.setMinimumSize(640, 360)
        layout.addWidget(self.view, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_button = QPushButton("&Save\u2026")
        self.copy_button = QPushButton("&Copy")
        for button in (self.save_button, self.copy_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.save_button.clicked.connect(self._choose_file)
        self.copy_button.clicked.connect(self._copy)
        # Bound methods only: Qt disconnects them when this dialog is deleted (it is deleted on close).
        vm.textChanged.connect(self._show_text)
        vm.saved.connect(self._saved)
        self._show_text(vm.text)

    def _show_text(self, text: str) -> None:
        self.view.setPlainText(text or "Collecting diagnostics (netsh runs; nothing is changed)\u2026")
        self.save_button.setEnabled(bool(text))
        self.copy_button.setEnabled(bool(text))

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.vm.text)

    def _saved(self, _path: str) -> None:
        self.accept()

    @async_slot()
    async def collect(self) -> None:
        await self.vm.prepare()

    def _choose_file(self) -> None:
        choose_file_to_save(self, "Save diagnostics", Path.home() / DEFAULT_NAME, "Diagnostics (*.json)", self.save_to)

    @async_slot(str)
    async def save_to(self, path: str) -> None:
        await self.vm.save(Path(path))


def open_diagnostics(vm: DiagnosticsViewModel, parent: QWidget) -> DiagnosticsDialog:
    """Open the dialog (modeless to the loop: open(), not exec()) and start collecting."""
    dialog = DiagnosticsDialog(vm, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    dialog.collect()
    return dialog
