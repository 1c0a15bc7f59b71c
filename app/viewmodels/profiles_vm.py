"""Profile files as the window uses them: export the current or pending values, import into pending edits."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject

from app.domain.model import Family
from app.viewmodels.editing import PendingEditor, refuse_while_busy
from app.viewmodels.messages import Level, Message
from app.viewmodels.tasks import in_thread


class ProfilesViewModel(QObject):
    def __init__(self, editor: PendingEditor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.editor = editor

    async def export_profile(self, path: Path, *, pending: bool) -> bool:
        """Write the current (or pending) values to ``path``; failures become messages."""
        from app.usecases.helpdesk import ProfileError, write_profile  # when first used (issue 16)

        state = self.editor.state
        if state is None:
            return False
        values = (
            {f: v.pending for f in Family if (v := self.editor.family_view(f)).pending is not None}
            if pending
            else state.settings()
        )
        if not values:
            self.editor.post(Message(Level.WARNING, "There are no readable values to export."))
            return False
        try:
            await in_thread(write_profile, path, values, "exported by Loopback Tuner")
        except ProfileError as exc:
            self.editor.post(Message(Level.ERROR, f"The profile could not be saved: {exc}"))
            return False
        what = "pending" if pending else "current"
        self.editor.post(Message(Level.SUCCESS, f"Saved the {what} values to {path.name}."))
        return True

    async def import_profile(self, path: Path) -> bool:
        """Read a profile into pending edits (nothing is applied); a bad file changes nothing."""
        from app.usecases.helpdesk import ProfileError, read_profile  # when first used (issue 16)

        if refuse_while_busy(self.editor):
            return False
        try:
            values = await in_thread(read_profile, path)
        except ProfileError as exc:
            self.editor.post(Message(Level.ERROR, f"{exc}. Nothing was changed."))
            return False
        if refuse_while_busy(self.editor):  # something started while the file was read
            return False
        unreadable = [f.label for f in values if not self.editor.family_view(f).editable]
        if unreadable:
            self.editor.post(
                Message(
                    Level.WARNING,
                    f"{path.name} was not imported: {' and '.join(unreadable)} cannot be changed right now.",
                )
            )
            return False
        for family, settings in values.items():
            self.editor.set_pending(family, settings)
        if not self.editor.has_pending:
            self.editor.post(Message(Level.INFO, f"{path.name} matches the machine's values already."))
            return False
        self.editor.post(Message(Level.INFO, f"{path.name} is filled in as pending edits: review, then Apply."))
        return True
