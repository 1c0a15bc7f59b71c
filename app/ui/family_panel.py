"""One family's tab: execution-mode radios, worker-count spinbox, large-MTU toggle, markers, failure panel."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.domain.model import WORKER_COUNT_MAX, WORKER_COUNT_MIN, ExecutionMode, Family, ReadProblem, Setting
from app.ui.inputs import RangeSpinBox
from app.ui.texts import (
    CHANGED_MARK,
    MODE_TEXT,
    MTU_TEXT,
    MTU_TEXT_KNOWN_PROBLEM,
    UNSAVED_MARK,
    WORKERS_INLINE_NOTE,
    WORKERS_RANGE,
    WORKERS_TEXT,
    workers_refused,
)
from app.ui.theme import set_role
from app.viewmodels.main_vm import FamilyView, MainViewModel

_PROBLEM_TITLES = {
    ReadProblem.UNSUPPORTED: "This Windows build does not have the loopback settings",
    ReadProblem.UNRECOGNIZED: "netsh's answer could not be read with certainty",
    ReadProblem.NETSH_FAILED: "netsh reported an error",
    ReadProblem.NETSH_MISSING: "netsh could not be started",
}


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return set_role(label, "hint")


class _Marker(QLabel):
    """A small text badge beside a control: changed, and/or active-only."""

    def show_marks(self, changed: bool, unsaved: bool) -> None:
        parts = []
        if changed:
            parts.append(f"{CHANGED_MARK} changed")
        if unsaved:
            parts.append(f"{UNSAVED_MARK} not saved: lost at reboot")
        self.setText("   ".join(parts))
        self.setVisible(bool(parts))
        self.setToolTip(
            "This value is active now but differs from the saved value; a reboot brings the saved one back."
            if unsaved
            else ""
        )


class _WholeContentScrollArea(QScrollArea):
    """Asks for room for its whole content at the width it has, so the window's minimum size shows every control
    of the tab without scrolling; the scroll bars remain only for a screen smaller than that minimum."""

    def minimumSizeHint(self) -> QSize:
        content, frame = self.widget(), 2 * self.frameWidth()
        if content is None:
            return super().minimumSizeHint()
        width = max(content.minimumSizeHint().width(), self._width_shown() - frame)
        layout = content.layout()
        if layout is not None and layout.hasHeightForWidth():
            height = layout.totalHeightForWidth(width)
        else:
            height = content.minimumSizeHint().height()
        screen = self.screen()
        if screen is not None and self.isVisible():  # never a minimum taller than the screen: scroll there instead
            around = self.window().frameGeometry().height() - self.height()
            height = min(height, screen.availableGeometry().height() - around - frame)
        return QSize(content.minimumSizeHint().width() + frame, height + frame)

    def _width_shown(self) -> int:
        """This area's width, or for a tab not on top (its size is not updated) the width of the tabs' page."""
        widget: QWidget | None = self
        while widget is not None and not widget.isVisible():
            widget = widget.parentWidget()
        return self.width() if widget is self or widget is None else widget.contentsRect().width()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()  # wrapped hints need another height at another width


class FamilyPanel(QWidget):
    """Renders a FamilyView and forwards edits to the view-model."""

    saveRequested = Signal(object)  # Family: the user asked to save its active-only values (the window runs it)

    def __init__(self, vm: MainViewModel, family: Family, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm, self.family = vm, family
        label = family.label
        self.setObjectName(f"panel-{family.value}")

        self.mode_box = QGroupBox("Execution mode")
        self.mode_group = QButtonGroup(self)
        self.mode_buttons: dict[ExecutionMode, QRadioButton] = {}
        mode_layout = QVBoxLayout(self.mode_box)
        for mode, mnemonic in (
            (ExecutionMode.ADAPTIVE, "&Adaptive"),
            (ExecutionMode.INLINE, "&Inline"),
            (ExecutionMode.WORKER, "&Worker"),
        ):
            button = QRadioButton(mnemonic)
            button.setAccessibleName(f"{label} execution mode {mode.label}")
            button.setAccessibleDescription(MODE_TEXT[mode])  # no tooltip: the same words are shown below it
            self.mode_group.addButton(button)
            self.mode_buttons[mode] = button
            hint = _hint(MODE_TEXT[mode])
            hint.setContentsMargins(24, 0, 0, 4)
            mode_layout.addWidget(button)
            mode_layout.addWidget(hint)
            button.toggled.connect(self._mode_toggled)
        self.mode_marker = _Marker()
        mode_layout.addWidget(self.mode_marker)

        self.workers = RangeSpinBox(WORKER_COUNT_MIN, WORKER_COUNT_MAX)
        self.workers.setAccessibleName(f"{label} worker count")
        self.workers.setAccessibleDescription(f"{WORKERS_TEXT} From {WORKER_COUNT_MIN} to {WORKER_COUNT_MAX}.")
        self.workers.valueChanged.connect(self._workers_changed)
        self.workers.refused.connect(self._workers_refused)
        workers_label = QLabel("Worker &count:")
        workers_label.setBuddy(self.workers)
        self.workers_range = set_role(QLabel(WORKERS_RANGE), "hint")
        self.workers_note = set_role(QLabel(WORKERS_INLINE_NOTE), "note")
        self.workers_marker = _Marker()
        workers_row = QHBoxLayout()
        for item in (workers_label, self.workers, self.workers_range, self.workers_note, self.workers_marker):
            workers_row.addWidget(item)
        workers_row.addStretch(1)
        self.workers_error = QLabel()  # why a typed worker count was refused; hidden until one is
        self.workers_error.setObjectName("inputError")
        self.workers_error.setWordWrap(True)
        self.workers_error.setAccessibleName(f"{label} worker count not accepted")
        self.workers_error.hide()

        self.mtu = QCheckBox("&Large MTU on the loopback path")
        self.mtu.setAccessibleName(f"{label} large MTU")
        self.mtu.setAccessibleDescription(MTU_TEXT)
        self.mtu.toggled.connect(self._mtu_toggled)
        self.mtu_marker = _Marker()
        mtu_row = QHBoxLayout()
        mtu_row.addWidget(self.mtu)
        mtu_row.addWidget(self.mtu_marker)
        mtu_row.addStretch(1)

        other = QGroupBox("Worker threads and MTU")
        other_layout = QVBoxLayout(other)
        other_layout.addLayout(workers_row)
        other_layout.addWidget(self.workers_error)
        other_layout.addWidget(_hint(WORKERS_TEXT))
        other_layout.addLayout(mtu_row)
        self.mtu_hint = _hint(MTU_TEXT)
        other_layout.addWidget(self.mtu_hint)

        self.failure_box = QFrame()
        self.failure_box.setObjectName("failure")
        self.failure_box.setFrameShape(QFrame.Shape.StyledPanel)
        fail_layout = QVBoxLayout(self.failure_box)
        self.failure_title = QLabel()
        self.failure_title.setObjectName("failureTitle")
        self.failure_text = _hint("")
        self.failure_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.raw = QPlainTextEdit()
        self.raw.setReadOnly(True)
        self.raw.setAccessibleName(f"{label} raw netsh output")
        self.raw.setMinimumHeight(100)
        self.raw.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.copy_raw = QPushButton("Cop&y raw output")
        self.copy_raw.setAccessibleDescription("Copies netsh's raw output to the clipboard, e.g. for a ticket")
        self.copy_raw.clicked.connect(self._copy_raw)
        # Wired (and shown) by app/ui/diagnostics_menu.install_diagnostics.
        self.save_diagnostics = QPushButton("Save diagnostics\u2026")
        self.save_diagnostics.setAccessibleDescription("Shows, then saves, a diagnostics file to send with a report")
        self.save_diagnostics.setVisible(False)
        for part in (self.failure_title, self.failure_text, self.raw, self.copy_raw, self.save_diagnostics):
            fail_layout.addWidget(part)

        self.unsaved_banner = QLabel()
        self.unsaved_banner.setObjectName("unsaved")
        self.unsaved_banner.setWordWrap(True)
        self.save_button = QPushButton("Save so they stay after a restart\u2026")
        self.save_button.setAccessibleDescription(
            "Writes the values in effect to the saved store, through the administrator prompt; no trial"
        )
        self.save_button.clicked.connect(lambda: self.saveRequested.emit(self.family))
        self.save_row = QWidget()  # hidden whole (no spacing left behind) unless a value is active only
        save_layout = QHBoxLayout(self.save_row)
        save_layout.setContentsMargins(0, 0, 0, 0)
        save_layout.addWidget(self.save_button)
        save_layout.addStretch(1)

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(self.failure_box)
        layout.addWidget(self.unsaved_banner)
        layout.addWidget(self.save_row)
        layout.addWidget(self.mode_box)
        layout.addWidget(other)
        layout.addStretch(1)
        scroll = _WholeContentScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.setTabOrder(self.mode_buttons[ExecutionMode.ADAPTIVE], self.workers)
        self.setTabOrder(self.workers, self.mtu)
        self.show_view(vm.family_view(family))

    def _mode_toggled(self, on: bool) -> None:
        button = self.sender()
        if on:
            mode = next(m for m, b in self.mode_buttons.items() if b is button)
            self.vm.set_mode(self.family, mode)

    def _workers_changed(self, count: int) -> None:
        self.workers_error.hide()
        self.vm.set_workers(self.family, count)

    def _workers_refused(self, typed: str) -> None:
        self.workers_error.setText(workers_refused(typed, self.workers.value()))
        self.workers_error.show()

    def _mtu_toggled(self, on: bool) -> None:
        self.vm.set_large_mtu(self.family, on)

    def _copy_raw(self) -> None:
        QGuiApplication.clipboard().setText(self.raw.toPlainText())

    def show_known_problem(self, large_mtu_stalls: bool) -> None:
        """The large-MTU hint explains both the recommendation and this machine's known problem."""
        self.mtu_hint.setText(MTU_TEXT_KNOWN_PROBLEM if large_mtu_stalls else MTU_TEXT)

    def show_view(self, view: FamilyView) -> None:
        """Show ``view`` without echoing edits back to the view-model."""
        widgets = (*self.mode_buttons.values(), self.workers, self.mtu)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            pending = view.pending
            if pending is None or pending.worker_count != self.workers.value():
                self.workers_error.hide()  # the box shows another value now: an earlier refusal is old news
            if pending is not None:
                self.mode_group.setExclusive(True)
                self.mode_buttons[pending.execution_mode].setChecked(True)
                self.workers.setSpecialValueText("")
                self.workers.setValue(pending.worker_count)
                self.mtu.setChecked(pending.large_mtu)
            else:  # unknown values are shown blank, never as a made-up value
                self.mode_group.setExclusive(False)
                for button in self.mode_buttons.values():
                    button.setChecked(False)
                self.workers.setSpecialValueText("\u2014")
                self.workers.setValue(WORKER_COUNT_MIN)
                self.mtu.setChecked(False)
            for widget in widgets:
                widget.setEnabled(view.editable)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self.mode_box.setEnabled(view.editable)
        self.workers_note.setVisible(not view.worker_count_matters)
        self.mode_marker.show_marks(Setting.EXECUTION_MODE in view.changed, Setting.EXECUTION_MODE in view.unsaved)
        self.workers_marker.show_marks(Setting.WORKER_COUNT in view.changed, Setting.WORKER_COUNT in view.unsaved)
        self.mtu_marker.show_marks(Setting.LARGE_MTU in view.changed, Setting.LARGE_MTU in view.unsaved)
        if view.unsaved and view.saved is not None:
            self.unsaved_banner.setText(
                f"{UNSAVED_MARK} Some values are active only until the next restart. "
                f"Saved values: {view.saved.describe()}."
            )
        self.unsaved_banner.setVisible(bool(view.unsaved))
        self.save_row.setVisible(bool(view.unsaved))
        self.save_button.setEnabled(self.vm.can_save(self.family))
        failure = view.failure
        self.failure_box.setVisible(failure is not None)
        if failure is not None:
            self.failure_title.setText(_PROBLEM_TITLES[failure.problem])
            self.failure_text.setText(failure.message)
            self.raw.setPlainText(failure.raw or "(no output)")
            self.raw.setVisible(bool(failure.raw))
            self.copy_raw.setVisible(bool(failure.raw))
