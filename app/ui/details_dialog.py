"""The Details dialog the status bar opens: the whole message and netsh's output; imported on first use."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QFontMetrics, QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget


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
