"""Assembles the window: view-models over the services, widgets over the view-models (used by app.main)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QSettings

from app.resources import resource_path
from app.runners.factory import sim_state
from app.storage.machine import machine_records_or_none
from app.storage.originals import OriginalsStore
from app.ui.diagnostics_dialog import install_diagnostics
from app.ui.main_window import MainWindow
from app.usecases.diagnose_sources import diagnostics_text
from app.viewmodels.countdown import Countdown
from app.viewmodels.diagnostics_vm import DiagnosticsViewModel
from app.viewmodels.helpdesk_vm import HelpDeskViewModel
from app.viewmodels.main_vm import DEFAULT_COUNTDOWN_S, MainViewModel
from app.viewmodels.simulation_vm import SimulationViewModel
from app.viewmodels.tasks import start_task
from app.wiring import Services


def defaults_table() -> str | None:
    """The Windows defaults table's text, or None when the installation lacks it."""
    try:
        return resource_path("windows_defaults.json").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


@dataclass
class Gui:
    vm: MainViewModel
    helpdesk: HelpDeskViewModel
    sim_vm: SimulationViewModel | None
    window: MainWindow
    _tasks: set[asyncio.Future[Any]] = field(default_factory=set)

    async def start(self) -> None:
        """The first read and the machine's facts; the BBR2 check then runs in the background."""
        if self.sim_vm is not None:
            await self.sim_vm.load()
        await asyncio.gather(self.vm.start(), self.helpdesk.load_info())
        start_task(self.helpdesk.check_interactions(), self._tasks)

    def stop(self) -> None:
        """Cancel background work (the app is quitting)."""
        for task in list(self._tasks):
            task.cancel()

    async def drained(self) -> None:
        """Wait until cancelled background work has finished cancelling (no task is left pending at exit)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def machine_changed(self) -> None:
        """The simulated profile changed: learn the machine's facts and check for known problems again."""

        async def again() -> None:
            await self.helpdesk.load_info()
            await self.helpdesk.check_interactions()

        start_task(again(), self._tasks)


def build_gui(
    services: Services,
    *,
    countdown_s: int = DEFAULT_COUNTDOWN_S,
    countdown: Countdown | None = None,
    settings: QSettings | None = None,
    defaults_source: Callable[[], str | None] = defaults_table,
) -> Gui:
    """The view-models and the main window for ``services`` (not shown yet); ``defaults_source`` gives the
    Windows defaults table's text (None: missing)."""
    backend, paths = services.backend, services.paths
    vm = MainViewModel(
        services.transactions,
        services.history,
        OriginalsStore(paths.originals(backend.kind.value), machine_records_or_none(backend.kind.value, backend.state)),
        lock_path=paths.transaction_lock,
        countdown_s=countdown_s,
        countdown=countdown,
    )
    helpdesk = HelpDeskViewModel(vm, services.machine_info, defaults_source(), simulated=backend.is_simulated)
    sim_vm = SimulationViewModel(sim_state(backend)) if backend.is_simulated else None
    window = MainWindow(vm, helpdesk, sim_vm, services.reader.description, settings, paths.logs)
    gui = Gui(vm, helpdesk, sim_vm, window)
    install_diagnostics(
        window, DiagnosticsViewModel(lambda: diagnostics_text(backend, services.machine_info), parent=window)
    )
    if backend.capture is not None:  # a replay says so: what it shows is another machine's recorded output
        window.setWindowTitle(f"{window.windowTitle()} \u2014 replay of {backend.capture.name} (read-only)")
    if sim_vm is not None:
        sim_vm.machineChanged.connect(gui.machine_changed)
    return gui
