"""The status bar's message: one line, never cut without a way to read it (Details opens the whole of it,
app/ui/details_dialog.py)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class StatusLabel(QLabel):
    """One line of text elided to the width it gets; ``elidedChanged`` says when part of it is hidden, so the
    window can offer the whole text (a tooltip here, and Details). A long message never widens the window."""

    elidedChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self._elided = False
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def full_text(self) -> str:
        return self._full

    def is_elided(self) -> bool:
        return self._elided

    def show_text(self, text: str) -> None:
        self._full = text
        self._render()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._render()

    def _render(self) -> None:
        one_line = " ".join(self._full.split())
        shown = self.fontMetrics().elidedText(one_line, Qt.TextElideMode.ElideRight, self.contentsRect().width())
        elided = shown != one_line
        self.setText(shown)
        self.setToolTip(self._full if elided else "")  # the visible text already says it all otherwise
        if elided != self._elided:
            self._elided = elided
            self.elidedChanged.emit(elided)
