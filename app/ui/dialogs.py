"""The apply confirmation (with copyable commands) and the keep-or-revert countdown dialog (with Measure now)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.inputs import WrappedLabel
from app.ui.slots import async_slot
from app.ui.theme import polish, set_role
from app.viewmodels.main_vm import TrialView
from app.viewmodels.measure_now_vm import BeforeAfter, MeasureNowViewModel


def _list(lines: list[str] | tuple[str, ...]) -> QLabel:
    label = QLabel("\n".join(f"\u2022 {line}" for line in lines) or "(nothing)")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    return label


def _cell(text: str, column: int) -> QLabel:
    """A cell of the before/after table: names on the left, figures right-aligned, all selectable."""
    label = QLabel(text)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setAlignment(Qt.AlignmentFlag.AlignRight if column else Qt.AlignmentFlag.AlignLeft)
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
    """ "Keep these settings?" with a countdown. Revert, Esc, closing and the time running out all revert.

    With a Measure now view-model: *Measure now* pauses the countdown and measures the changed families with the
    values found before and with the trial values; the figures appear below. Keep and Revert stay available and
    stop a measurement; *Cancel measurement* stops it and the countdown goes on.
    """

    keepRequested = Signal()
    revertRequested = Signal()

    def __init__(
        self, trial: TrialView, parent: QWidget | None = None, measure: MeasureNowViewModel | None = None
    ) -> None:
        super().__init__(parent)
        self.measure = measure
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
        self.measure_button = QPushButton("&Measure now")
        self.measure_button.setToolTip(
            "Pause the countdown and measure the loopback with the previous values and with the new ones"
        )
        self.cancel_measure_button = QPushButton("&Cancel measurement")
        for button in (self.keep_button, self.measure_button, self.cancel_measure_button):
            button.setAutoDefault(False)  # focus must never make them the Enter key's answer
        self.revert_button.setDefault(True)  # Enter, like Esc, is the safe answer
        self.keep_button.clicked.connect(self.keepRequested)
        self.revert_button.clicked.connect(self.revertRequested)
        self.progress = QLabel()
        self.progress.setAccessibleName("Measurement progress")
        self.progress.setWordWrap(True)
        self.figures = QWidget()
        self.figures.setAccessibleName("Before and after")
        self.figures_grid = QGridLayout(self.figures)
        self.figures_grid.setContentsMargins(0, 0, 0, 0)
        self.caveat = WrappedLabel()
        self.caveat.setObjectName("simBanner")  # the simulated machine's colours, as in the Measure dialog
        self.caveat.setAccessibleName("About these figures")
        self.note = WrappedLabel()
        set_role(self.note, "note")
        measure_row = QHBoxLayout()
        measure_row.addWidget(self.progress, 1)
        measure_row.addWidget(self.cancel_measure_button)
        row = QHBoxLayout()
        row.addWidget(self.measure_button)
        row.addStretch(1)
        row.addWidget(self.keep_button)
        row.addWidget(self.revert_button)
        layout = QVBoxLayout(self)
        for widget in (heading, _list(trial.changes), warnings, self.countdown):
            layout.addWidget(widget)
        layout.addLayout(measure_row)
        for part in (self.figures, self.caveat, self.note):
            layout.addWidget(part)
        layout.addLayout(row)
        self._finished = False
        self._working = False
        self._measuring = False
        self._seconds = trial.seconds
        for hidden in (self.progress, self.cancel_measure_button, self.figures, self.caveat, self.note):
            hidden.setVisible(False)
        self.measure_button.setVisible(measure is not None)
        if measure is not None:
            self.measure_button.clicked.connect(self._measure_now)
            self.cancel_measure_button.clicked.connect(measure.cancel)
            measure.runningChanged.connect(self.show_measuring)
            measure.progress.connect(self.show_progress)
            measure.finished.connect(self.show_figures)
            measure.failed.connect(self.show_progress)
        polish(self)
        self.revert_button.setFocus()
        self.set_seconds(trial.seconds)
        self.setMinimumWidth(480)

    @async_slot()
    async def _measure_now(self) -> None:
        if self.measure is not None:
            await self.measure.run()

    def set_seconds(self, seconds: int) -> None:
        self._seconds = seconds
        unit = "second" if seconds == 1 else "seconds"
        if self._working:
            return
        if self._measuring:
            self.countdown.setText(f"Paused while measuring: <b>{seconds}</b> {unit} left after it.")
        else:
            self.countdown.setText(f"The previous values come back in <b>{seconds}</b> {unit}.")

    def show_measuring(self, running: bool) -> None:
        self._measuring = running
        usable = self.measure is not None and (running or self.measure.available())
        self.measure_button.setEnabled(not running and not self._working and usable)
        self.cancel_measure_button.setVisible(running)
        self.cancel_measure_button.setEnabled(running and not self._working)
        if running:
            self.progress.setText("Starting\u2026")
            self.progress.setVisible(True)
        self.set_seconds(self._seconds)

    def show_progress(self, text: str) -> None:
        self.progress.setText(text)
        self.progress.setVisible(True)

    def show_figures(self, result: BeforeAfter) -> None:
        """The before/after table, the simulated machine's caveat and how to read the figures."""
        grid = self.figures_grid
        while (item := grid.takeAt(0)) is not None:
            old = item.widget()
            if old is not None:
                old.deleteLater()
        for column, text in enumerate(("", "Before", "After (new values)")):
            grid.addWidget(_cell(f"<b>{text}</b>", column), 0, column)
        row = 1
        for family in result.families:
            for figure in family.rows:
                name = figure.label
                if len(result.families) > 1:
                    name = f"{family.family.label} {name[:1].lower()}{name[1:]}"
                for column, text in enumerate((name, figure.before, figure.after)):
                    grid.addWidget(_cell(text, column), row, column)
                row += 1
        grid.setColumnStretch(0, 1)
        self.figures.setVisible(True)
        family_names = " and ".join(f.family.label for f in result.families)
        done = "Measured" if not result.problem else f"Stopped ({result.problem})"
        self.progress.setText(f"{done}: {family_names}, the previous values and the new ones.")
        self.progress.setVisible(True)
        caveat = result.caveat
        self.caveat.setText(caveat[:1].upper() + caveat[1:] + "." if caveat else "")
        self.caveat.setVisible(caveat is not None)
        self.note.setText(result.note)
        self.note.setVisible(True)
        polish(self)
        self.adjustSize()

    def show_warnings(self, warnings: tuple[str, ...]) -> None:
        self.warnings.setText("\n".join(f"\u2022 {line}" for line in warnings))
        self.warnings.setVisible(bool(warnings))
        self.adjustSize()  # grow to show the whole text

    def set_working(self, text: str) -> None:
        self._working = True  # the decision is on its way: Esc and closing change nothing now
        self.countdown.setText(text)
        for button in (self.keep_button, self.revert_button, self.measure_button, self.cancel_measure_button):
            button.setEnabled(False)

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
