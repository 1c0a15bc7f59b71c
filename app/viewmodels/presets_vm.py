"""Presets and Windows' defaults as pending edits (nothing is applied): the window's side of the shared rules."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from app.domain.model import Family, LoopbackSettings
from app.domain.presets import PRESETS, Preset, PresetId
from app.viewmodels.editing import PendingEditor, refuse_while_busy
from app.viewmodels.facts_vm import MachineFactsViewModel
from app.viewmodels.messages import Level, Message

if TYPE_CHECKING:  # the help-desk use cases and the defaults table are loaded when first used (issue 16)
    from app.domain.defaults import DefaultsEntry
    from app.usecases.helpdesk import DefaultsTable


class PresetsViewModel(QObject):
    def __init__(
        self,
        editor: PendingEditor,
        facts: MachineFactsViewModel,
        defaults: Callable[[], DefaultsTable],
        *,
        simulated: bool,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.editor, self.facts, self.simulated = editor, facts, simulated
        self._load_defaults = defaults  # the Windows defaults table, read and parsed when first needed
        self.note = ""  # what the last preset did with large MTU, and why (the pending list shows it)
        self._filled: dict[Family, LoopbackSettings] = {}

    @cached_property
    def defaults(self) -> DefaultsTable:
        """The Windows defaults table (loaded once, by the first restore or preset that needs it)."""
        return self._load_defaults()

    @property
    def presets(self) -> tuple[Preset, ...]:
        return PRESETS

    def readable_families(self) -> tuple[Family, ...]:
        """The families a preset or a restore can start from (their values were read)."""
        return tuple(f for f in Family if self.editor.family_view(f).machine is not None)

    @property
    def defaults_problem(self) -> str:
        """Why the table cannot be used at all ("" when it can; an unknown build is not a problem of the table)."""
        return self.defaults.detail

    def apply_preset(self, preset_id: PresetId | str, families: tuple[Family, ...] = tuple(Family)) -> bool:
        """Fill pending edits with a preset; nothing is applied. False when no family can take it."""
        if refuse_while_busy(self.editor):
            return False
        current = {f: view.machine for f in families if (view := self.editor.family_view(f)).editable and view.machine}
        if not current:
            self.editor.post(
                Message(
                    Level.WARNING, "No preset can be filled in: the current values could not be read (see the tabs)."
                )
            )
            return False
        from app.usecases.helpdesk import fill_preset  # with the first preset (issue 16)

        plan = fill_preset(preset_id, current, self.facts.info, self.facts.congestion)
        self.note, self._filled = plan.large_mtu.text, dict(plan.targets)  # before the edits: the window redraws
        for family, settings in plan.targets.items():
            self.editor.set_pending(family, settings)
        label = next(p.label for p in PRESETS if p.id is plan.preset)
        self.editor.post(Message(Level.INFO, f"\u201c{label}\u201d is filled in: review it, then Apply. {self.note}"))
        return True

    def pending_note(self) -> str:
        """Why the last preset set large MTU as it did, while its values are still pending ("" otherwise)."""
        pending = {fc.family: fc.after for fc in self.editor.pending_change().families}
        still = any(pending.get(f) == settings for f, settings in self._filled.items())
        return self.note if still else ""

    def windows_defaults(self) -> DefaultsEntry | None:
        """The table's entry for this machine's build, or None (unknown build, no build known, no table)."""
        from app.usecases.helpdesk import DefaultsUnavailableError

        info = self.facts.info
        try:
            return self.defaults.for_machine(info.build if info else None, simulated=self.simulated)
        except DefaultsUnavailableError:
            return None

    def restore_windows_defaults(self, families: tuple[Family, ...]) -> bool:
        if not self.editor.can_start_from_machine_values(families, "restoring"):
            return False
        from app.usecases.helpdesk import DefaultsUnavailableError

        info = self.facts.info
        try:
            entry = self.defaults.for_machine(info.build if info else None, simulated=self.simulated)
        except DefaultsUnavailableError as exc:
            self.editor.post(Message(Level.WARNING, str(exc)))
            return False
        for family in families:
            self.editor.set_pending(family, entry.settings)
        return self.editor.has_pending
