"""The simulated machine's banner: its profile (build, language, elevation, latency, UAC answer) and reboot."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QObject, Signal

from app.domain.errors import ValidationError
from app.simulator.machine import SimulatedMachine
from app.simulator.profile import SimProfile, UacAnswer
from app.simulator.store import SimStateFile
from app.viewmodels.tasks import in_thread


class SimulationViewModel(QObject):
    """Reads and writes the profile off the GUI thread; ``machineChanged`` asks the window to re-read."""

    profileChanged = Signal(object)  # SimProfile
    machineChanged = Signal()
    failed = Signal(str)

    def __init__(self, state: SimStateFile, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._profile = SimProfile()

    @property
    def profile(self) -> SimProfile:
        return self._profile

    @property
    def path_text(self) -> str:
        return str(self.state.path)

    async def load(self) -> None:
        self.take_loaded(await in_thread(self.state.load))

    def take_loaded(self, machine: SimulatedMachine) -> None:
        """Show the machine ``state.load()`` returned (it was loaded off the GUI thread) and say what the load
        noticed."""
        self._set(machine.profile)
        for notice in self.state.notices:
            self.failed.emit(notice)
        self.state.notices.clear()

    def _set(self, profile: SimProfile) -> None:
        if profile != self._profile:
            self._profile = profile
            self.profileChanged.emit(profile)

    async def update(self, **fields: object) -> None:
        """Change profile fields (build=..., language=..., elevated=..., latency_ms=..., uac=...)."""
        if "uac" in fields and isinstance(fields["uac"], str):
            fields["uac"] = UacAnswer(fields["uac"])
        # Start from the file, not from what was shown: the command line may have changed other fields since.
        current = (await in_thread(self.state.load)).profile
        self._set(current)
        try:
            profile = dataclasses.replace(current, **fields)  # type: ignore[arg-type]
        except (ValidationError, TypeError, ValueError) as exc:
            self.failed.emit(f"That simulated profile is not valid: {exc}")
            return
        if profile == self._profile:
            return
        await in_thread(self.state.set_profile, profile)
        self._set(profile)
        self.machineChanged.emit()

    async def reboot(self) -> None:
        await in_thread(self.state.reboot)
        self.machineChanged.emit()
