"""The window's background work over its life: the first read and the machine's facts, the BBR2 check, and
cancelling what is still running when the app quits.

The app starts the first read and the facts in two plain threads before the window is shown, and installs the
qasync loop once the window has painted (issue 16): nothing here imports asyncio before then. ``start()`` does the
same on a running loop (tests).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from app.viewmodels.facts_vm import MachineFactsViewModel
from app.viewmodels.main_vm import MainViewModel
from app.viewmodels.simulation_vm import SimulationViewModel
from app.viewmodels.tasks import gather, start_task
from app.viewmodels.threads import Failed, Relay

if TYPE_CHECKING:
    import asyncio

    from app.domain.machine_facts import MachineInfo
    from app.runners.base import NetshRunner
    from app.simulator.machine import SimulatedMachine
    from app.viewmodels.main_vm import FirstRead


class WindowLifecycle:
    def __init__(
        self,
        vm: MainViewModel,
        facts: MachineFactsViewModel,
        sim_vm: SimulationViewModel | None = None,
        first_reader: NetshRunner | None = None,
    ) -> None:
        """``first_reader``: what the first read runs netsh through, when its runs were started early (the real or
        a custom netsh: app/main.py); every later read uses the view-model's own reader."""
        self.vm, self.facts, self.sim_vm, self._first_reader = vm, facts, sim_vm, first_reader
        self._tasks: set[asyncio.Future[Any]] = set()
        if sim_vm is not None:
            sim_vm.machineChanged.connect(self.machine_changed)
        self._started = False
        self._first_done = self._loop_ready = False
        self._relay: Relay | None = None
        self._threads: list[threading.Thread] = []
        vm.refreshed.connect(self._refreshed)

    async def start(self) -> None:
        """The first read and the machine's facts; the BBR2 check then runs in the background."""
        if self.sim_vm is not None:
            await self.sim_vm.load()
        await gather(self.vm.start(), self.facts.load_info())
        self._started = True
        start_task(self.facts.check_interactions(), self._tasks)

    def start_in_threads(
        self, started: Callable[[], None] = lambda: None, values_shown: Callable[[], None] = lambda: None
    ) -> None:
        """The first read (with the simulated machine's profile, the outside-change and recovery checks) and the
        machine's facts, each in a plain thread started now: no event loop is needed (call it before the window is
        shown). Each result is shown on the GUI thread as it arrives; ``started`` is called once both are shown.
        The BBR2 check then starts as soon as the asyncio loop is there too (``loop_installed``)."""
        self._relay = relay = Relay()
        waiting = {"read", "facts"}

        def shown(part: str) -> None:
            waiting.discard(part)
            if not waiting:
                self._first_done = True
                self._start_checks()
                started()

        sim_vm = self.sim_vm

        def read() -> tuple[SimulatedMachine | None, FirstRead]:
            machine = sim_vm.state.load() if sim_vm is not None else None
            first_reader, self._first_reader = self._first_reader, None  # its runs serve the first read only
            return machine, self.vm.first_read(first_reader)

        def take_read(outcome: object) -> None:
            if isinstance(outcome, Failed):
                self.vm.take_first_read(None)
                outcome.report()
            else:
                machine, first = cast("tuple[SimulatedMachine | None, FirstRead]", outcome)
                if sim_vm is not None and machine is not None:
                    sim_vm.take_loaded(machine)
                self.vm.take_first_read(first)
            values_shown()
            shown("read")

        def take_info(outcome: object) -> None:
            if isinstance(outcome, Failed):
                outcome.report()
            else:
                self.facts.take_info(cast("MachineInfo", outcome))
            shown("facts")

        self.vm.begin_first_read()
        self._threads = [
            relay.run(read, take_read, "first read"),
            relay.run(self.facts.source.info, take_info, "machine facts"),
        ]

    def settle(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the first read and the facts (the threads start_in_threads started), then
        show here, now, what has arrived; True when both are shown. Called just before the window is shown, so a
        quick read's values are in its first paint, and the read's threads run alone while they last: a Python
        thread running beside the GUI thread's Qt calls slows those calls many times over (each one waits for the
        GIL: make bench, issue 16). A read that takes longer is shown when it arrives, as before."""
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self._relay is not None:
            self._relay.deliver_posted()
        return self._first_done

    def loop_installed(self) -> None:
        """The asyncio loop runs now: background work can start."""
        self._loop_ready = True
        self._start_checks()

    def _start_checks(self) -> None:
        if self._first_done and self._loop_ready and not self._started:
            self._started = True
            start_task(self.facts.check_interactions(), self._tasks)

    def _refreshed(self) -> None:
        """Every later read checks the known problems again (a provider may have changed since start-up)."""
        if self._started:
            start_task(self.facts.check_interactions(), self._tasks)

    def stop(self) -> None:
        """Cancel background work (the app is quitting); the first read's threads, if still running, are waited
        for (a netsh run ends within its time-out)."""
        for task in list(self._tasks):
            task.cancel()
        for thread in self._threads:
            thread.join()

    async def drained(self) -> None:
        """Wait until cancelled background work has finished cancelling (no task is left pending at exit)."""
        if self._tasks:
            await gather(*self._tasks, return_exceptions=True)

    def machine_changed(self) -> None:
        """The simulated profile changed: learn the machine's facts and check for known problems again."""

        async def again() -> None:
            await self.facts.load_info()
            await self.facts.check_interactions()

        start_task(again(), self._tasks)
