"""The history of changes as the window shows it, and *Revert this change* as pending edits."""

from __future__ import annotations

from PySide6.QtCore import QObject

from app.storage.history import History, HistoryEntry
from app.viewmodels.editing import PendingEditor
from app.viewmodels.messages import Level, Message
from app.viewmodels.tasks import in_thread


class HistoryViewModel(QObject):
    def __init__(self, editor: PendingEditor, history: History, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.editor, self.history = editor, history

    async def entries(self) -> tuple[list[HistoryEntry], list[str]]:
        """The history, newest first, read off the GUI thread."""
        entries, notices = await in_thread(self.history.load)
        return list(reversed(entries)), notices

    def revert_entry(self, entry: HistoryEntry) -> bool:
        """Fill pending edits with the values an entry replaced (its change's inverse); False when impossible."""
        from app.usecases.planning import plan_revert, revertible  # with the first revert (issue 16)

        if not revertible(entry):
            self.editor.post(Message(Level.INFO, "Only a kept change can be reverted; this one did not stay."))
            return False
        families = tuple(fc.family for fc in entry.requested.families)
        if not self.editor.can_start_from_machine_values(families, "reverting a change"):
            return False
        state = self.editor.state
        for family in families:
            view = self.editor.family_view(family)
            if view.machine is None or not view.editable or state is None:
                self.editor.post(Message(Level.WARNING, f"{family.label} cannot be changed right now."))
                return False
        assert state is not None
        for fc in plan_revert(entry, state).families:  # the one decision, shared with the command line
            self.editor.set_pending(fc.family, fc.after)
        if not self.editor.has_pending:
            self.editor.post(Message(Level.INFO, "The machine already has the values from before that change."))
            return False
        return True
