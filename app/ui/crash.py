"""One crash dialog for unexpected exceptions, with copyable details; the app keeps running."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from app import __version__


class CrashDialog(QDialog):
    def __init__(self, details: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Loopback Tuner ran into a problem")
        text = QLabel(
            "Something unexpected went wrong. Your settings were not changed by this error, and the app "
            "keeps running. Please copy the details into a bug report."
        )
        text.setWordWrap(True)
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Error details")
        copy = QPushButton("&Copy details")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.details.toPlainText()))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.details)
        layout.addWidget(buttons)
        self.resize(640, 360)


class CrashReporter:
    """Replaces ``sys.excepthook``; shows one dialog at a time (non-modal ``open()``, never ``exec()``)."""

    def __init__(self, parent: Callable[[], QWidget | None]) -> None:
        self.parent = parent
        self.dialog: CrashDialog | None = None
        self.reports: list[str] = []
        self._previous = sys.excepthook

    def install(self) -> None:
        sys.excepthook = self.handle

    def uninstall(self) -> None:
        sys.excepthook = self._previous

    def handle(self, kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        details = f"Loopback Tuner {__version__}, Python {sys.version.split()[0]} on {sys.platform}\n\n" + "".join(
            traceback.format_exception(kind, value, tb)
        )
        self.reports.append(details)
        print(details, file=sys.stderr)
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.details.appendPlainText("\n" + details)
            return
        self.dialog = CrashDialog(details, self.parent())
        self.dialog.open()
