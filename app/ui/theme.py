"""Follows the system's light or dark palette, or forces one (for screenshots and preference)."""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QStyleFactory, QWidget

from app.ui.contrast import ContrastStyle

# The look of a few widgets, applied by polish() to each of them. An application-wide style sheet would route every
# widget through QStyleSheetStyle, which doubles the window's construction time (15 ms at start-up; make bench).
# Dim text (labels with the property role = "hint" or "note") takes the palette's placeholder colour instead.
_SHEETS: dict[str, tuple[str, str]] = {  # objectName: (light, dark)
    "simBanner": (
        "#simBanner { background: #fff4ce; color: #3b2f00; border: 1px solid #e0c060; border-radius: 4px; }"
        " QLabel, QCheckBox { color: #3b2f00; }",
        "#simBanner { background: #4a3b00; color: #fff4ce; border: 1px solid #8a6d00; border-radius: 4px; }"
        " QLabel, QCheckBox { color: #fff4ce; }",
    ),
    "warningBanner": (
        "#warningBanner { background: #fde7e9; border: 1px solid #c42b1c; border-radius: 4px; }"
        " QLabel { color: #3b0a06; }",
        "#warningBanner { background: #442726; border: 1px solid #c42b1c; border-radius: 4px; }"
        " QLabel { color: #ffdfe0; }",
    ),
    "failure": ("#failure { border: 1px solid #c42b1c; border-radius: 4px; }",) * 2,
    "failureTitle": ("font-weight: bold; color: #c42b1c;", "font-weight: bold; color: #ff99a4;"),
    "unsaved": ("color: #9d5d00;", "color: #fce100;"),
    "inputError": ("color: #c42b1c;", "color: #ff99a4;"),
}


def _dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor(30, 30, 30), QColor(43, 43, 43), QColor(235, 235, 235)
    for role, color in (
        (QPalette.ColorRole.Window, window),
        (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base),
        (QPalette.ColorRole.AlternateBase, window),
        (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, QColor(55, 55, 55)),
        (QPalette.ColorRole.ButtonText, text),
        (QPalette.ColorRole.ToolTipBase, base),
        (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.Highlight, QColor(0, 120, 212)),
        (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255)),
        (QPalette.ColorRole.Link, QColor(96, 205, 255)),
        (QPalette.ColorRole.PlaceholderText, QColor(170, 170, 170)),
    ):
        p.setColor(role, color)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 120, 120))
    return p


def apply_theme(app: QApplication, mode: str = "system") -> bool:
    """Apply ``mode`` ("system", "light" or "dark"); returns True when the result is dark."""
    dark = mode == "dark" or (mode == "system" and QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark)
    if mode != "system" or dark:
        app.setStyle("Fusion")
        app.setPalette(_dark_palette() if dark else app.style().standardPalette())
    if app.style().name().lower() == "fusion":  # its indicators are too faint: outline them (app.ui.contrast)
        app.setStyle(ContrastStyle(QStyleFactory.create("Fusion")))
    return dark


def set_role(label: QLabel, role: Literal["hint", "note"]) -> QLabel:
    """Mark ``label`` as a "hint" (dimmed: the palette's placeholder colour) or a "note" (dimmed, in italics), and
    style it now (no search for such labels afterwards: see polish)."""
    label.setProperty("role", role)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    if role == "note":
        font = label.font()
        font.setItalic(True)
        label.setFont(font)
    return label


def polish(root: QWidget) -> None:
    """Give the named widgets in ``root`` (a window or dialog, once built) their look for the palette in use.

    Found by name: a search by class would wrap every widget Qt made inside them (scroll bars, tab bars, line edits)
    in a Python object, each new class building its enums (about 7 ms at the window's start; make bench)."""
    dark = root.palette().color(QPalette.ColorRole.Window).lightness() < 128
    for name, sheets in _SHEETS.items():
        for widget in (*([root] if root.objectName() == name else []), *root.findChildren(QWidget, name)):
            widget.setStyleSheet(sheets[dark])
