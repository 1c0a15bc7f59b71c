"""The history of transactions, with "Revert this change" for a kept one (through the normal apply flow)."""

from __future__ import annotations

import time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.history import HistoryEntry

_REASONS = {  # the helper's own words, for people
    "asked": "reverted on request",
    "deadline": "no decision before the deadline",
    "channel-dropped": "the app closed during the trial",
    "bad-message": "the helper received something it did not accept",
    "helper-error": "the helper hit an unexpected error and put the previous values back",
}


def _when(entry: HistoryEntry) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.started))


def _outcome(entry: HistoryEntry) -> str:
    return entry.outcome or "unfinished"


def _details(entry: HistoryEntry) -> str:
    return "; ".join(entry.problems) if entry.stayed else _REASONS.get(entry.reason, entry.reason)


def _full_text(entry: HistoryEntry) -> str:
    """Every column of ``entry`` on lines of its own, for the detail pane."""
    lines = [f"{_when(entry)}: {_outcome(entry)}", *(f"\u2022 {line}" for line in entry.describe())]
    details = _details(entry)
    return "\n".join([*lines, details] if details else lines)


class HistoryDialog(QDialog):
    revertRequested = Signal(object)  # HistoryEntry

    def __init__(self, entries: list[HistoryEntry], notices: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("History of changes")
        self.entries = entries
        intro = QLabel(
            "Every change made with Loopback Tuner on this computer, newest first."
            + ("".join(f"<br><i>{n}</i>" for n in notices))
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(len(entries), 4)
        self.table.setAccessibleName("History of changes")
        self.table.setHorizontalHeaderLabels(["When", "Outcome", "Change", "Details"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for row, entry in enumerate(entries):
            for column, text in enumerate(
                (_when(entry), _outcome(entry), "; ".join(entry.describe()), _details(entry))
            ):
                self.table.setItem(row, column, QTableWidgetItem(text))  # a cut cell is whole in the pane below
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(1)
        self.detail = QPlainTextEdit()  # the selected change in full, wrapped: nothing is cut here
        self.detail.setReadOnly(True)
        self.detail.setAccessibleName("The selected change in full")
        self.detail.setPlaceholderText("Select a change to read it in full here.")
        self.detail.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.detail.setMaximumHeight(self.detail.fontMetrics().lineSpacing() * 7)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        self.close_button.setDefault(True)
        self.revert_button = buttons.addButton("&Revert this change\u2026", QDialogButtonBox.ButtonRole.ActionRole)
        self.revert_button.setEnabled(False)
        self.revert_button.setAccessibleDescription(
            "Fills in the values from before the selected change, then asks to apply them with the usual trial"
        )
        self.revert_button.clicked.connect(self._revert)
        buttons.rejected.connect(self.reject)
        self.table.itemSelectionChanged.connect(self._selection)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        layout.addWidget(buttons)
        self.resize(760, 460)
        self.close_button.setFocus()
        if not entries:
            self.table.setVisible(False)
            self.detail.setVisible(False)
            intro.setText("No changes have been made with Loopback Tuner on this computer yet.")

    def selected(self) -> HistoryEntry | None:
        rows = {index.row() for index in self.table.selectedIndexes()}
        return self.entries[rows.pop()] if len(rows) == 1 else None

    def _selection(self) -> None:
        entry = self.selected()
        self.revert_button.setEnabled(entry is not None and entry.stayed)
        self.detail.setPlainText(_full_text(entry) if entry is not None else "")

    def _revert(self) -> None:
        entry = self.selected()
        if entry is not None:
            self.revertRequested.emit(entry)
            self.accept()
