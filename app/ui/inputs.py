"""Input widgets that never change a value behind the user's back (no wheel without focus, no silent clamping), and
a label that never loses lines to wrapping."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QResizeEvent, QValidator, QWheelEvent
from PySide6.QtWidgets import QComboBox, QLabel, QSpinBox, QWidget


class FocusWheelSpinBox(QSpinBox):
    """A spin box the mouse wheel changes only while it has focus: scrolling the page past it changes nothing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Tab and click give focus; the wheel does not

    def wheelEvent(self, event: QWheelEvent) -> None:
        if not self.hasFocus():
            event.ignore()  # the scroll area around it scrolls instead
            return
        super().wheelEvent(event)


class FocusWheelComboBox(QComboBox):
    """A combo box the mouse wheel changes only while it has focus."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if not self.hasFocus():
            event.ignore()
            return
        super().wheelEvent(event)


class RangeSpinBox(FocusWheelSpinBox):
    """A whole-number box that refuses an out-of-range entry out loud instead of clamping or truncating it.

    QSpinBox drops a keystroke that leaves its range (typing 17 in 1 to 16 shows 1, and Tab then sets 1). Here
    the typed text stays visible; when editing ends (Tab, Enter, a click elsewhere) an out-of-range number emits
    ``refused`` with the text and the box shows its previous value again, so the value never changes silently.
    """

    refused = Signal(str)  # the out-of-range number the user typed

    def __init__(self, minimum: int, maximum: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(minimum, maximum)
        self.setKeyboardTracking(False)  # the value changes when editing ends, not at each keystroke

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        state, text, pos = super().validate(text, pos)
        if state is QValidator.State.Invalid and self._out_of_range(text) is not None:
            state = QValidator.State.Intermediate  # keep the digits on screen; finishing the edit refuses them
        return state, text, pos

    def _out_of_range(self, text: str) -> str | None:
        """The number in ``text`` when it is one and lies outside the range, else None."""
        clean = text.removeprefix(self.prefix()).removesuffix(self.suffix()).strip()
        if clean.isdecimal() and not self.minimum() <= int(clean) <= self.maximum():
            return clean
        return None

    def _refuse_out_of_range(self) -> None:
        typed = self._out_of_range(self.lineEdit().text())
        if typed is not None:
            self.setValue(self.value())  # shows the previous value again (value() is unchanged while typing)
            self.refused.emit(typed)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self._refuse_out_of_range()
        super().focusOutEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._refuse_out_of_range()
        super().keyPressEvent(event)


class WrappedLabel(QLabel):
    """A word-wrapped label whose minimum height is the height its text needs at its current width.

    A window's minimum size ignores how tall wrapped text gets (Qt's height-for-width), so a banner that wraps to
    three lines would take its room from the tabs, which then scroll. This label asks for that room itself."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        if self.width() <= 0 or not self.text():
            return hint
        return QSize(hint.width(), max(hint.height(), self.heightForWidth(self.width())))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()  # another width, another height: the window's minimum follows
