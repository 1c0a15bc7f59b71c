"""The narrow view of the main view-model that the help-desk view-models work through: read the families,
fill in pending edits, post a message. They never reach the trial, the runner or the main view-model's state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from app.domain.model import Change, Family, LoopbackSettings, MachineState
from app.viewmodels.messages import Level, Message

if TYPE_CHECKING:
    from app.viewmodels.main_vm import FamilyView


class PendingEditor(Protocol):
    @property
    def busy(self) -> bool: ...

    @property
    def busy_text(self) -> str: ...

    @property
    def state(self) -> MachineState | None: ...

    @property
    def has_pending(self) -> bool: ...

    def family_view(self, family: Family) -> FamilyView: ...

    def pending_change(self) -> Change: ...

    def set_pending(self, family: Family, settings: LoopbackSettings) -> None: ...

    def can_start_from_machine_values(self, families: tuple[Family, ...], what: str) -> bool: ...

    def post(self, message: Message) -> None: ...


def refuse_while_busy(editor: PendingEditor) -> bool:
    """True (and says so) while the main view-model is busy: no edit may be filled in then."""
    if editor.busy:
        editor.post(Message(Level.INFO, f"Please wait: {editor.busy_text}"))
        return True
    return False
