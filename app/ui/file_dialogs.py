"""The window's file choosers: opened without exec() (a coroutine may be running), deleted when closed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QWidget


def choose_file_to_save(
    parent: QWidget, title: str, suggested: Path, name_filter: str, chosen: Callable[[str], object]
) -> None:
    """Ask where to save a JSON file; ``chosen`` gets the path the user picked (nothing when they cancel)."""
    dialog = QFileDialog(parent, title, str(suggested), name_filter)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDefaultSuffix("json")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.fileSelected.connect(chosen)
    dialog.open()
