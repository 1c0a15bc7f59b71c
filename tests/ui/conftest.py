"""Qt fixtures: an offscreen app, a per-test qasync loop that fails on stray async exceptions, a wired window."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
import qasync

from app.paths import AppPaths
from app.runners.factory import Backend, BackendKind, sim_state
from app.simulator.profile import SimProfile
from app.simulator.store import SimStateFile
from app.ui.main_window import MainWindow
from app.viewmodels.countdown import Countdown
from app.viewmodels.helpdesk import HelpDesk
from app.viewmodels.main_vm import MainViewModel
from app.viewmodels.simulation_vm import SimulationViewModel
from app.wiring import Gui, Services, build_gui, build_services, defaults_table

T = TypeVar("T")


@pytest.fixture
def loop(qapp: Any) -> Iterator[qasync.QEventLoop]:
    """A qasync loop for one test; any exception nobody retrieved fails the test."""
    event_loop = qasync.QEventLoop(qapp, already_running=False)
    errors: list[dict[str, Any]] = []
    event_loop.set_exception_handler(lambda _loop, context: errors.append(context))
    asyncio.set_event_loop(event_loop)
    yield event_loop
    event_loop.run_until_complete(asyncio.sleep(0))
    event_loop.close()  # stops the loop's executor threads
    asyncio.set_event_loop(None)
    assert not errors, f"stray async exceptions: {errors}"


@pytest.fixture
def run(loop: qasync.QEventLoop) -> Callable[[Awaitable[T]], T]:
    def runner(awaitable: Awaitable[T]) -> T:
        return loop.run_until_complete(awaitable)

    return runner


class SignalWaiter:
    """Runs the qasync loop (so asyncSlot tasks can run) until a signal fires; returns its arguments."""

    def __init__(self, loop: qasync.QEventLoop) -> None:
        self.loop = loop

    def __call__(
        self, signal: Any, trigger: Callable[[], object] | None = None, timeout_s: float = 20.0
    ) -> tuple[Any, ...]:
        future: asyncio.Future[tuple[Any, ...]] = self.loop.create_future()

        def fired(*args: Any) -> None:
            if not future.done():
                future.set_result(args)

        signal.connect(fired)
        try:
            if trigger is not None:
                self.loop.call_soon(trigger)
            return self.loop.run_until_complete(asyncio.wait_for(future, timeout_s))
        finally:
            signal.disconnect(fired)

    def until(self, condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
        async def poll() -> None:
            while not condition():
                await asyncio.sleep(0.01)  # yields to the loop; bounded by the timeout, not a fixed wait

        self.loop.run_until_complete(asyncio.wait_for(poll(), timeout_s))


def start_trial_by(wait: SignalWaiter, vm: MainViewModel, trigger: Callable[[], object]) -> tuple[Any, ...]:
    """Wait until ``trigger`` has started a trial (trialStarted's arguments), then until the apply has ended: it goes
    on after trialStarted (it verifies the trial with a fresh read), and left in flight it would be stepped by
    pytest-qt's own event processing, with no loop running (a flaky RuntimeError under load)."""
    started = wait(vm.trialStarted, trigger)
    wait.loop.run_until_complete(settle())
    return started


@pytest.fixture
def wait(loop: qasync.QEventLoop) -> SignalWaiter:
    return SignalWaiter(loop)


@dataclass
class Rig:
    """A fully wired window against a simulated machine (the same wiring as app.main)."""

    window: MainWindow
    vm: MainViewModel
    sim_vm: SimulationViewModel
    state: SimStateFile
    services: Services
    paths: AppPaths
    helpdesk: HelpDesk
    gui: Gui


def make_rig(
    qtbot: Any,
    tmp_path: Path,
    profile: SimProfile,
    countdown_s: int = 15,
    defaults_source: Callable[[], str | None] = defaults_table,
) -> Rig:
    """The same assembly as app.main (build_services + build_gui), with a 100 ms countdown tick (so a loaded
    machine does not expire a trial mid-test)."""
    paths = AppPaths(data=tmp_path / "data", logs=tmp_path / "logs")
    backend = Backend(BackendKind.SIMULATED, state=tmp_path / "machine.json")
    state = sim_state(backend)
    state.set_profile(profile)
    services = build_services(backend, paths)
    gui = build_gui(
        services, countdown_s=countdown_s, countdown=Countdown(tick_ms=100), defaults_source=defaults_source
    )
    assert gui.sim_vm is not None
    qtbot.addWidget(gui.window)
    gui.window.show()
    return Rig(gui.window, gui.vm, gui.sim_vm, state, services, paths, gui.helpdesk, gui)


async def settle(timeout_s: float = 20.0) -> None:
    """Wait for every other task on the loop (a test must not end with work in flight: pytest-qt processes
    Qt events between phases, where qasync would step tasks without a running loop)."""
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    if others:
        await asyncio.wait(others, timeout=timeout_s)


@pytest.fixture
def rig_factory(qtbot: Any, tmp_path: Path, run: Callable[[Awaitable[Any]], Any]) -> Iterator[Callable[..., Rig]]:
    rigs: list[Rig] = []

    def factory(
        profile: SimProfile | None = None,
        *,
        start: bool = True,
        countdown_s: int = 15,
        defaults_source: Callable[[], str | None] = defaults_table,
    ) -> Rig:
        rig = make_rig(qtbot, tmp_path, profile or SimProfile(elevated=True), countdown_s, defaults_source)
        rigs.append(rig)
        if start:
            run(rig.sim_vm.load())
            run(rig.vm.start())
            run(rig.helpdesk.facts.load_info())
        return rig

    yield factory
    # Delete Qt objects here, on the GUI thread: left to the garbage collector they may be destroyed on one of
    # the loop's worker threads, where Qt cannot stop their timers.
    for rig in rigs:
        for obj in (rig.vm, rig.sim_vm, *vars(rig.helpdesk).values()):
            obj.blockSignals(True)  # the test is over: nothing may start new work now
        rig.gui.lifecycle.stop()  # background work (machine facts, the BBR2 check) ends before its objects do
        run(rig.gui.lifecycle.drained())
    run(settle())  # slots still running (a refresh a signal started) finish before their objects are deleted
    for rig in rigs:
        rig.vm.countdown.stop()
        for obj in (rig.vm, rig.sim_vm, *vars(rig.helpdesk).values()):
            obj.deleteLater()
    rigs.clear()
    run(asyncio.sleep(0.01))  # deferred deletes run on the qasync loop (a nested Qt loop has no asyncio loop)
    run(settle())
    gc.collect()
