"""The apply confirmation (with copyable commands) and the keep-or-revert countdown dialog."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.viewmodels.main_vm import TrialView


def _list(lines: list[str] | tuple[str, ...]) -> QLabel:
    label = QLabel("\n".join(f"\u2022 {line}" for line in lines) or "(nothing)")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    return label


class CommandsView(QWidget):
    """An expandable, copyable block of netsh command lines."""

    def __init__(self, title: str, lines: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggle = QToolButton()
        self.toggle.setText(title)
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.text = QPlainTextEdit("\n".join(lines))
        self.text.setReadOnly(True)
        self.text.setAccessibleName(title)
        rows = min(max(len(lines), 3), 12)  # the commands' own height, not a large empty box
        self.text.setFixedHeight(
            rows * self.text.fontMetrics().lineSpacing()
            + 2 * self.text.frameWidth()
            + 12
            + self.text.horizontalScrollBar().sizeHint().height()
        )
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)  # one command per line, as typed
        self.copy = QPushButton("&Copy commands")
        self.copy.setAutoDefault(False)  # Enter answers the dialog, never "copy"
        self.copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text.toPlainText() + "\n"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toggle)
        layout.addWidget(self.text)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.copy)
        layout.addLayout(row)
        self.toggle.toggled.connect(self._toggled)
        self._expand(False)

    def _toggled(self, on: bool) -> None:
        self._expand(on)
        # Room for the commands, and back (never a squeezed text box or an empty space): once the layouts have
        # taken in the change, which Qt does in posted events.
        QTimer.singleShot(0, self.window().adjustSize)

    def _expand(self, on: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.text.setVisible(on)
        self.copy.setVisible(on)


class ApplyDialog(QDialog):
    """Shows what will change and the exact commands; accepted means "go ahead"."""

    def __init__(
        self,
        summary: list[str],
        commands: list[str],
        countdown_s: int,
        parent: QWidget | None = None,
        title: str = "Apply these changes?",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        intro = QLabel("<b>These settings will change:</b>")
        note = QLabel(
            f"Windows may ask once for administrator rights. The new values then run for a {countdown_s}-second "
            "trial: keep them, or they go back to the current values by themselves."
        )
        note.setWordWrap(True)
        self.commands = CommandsView("Show the netsh commands", commands)
        buttons = QDialogButtonBox()
        self.apply_button = buttons.addButton("&Apply", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (intro, _list(summary), note, self.commands, buttons):
            layout.addWidget(widget)
        self.apply_button.setDefault(True)  # once inside the dialog: before that, the dialog does not see it
        self.apply_button.setFocus()  # the focus is where Enter goes, not on the commands' toggle
        self.setMinimumWidth(720)  # a whole netsh command fits on one line


class KeepDialog(QDialog):
    """ "Keep these settings?" with a countdown. Revert, Esc, closing and the time running out all revert."""

    keepRequested = Signal()
    revertRequested = Signal()

    def __init__(self, trial: TrialView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keep these settings?")
        self.setAccessibleName("Keep these settings?")
        heading = QLabel("<b>Keep these settings?</b>")
        self.countdown = QLabel()
        self.countdown.setAccessibleName("Time left before the previous values come back")
        self.warnings = warnings = _list(trial.warnings)
        warnings.setObjectName("warnings")
        warnings.setVisible(bool(trial.warnings))
        self.keep_button = QPushButton("&Keep changes")
        self.revert_button = QPushButton("&Revert")
        self.keep_button.setAutoDefault(False)  # focus must never make Keep the Enter key's answer
        self.revert_button.setDefault(True)  # Enter, like Esc, is the safe answer
        self.keep_button.clicked.connect(self.keepRequested)
        self.revert_button.clicked.connect(self.revertRequested)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.keep_button)
        row.addWidget(self.revert_button)
        layout = QVBoxLayout(self)
        for widget in (heading, _list(trial.changes), warnings, self.countdown):
            layout.addWidget(widget)
        layout.addLayout(row)
        self._finished = False
        self._working = False
        self.revert_button.setFocus()
        self.set_seconds(trial.seconds)
        self.setMinimumWidth(440)

    def set_seconds(self, seconds: int) -> None:
        unit = "second" if seconds == 1 else "seconds"
        self.countdown.setText(f"The previous values come back in <b>{seconds}</b> {unit}.")

    def show_warnings(self, warnings: tuple[str, ...]) -> None:
        self.warnings.setText("\n".join(f"\u2022 {line}" for line in warnings))
        self.warnings.setVisible(bool(warnings))
        self.adjustSize()  # grow to show the whole text

    def set_working(self, text: str) -> None:
        self._working = True  # the decision is on its way: Esc and closing change nothing now
        self.countdown.setText(text)
        self.keep_button.setEnabled(False)
        self.revert_button.setEnabled(False)

    def finish(self) -> None:
        """Close for good: the trial has ended (no further revert request)."""
        self._finished = True
        self.done(QDialog.DialogCode.Accepted)

    def reject(self) -> None:  # Esc
        if not self._finished and not self._working:
            self.revertRequested.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._finished:
            event.ignore()
            if not self._working:
                self.revertRequested.emit()
            return
        super().closeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.reject()
            return
        super().keyPressEvent(event)
