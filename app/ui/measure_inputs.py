"""The Measure dialog's inputs, shared by its two tabs (loaded with the dialog, never at start-up)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QDoubleSpinBox, QWidget

from app.domain.measurements import SECONDS_PER_TEST
from app.domain.model import Family
from app.ui.inputs import FocusWheelComboBox

FAMILY_CHOICES: tuple[tuple[str, tuple[Family, ...]], ...] = (
    ("IPv4 and IPv6", (Family.IPV4, Family.IPV6)),
    ("IPv4 (127.0.0.1)", (Family.IPV4,)),
    ("IPv6 (::1)", (Family.IPV6,)),
)


def family_choice() -> FocusWheelComboBox:
    """Which families a measurement takes (both, IPv4 or IPv6); ``currentData()`` is the tuple of families."""
    box = FocusWheelComboBox()
    for text, families in FAMILY_CHOICES:
        box.addItem(text, families)
    return box


class SecondsPerTestBox(QDoubleSpinBox):
    """Seconds per test of a measurement (0.1 to 60, default 1); the wheel changes it only while it has focus."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(*SECONDS_PER_TEST)
        self.setSingleStep(0.5)
        self.setDecimals(1)
        self.setValue(1.0)
        self.setSuffix(" s")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()
