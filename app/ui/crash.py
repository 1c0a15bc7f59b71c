"""One crash dialog for unexpected exceptions, with copyable details; the app keeps running.

The dialog's module (app/ui/crash_dialog.py) is imported when the first exception is reported: the reporter is
installed at every start, the dialog is hardly ever shown (make bench, issue 16).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from app import __version__

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from app.ui.crash_dialog import CrashDialog


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
        from app.ui.crash_dialog import CrashDialog

        self.dialog = CrashDialog(details, self.parent())
        self.dialog.open()
