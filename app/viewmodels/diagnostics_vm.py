"""Diagnostics for a bug report: makes the file's text off the GUI thread, shows it, then saves it where asked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.storage.files import write_atomic
from app.viewmodels.messages import Level, Message
from app.viewmodels.tasks import in_thread

DEFAULT_NAME = "loopback-tuner-diagnostics.json"


class DiagnosticsViewModel(QObject):
    """``make`` builds the file's text (blocking: the diagnose use case); it runs with asyncio.to_thread."""

    textChanged = Signal(str)  # the file's text, shown before anything is saved ("" while it is being made)
    saved = Signal(str)  # the path written
    message = Signal(object)  # Message: the one channel for the user (the window forwards it to its status bar)

    def __init__(self, make: Callable[[], str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._make = make
        self._text = ""

    @property
    def text(self) -> str:
        return self._text

    def _set_text(self, text: str) -> None:
        if text != self._text:
            self._text = text
            self.textChanged.emit(text)

    async def prepare(self) -> bool:
        """Make the file's text (netsh runs, unelevated, changing nothing); False when it could not be made."""
        self._set_text("")
        try:
            text = await in_thread(self._make)
        except (OSError, ValueError) as exc:
            self.message.emit(Message(Level.ERROR, f"The diagnostics could not be collected: {exc}"))
            return False
        self._set_text(text)
        return True

    async def save(self, path: Path) -> bool:
        """Write the text shown (never a new one) to ``path``; a failure becomes a message."""
        if not self._text:
            return False
        try:
            await in_thread(write_atomic, path, self._text)
        except OSError as exc:
            self.message.emit(Message(Level.ERROR, f"The diagnostics could not be saved: {exc.strerror or exc}"))
            return False
        self.message.emit(Message(Level.SUCCESS, f"Saved the diagnostics to {path.name}: attach it to the report."))
        self.saved.emit(str(path))
        return True
