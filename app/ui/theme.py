"""Follows the system's light or dark palette, or forces one (for screenshots and preference)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

STYLESHEET = """
QLabel[role="hint"] { color: palette(placeholder-text); }
QLabel[role="note"] { color: palette(placeholder-text); font-style: italic; }
#simBanner { background: #fff4ce; color: #3b2f00; border: 1px solid #e0c060; border-radius: 4px; }
#simBanner QLabel, #simBanner QCheckBox { color: #3b2f00; }
#warningBanner { background: #fde7e9; border: 1px solid #c42b1c; border-radius: 4px; }
#warningBanner QLabel { color: #3b0a06; }
#failure { border: 1px solid #c42b1c; border-radius: 4px; }
#failureTitle { font-weight: bold; color: #c42b1c; }
#unsaved { color: #9d5d00; }
"""
DARK_EXTRA = """
#simBanner { background: #4a3b00; color: #fff4ce; border-color: #8a6d00; }
#simBanner QLabel, #simBanner QCheckBox { color: #fff4ce; }
#failureTitle { color: #ff99a4; }
#warningBanner { background: #442726; border-color: #c42b1c; }
#warningBanner QLabel { color: #ffdfe0; }
#unsaved { color: #fce100; }
"""


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
    app.setStyleSheet(STYLESHEET + (DARK_EXTRA if dark else ""))
    return dark
