"""The status bar's message (one line, never cut without a way to read it) and the Details dialog it opens."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QFontMetrics, QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)


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


class DetailsDialog(QDialog):
    """The whole message and its details (netsh's output), shown at once: one click from the status bar."""

    def __init__(self, title: str, text: str, details: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.message = QLabel(text)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Details")
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)  # netsh's lines as they were printed
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setVisible(bool(details))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton("&Copy", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setAutoDefault(False)  # Enter closes, never copies
        self.copy_button.clicked.connect(self._copy)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        self.close_button.setDefault(True)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)
        rows = min(max(len(details.splitlines()), 4), 24)  # as many lines as there are, within reason
        self.details.setMinimumHeight(
            rows * self.details.fontMetrics().lineSpacing()
            + 2 * self.details.frameWidth()
            + 12
            + self.details.horizontalScrollBar().sizeHint().height()
        )
        self.resize(self._width_for(details, layout), self.sizeHint().height())
        self.close_button.setFocus()

    def _width_for(self, details: str, layout: QVBoxLayout) -> int:
        """Wide enough for the longest details line without scrolling, within the screen."""
        metrics = QFontMetrics(self.details.font())
        longest = max((metrics.horizontalAdvance(line) for line in details.splitlines()), default=0)
        frame = 2 * self.details.frameWidth() + 2 * int(self.details.document().documentMargin())
        margins = layout.contentsMargins()
        scrollbar = self.details.verticalScrollBar().sizeHint().width()
        wanted = longest + frame + margins.left() + margins.right() + scrollbar + 4
        screen = self.screen() or QGuiApplication.primaryScreen()
        return max(560, min(wanted, screen.availableGeometry().width()))

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(
            self.message.text() + ("\n\n" + self.details.toPlainText() if self.details.toPlainText() else "")
        )
