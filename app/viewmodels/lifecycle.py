"""The window's background work over its life: the first read and the machine's facts, the BBR2 check, and
cancelling what is still running when the app quits."""

from __future__ import annotations

import asyncio
from typing import Any

from app.viewmodels.facts_vm import MachineFactsViewModel
from app.viewmodels.main_vm import MainViewModel
from app.viewmodels.simulation_vm import SimulationViewModel
from app.viewmodels.tasks import start_task


class WindowLifecycle:
    def __init__(
        self, vm: MainViewModel, facts: MachineFactsViewModel, sim_vm: SimulationViewModel | None = None
    ) -> None:
        self.vm, self.facts, self.sim_vm = vm, facts, sim_vm
        self._tasks: set[asyncio.Future[Any]] = set()
        if sim_vm is not None:
            sim_vm.machineChanged.connect(self.machine_changed)
        self._started = False
        vm.refreshed.connect(self._refreshed)

    async def start(self) -> None:
        """The first read and the machine's facts; the BBR2 check then runs in the background."""
        if self.sim_vm is not None:
            await self.sim_vm.load()
        await asyncio.gather(self.vm.start(), self.facts.load_info())
        self._started = True
        start_task(self.facts.check_interactions(), self._tasks)

    def _refreshed(self) -> None:
        """Every later read checks the known problems again (a provider may have changed since start-up)."""
        if self._started:
            start_task(self.facts.check_interactions(), self._tasks)

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
            await self.facts.load_info()
            await self.facts.check_interactions()

        start_task(again(), self._tasks)
