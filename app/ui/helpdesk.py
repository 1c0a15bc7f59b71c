"""Help-desk widgets: the preset buttons and the known-interaction warning banner."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.domain.model import Family
from app.domain.presets import PresetId
from app.ui.inputs import WrappedLabel
from app.ui.theme import set_role
from app.viewmodels.facts_vm import MachineFactsViewModel
from app.viewmodels.presets_vm import PresetsViewModel

BOTH_NOTE = "fill in pending edits for both families; nothing changes until Apply"


class PresetBar(QWidget):
    """One click fills in a preset's values as pending edits for both families (nothing is applied)."""

    def __init__(self, vm: PresetsViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        self.buttons: dict[PresetId, QPushButton] = {}
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("<b>Presets:</b>"))
        mnemonics = {
            PresetId.LATENCY: "Favor late&ncy",
            PresetId.THROUGHPUT: "Favor thro&ughput",
            PresetId.BALANCED: "Balanced",
        }
        for item in vm.presets:
            button = QPushButton(mnemonics[item.id])
            button.setToolTip(item.why)
            button.setAccessibleName(f"Preset: {item.label}")
            button.setAccessibleDescription(item.why)
            button.setProperty("preset", item.id.value)
            button.clicked.connect(self._chosen)
            self.buttons[item.id] = button
            row.addWidget(button)
        self.note = set_role(QLabel(BOTH_NOTE), "hint")
        row.addWidget(self.note)
        row.addStretch(1)

    def _chosen(self) -> None:
        preset_id = self.sender().property("preset")
        self.vm.apply_preset(PresetId(preset_id))

    def set_busy(self, busy: bool) -> None:
        self.show_state(tuple(Family), busy=busy)

    def show_state(self, readable: tuple[Family, ...], *, busy: bool) -> None:
        """Enabled for the families that were read; a family that cannot be read is named with what to do next."""
        for button in self.buttons.values():
            button.setEnabled(not busy and bool(readable))
        unreadable = [f.label for f in Family if f not in readable]
        if not unreadable:
            self.note.setText(BOTH_NOTE)
        elif readable:
            only = " and ".join(f.label for f in readable)
            # the tab says why and offers Save diagnostics; this line stays short (it sets the window's width)
            self.note.setText(f"for {only} only: {unreadable[0]} cannot be read (see its tab)")
        else:
            self.note.setText("no family could be read (see the tabs)")


class WarningBanner(QFrame):
    """Shows known-interaction warnings, each with a one-click pending fix."""

    def __init__(self, vm: MachineFactsViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        self.setObjectName("warningBanner")
        self.setAccessibleName("Warning")
        self.text = WrappedLabel()  # up to three lines: the window makes room for them
        self.fix_button = QPushButton()
        self.fix_button.setAccessibleName("Fill in the suggested fix")
        self.fix_button.setAccessibleDescription("Fills in the fix as pending edits; nothing changes until Apply")
        self.fix_button.clicked.connect(self._fix)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.fix_button)
        layout.addLayout(row)
        vm.warningsChanged.connect(self.show_view)
        self.show_view()

    def show_view(self) -> None:
        warnings = self.vm.warnings
        self.setVisible(bool(warnings))
        if warnings:
            first = warnings[0]
            self.text.setText(f"<b>Known problem:</b> {first.text}")
            self.fix_button.setText(first.fix_label + " (pending)")
            self.fix_button.setAccessibleName(first.fix_label)

    def _fix(self) -> None:
        warnings = self.vm.warnings
        if warnings:
            self.vm.apply_fix(warnings[0])
