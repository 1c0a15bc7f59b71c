"""The banner that makes simulated mode unmistakable, with the simulated machine's profile controls."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.simulator.profile import KNOWN_BUILDS, SimProfile, UacAnswer
from app.ui.inputs import FocusWheelComboBox, FocusWheelSpinBox, WrappedLabel
from app.ui.slots import async_slot
from app.viewmodels.simulation_vm import SimulationViewModel

LANGUAGES = (("en-US", "English (en-US)"), ("zh-CN", "Chinese, Simplified (zh-CN)"))


class SimulationBanner(QFrame):
    """Says nothing on this computer changes, and lets the user pick the simulated machine."""

    def __init__(self, vm: SimulationViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        self.setObjectName("simBanner")
        self.setAccessibleName("Simulated machine")
        title = WrappedLabel(
            "<b>Simulated Windows machine.</b> Loopback Tuner is driving a simulation: nothing on this "
            "computer changes."
        )
        self.build = FocusWheelComboBox()  # scrolling the window past it must not change the build
        for info in KNOWN_BUILDS:
            self.build.addItem(f"{info.name} ({info.number})", info.number)
        self.language = FocusWheelComboBox()
        for tag, name in LANGUAGES:
            self.language.addItem(name, tag)
        self.elevated = QCheckBox("Run as ad&ministrator")
        self.latency = FocusWheelSpinBox()
        self.latency.setRange(0, 5000)
        self.latency.setSingleStep(100)
        self.latency.setSuffix(" ms")
        self.uac = FocusWheelComboBox()
        self.uac.addItem("UAC prompt: approve", UacAnswer.APPROVE.value)
        self.uac.addItem("UAC prompt: cancel", UacAnswer.CANCEL.value)
        self.reboot = QPushButton("Simulate reb&oot")
        described: tuple[tuple[QWidget, str, str], ...] = (
            (self.build, "Simulated Windows build", "Which Windows build the simulation behaves like"),
            (self.language, "Simulated display language", "The language netsh answers in"),
            (self.elevated, "Simulated session runs as administrator", "When on, no UAC prompt is needed"),
            (self.latency, "Simulated netsh delay", "Makes every simulated netsh call this much slower"),
            (self.uac, "Simulated UAC answer", "What the simulated administrator prompt answers"),
            (self.reboot, "Simulate a reboot", "Active-only values are lost; saved values take effect"),
        )
        for widget, name, text in described:
            widget.setAccessibleName(name)
            widget.setAccessibleDescription(text)
            widget.setToolTip(text)
        row, row2 = QHBoxLayout(), QHBoxLayout()
        build_label = QLabel("&Build:")
        build_label.setBuddy(self.build)
        lang_label = QLabel("Lan&guage:")
        lang_label.setBuddy(self.language)
        delay_label = QLabel("netsh d&elay:")
        delay_label.setBuddy(self.latency)
        for item in (build_label, self.build, lang_label, self.language):
            row.addWidget(item)
        row.addStretch(1)
        for second in (self.elevated, delay_label, self.latency, self.uac):
            row2.addWidget(second)
        row2.addStretch(1)
        row2.addWidget(self.reboot)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(row)
        layout.addLayout(row2)
        self.show_view(vm.profile)
        vm.profileChanged.connect(self.show_view)
        self.build.activated.connect(self._build_chosen)
        self.language.activated.connect(self._language_chosen)
        self.elevated.toggled.connect(self._elevated_toggled)
        self.latency.editingFinished.connect(self._latency_set)
        self.uac.activated.connect(self._uac_chosen)
        self.reboot.clicked.connect(self._reboot)

    def show_view(self, profile: SimProfile) -> None:
        widgets = (self.build, self.language, self.elevated, self.latency, self.uac)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            index = self.build.findData(profile.build)
            if index < 0:
                self.build.addItem(f"Build {profile.build}", profile.build)
                index = self.build.count() - 1
            self.build.setCurrentIndex(index)
            self.language.setCurrentIndex(max(0, self.language.findData(profile.language)))
            self.elevated.setChecked(profile.elevated)
            self.latency.setValue(profile.latency_ms)
            self.uac.setCurrentIndex(max(0, self.uac.findData(profile.uac.value)))
        finally:
            for widget in widgets:
                widget.blockSignals(False)

    @async_slot(int)
    async def _build_chosen(self, _index: int) -> None:
        await self.vm.update(build=self.build.currentData())

    @async_slot(int)
    async def _language_chosen(self, _index: int) -> None:
        await self.vm.update(language=self.language.currentData())

    @async_slot(bool)
    async def _elevated_toggled(self, on: bool) -> None:
        await self.vm.update(elevated=on)

    @async_slot()
    async def _latency_set(self) -> None:
        await self.vm.update(latency_ms=self.latency.value())

    @async_slot(int)
    async def _uac_chosen(self, _index: int) -> None:
        await self.vm.update(uac=self.uac.currentData())

    @async_slot()
    async def _reboot(self) -> None:
        await self.vm.reboot()
