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
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.started))
            details = _REASONS.get(entry.reason, entry.reason) if entry.outcome != "kept" else "; ".join(entry.problems)
            for column, text in enumerate(
                (when, entry.outcome or "unfinished", "; ".join(entry.requested.describe()), details)
            ):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
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
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(760, 360)
        if not entries:
            self.table.setVisible(False)
            intro.setText("No changes have been made with Loopback Tuner on this computer yet.")

    def selected(self) -> HistoryEntry | None:
        rows = {index.row() for index in self.table.selectedIndexes()}
        return self.entries[rows.pop()] if len(rows) == 1 else None

    def _selection(self) -> None:
        entry = self.selected()
        self.revert_button.setEnabled(entry is not None and entry.outcome == "kept")

    def _revert(self) -> None:
        entry = self.selected()
        if entry is not None:
            self.revertRequested.emit(entry)
            self.accept()
