"""Help-desk tools over the main view-model: presets, report, history, profiles, defaults, BBR2 warning."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.domain.defaults import DefaultsEntry, lookup, parse_defaults
from app.domain.errors import ValidationError
from app.domain.interactions import BBR2_WARNING, bbr2_large_mtu_risk
from app.domain.model import Change, Family, LoopbackSettings, MachineState
from app.domain.presets import PRESETS, Preset, PresetId, preset
from app.domain.profile_file import MAX_BYTES, dump_profile, load_profile
from app.services.machine_info import MachineInfo, MachineInfoSource
from app.storage.files import write_atomic
from app.storage.history import HistoryEntry
from app.usecases.planning import plan_revert, revertible
from app.usecases.report import ReportInput, build_report
from app.viewmodels.main_vm import MainViewModel
from app.viewmodels.messages import Level, Message


@dataclass(frozen=True)
class KnownProblem:
    """A known-interaction warning with its one-click pending fix."""

    text: str
    fix_label: str
    fix: dict[Family, LoopbackSettings]


class HelpDeskViewModel(QObject):
    warningsChanged = Signal()
    infoChanged = Signal()

    def __init__(
        self,
        main: MainViewModel,
        machine_info: MachineInfoSource,
        defaults_text: str | None,
        *,
        simulated: bool,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.main = main
        self.machine_info = machine_info
        self.scope = "simulated" if simulated else "windows"
        self._defaults: list[DefaultsEntry] = []
        self.defaults_problem = ""
        if defaults_text is None:
            self.defaults_problem = "The Windows defaults table is missing from this installation."
        else:
            try:
                self._defaults = parse_defaults(defaults_text)
            except ValidationError as exc:
                self.defaults_problem = f"The Windows defaults table is damaged: {exc}"
        self._info: MachineInfo | None = None
        self._warnings: list[KnownProblem] = []
        self._providers: dict[str, str] = {}
        main.changed.connect(self.refresh_warnings)

    @property
    def presets(self) -> tuple[Preset, ...]:
        return PRESETS

    @property
    def info(self) -> MachineInfo | None:
        return self._info

    @property
    def warnings(self) -> list[KnownProblem]:
        return list(self._warnings)

    # --- presets, defaults, history -----------------------------------------------------------------------
    def _refuse_while_busy(self) -> bool:
        if self.main.busy:
            self.main.message.emit(Message(Level.INFO, f"Please wait: {self.main.busy_text}"))
            return True
        return False

    def apply_preset(self, preset_id: PresetId | str, families: tuple[Family, ...] = tuple(Family)) -> bool:
        """Fill pending edits with a preset; nothing is applied. False when no family can take it."""
        if self._refuse_while_busy():
            return False
        chosen = preset(preset_id)
        filled = False
        for family in families:
            view = self.main.family_view(family)
            if view.editable and view.machine is not None:
                self.main.set_pending(family, chosen.settings(view.machine, os.cpu_count()))
                filled = True
        if filled:
            text = f"\u201c{chosen.label}\u201d is filled in: review it, then Apply."
            self.main.message.emit(Message(Level.INFO, text))
        else:
            self.main.message.emit(
                Message(
                    Level.WARNING, "No preset can be filled in: the current values could not be read (see the tabs)."
                )
            )
        return filled

    def windows_defaults(self) -> DefaultsEntry | None:
        """The table's entry for this machine's build, or None (unknown build, or no build known)."""
        build = self._info.build if self._info else None
        return lookup(self._defaults, self.scope, build) if build is not None else None

    def restore_windows_defaults(self, families: tuple[Family, ...]) -> bool:
        if not self.main.can_start_from_machine_values(families, "restoring"):
            return False
        entry = self.windows_defaults()
        if entry is None:
            self.main.message.emit(
                Message(
                    Level.WARNING,
                    "The Windows defaults for this build are not known; use the "
                    "original values of this machine instead.",
                )
            )
            return False
        for family in families:
            self.main.set_pending(family, entry.settings)
        return self.main.has_pending

    async def history(self) -> tuple[list[HistoryEntry], list[str]]:
        """The history, newest first, read off the GUI thread."""
        entries, notices = await asyncio.get_running_loop().run_in_executor(None, self.main.history.load)
        return list(reversed(entries)), notices

    def revert_entry(self, entry: HistoryEntry) -> bool:
        """Fill pending edits with the values an entry replaced (its change's inverse); False when impossible."""
        if not revertible(entry):
            self.main.message.emit(Message(Level.INFO, "Only a kept change can be reverted; this one did not stay."))
            return False
        families = tuple(fc.family for fc in entry.requested.families)
        if not self.main.can_start_from_machine_values(families, "reverting a change"):
            return False
        for family in families:
            view = self.main.family_view(family)
            if view.machine is None or not view.editable or self.main.state is None:
                self.main.message.emit(Message(Level.WARNING, f"{family.label} cannot be changed right now."))
                return False
        assert self.main.state is not None
        for fc in plan_revert(entry, self.main.state).families:  # the one decision, shared with the command line
            self.main.set_pending(fc.family, fc.after)
        if not self.main.has_pending:
            self.main.message.emit(Message(Level.INFO, "The machine already has the values from before that change."))
            return False
        return True

    # --- profiles -------------------------------------------------------------------------------------------
    async def export_profile(self, path: Path, *, pending: bool) -> bool:
        """Write the current (or pending) values to ``path``; failures become messages."""
        state = self.main.state
        if state is None:
            return False
        values = (
            {f: v.pending for f in Family if (v := self.main.family_view(f)).pending is not None}
            if pending
            else state.settings()
        )
        if not values:
            self.main.message.emit(Message(Level.WARNING, "There are no readable values to export."))
            return False
        text = dump_profile(values, note="exported by Loopback Tuner")
        try:
            await asyncio.get_running_loop().run_in_executor(None, write_atomic, path, text)
        except OSError as exc:
            self.main.message.emit(Message(Level.ERROR, f"The profile could not be saved: {exc.strerror or exc}"))
            return False
        self.main.message.emit(
            Message(Level.SUCCESS, f"Saved the {'pending' if pending else 'current'} values to {path.name}.")
        )
        return True

    async def import_profile(self, path: Path) -> bool:
        """Read a profile into pending edits (nothing is applied); a bad file changes nothing."""
        if self._refuse_while_busy():
            return False

        def read() -> bytes:
            with open(path, "rb") as handle:
                return handle.read(MAX_BYTES + 1)

        try:
            raw = await asyncio.get_running_loop().run_in_executor(None, read)
            values = load_profile(raw)
        except OSError as exc:
            self.main.message.emit(Message(Level.ERROR, f"{path.name} could not be read: {exc.strerror or exc}"))
            return False
        except ValidationError as exc:
            self.main.message.emit(Message(Level.ERROR, f"{path.name} was not imported: {exc}. Nothing was changed."))
            return False
        if self._refuse_while_busy():  # something started while the file was read
            return False
        unreadable = [f.label for f in values if not self.main.family_view(f).editable]
        if unreadable:
            self.main.message.emit(
                Message(
                    Level.WARNING,
                    f"{path.name} was not imported: {' and '.join(unreadable)} cannot be changed right now.",
                )
            )
            return False
        for family, settings in values.items():
            self.main.set_pending(family, settings)
        if not self.main.has_pending:
            self.main.message.emit(Message(Level.INFO, f"{path.name} matches the machine's values already."))
            return False
        self.main.message.emit(Message(Level.INFO, f"{path.name} is filled in as pending edits: review, then Apply."))
        return True

    # --- machine facts, report, warnings --------------------------------------------------------------------
    async def load_info(self) -> None:
        self._info = await self.machine_info.info()
        self.infoChanged.emit()

    async def check_interactions(self) -> None:
        """Read the TCP congestion provider in the background and warn about BBR2 + large MTU."""
        reading = await self.machine_info.congestion()
        self._providers = reading.providers
        self.refresh_warnings()

    def refresh_warnings(self) -> None:
        state = self.main.state
        build = self._info.build if self._info else None
        risky = bbr2_large_mtu_risk(build, self._providers, state.settings() if state else {})
        warnings = []
        if risky:
            fix = {f: s for f in Family if (s := self._mtu_off(f)) is not None}
            warnings.append(KnownProblem(BBR2_WARNING, "Turn large MTU off for both families", fix))
        if warnings != self._warnings:
            self._warnings = warnings
            self.warningsChanged.emit()

    def _mtu_off(self, family: Family) -> LoopbackSettings | None:
        view = self.main.family_view(family)
        base = view.pending or view.machine
        return None if base is None else LoopbackSettings(base.execution_mode, base.worker_count, False)

    def apply_fix(self, warning: KnownProblem) -> None:
        for family, settings in warning.fix.items():
            self.main.set_pending(family, settings)

    async def report(self, *, markdown: bool = False) -> str:
        if self._info is None:
            await self.load_info()
        assert self._info is not None
        state = self.main.state
        entries, _ = await asyncio.get_running_loop().run_in_executor(None, self.main.history.load)
        return build_report(
            ReportInput(
                self._info,
                state or MachineState(),
                self.main.pending_change() if state else Change(),
                entries,
                [w.text for w in self._warnings],
            ),
            markdown=markdown,
        )
