"""Renders the window in each state to docs/screenshots/*.png (simulated machine, offscreen): at its default
size and its minimum size, light and dark, during a trial, with an unreadable family, and the dialogs (the Measure
dialog after a real, short measurement of this computer's loopback, and after a real, short comparison, light and
dark, awaiting the answer).

`.venv/bin/python tools/screenshots.py [folder [scenario]]`: each scenario runs in a process of its own, on an
offscreen screen of 1920x1080 (the offscreen plugin's own is 800x800, smaller than most desktops)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
import tempfile
from pathlib import Path

HOME = Path(tempfile.mkdtemp(prefix="lt-shots-"))
os.environ["LOOPBACK_TUNER_HOME"] = str(HOME)
if "QT_QPA_PLATFORM" not in os.environ:
    SCREEN = HOME / "screen.json"
    SCREEN.write_text(
        '{"screens": [{"name": "shot", "x": 0, "y": 0, "width": 1920, "height": 1080, "logicalDpi": 96, '
        '"logicalBaseDpi": 96, "dpr": 1}]}'
    )
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={SCREEN}"

import qasync  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from app.domain.model import ExecutionMode, Family  # noqa: E402
from app.paths import AppPaths  # noqa: E402
from app.runners.factory import choose_backend, sim_state  # noqa: E402
from app.simulator.machine import SimulatedMachine  # noqa: E402
from app.simulator.profile import Fault, SimProfile  # noqa: E402
from app.ui.history_dialog import HistoryDialog  # noqa: E402
from app.ui.main_window import DEFAULT_SIZE, MainWindow  # noqa: E402
from app.ui.measure_dialog import MeasureDialog  # noqa: E402
from app.ui.restore_dialog import RestoreDialog  # noqa: E402
from app.ui.status import DetailsDialog  # noqa: E402
from app.ui.theme import apply_theme  # noqa: E402
from app.viewmodels.compare_vm import Phase  # noqa: E402
from app.wiring import build_gui, build_services  # noqa: E402

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")


async def settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0.01)  # let Qt lay out (never processEvents() inside a coroutine)


async def grab(app: QApplication, widget: QWidget, name: str) -> None:
    await settle()
    OUT.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(OUT / f"{name}.png"))
    print(OUT / f"{name}.png", f"{widget.width()}x{widget.height()}")


async def shrink(window: MainWindow) -> None:
    """The window at its minimum size (a narrower tab wraps its hints and raises the minimum: settle that)."""
    for _ in range(3):
        window.resize(1, 1)
        await settle()


async def scenario(
    app: QApplication,
    theme: str,
    profile: SimProfile,
    name: str,
    *,
    edit: bool = False,
    trial: bool = False,
    unsaved: bool = False,
    dialogs: bool = False,
    minimum: bool = False,
    tab: Family | None = None,
    refused: bool = False,
    details: bool = False,
    measure: bool = False,
    measure_now: bool = False,
    compare: bool = False,
) -> None:
    apply_theme(app, theme)
    paths = AppPaths.default()
    backend = choose_backend(backend="simulated", state=str(HOME / f"{name}.json"))
    state = sim_state(backend)
    state.set_profile(SimProfile(elevated=True))
    services = build_services(backend, paths)
    if unsaved:  # an active-only change, as `set --store active` leaves it

        def inline_until_reboot(machine: SimulatedMachine) -> None:
            machine.active[Family.IPV4] = dataclasses.replace(
                machine.active[Family.IPV4], execution_mode=ExecutionMode.INLINE
            )

        state.update(inline_until_reboot)
    state.set_profile(profile)
    gui = build_gui(services)
    vm, helpdesk, sim_vm, window = gui.vm, gui.helpdesk, gui.sim_vm, gui.window
    window.resize(DEFAULT_SIZE)
    window.show()
    await gui.lifecycle.start()
    await helpdesk.facts.check_interactions()  # in the app this runs in the background; wait for it here
    if edit:
        vm.set_mode(Family.IPV4, ExecutionMode.WORKER)
        vm.set_workers(Family.IPV4, 8)
        vm.set_large_mtu(Family.IPV6, False)
    if tab is not None:
        window.tabs.setCurrentWidget(window.panels[tab])
    if refused:  # as after typing 17 and Tab in the worker count
        window.panels[Family.IPV4].workers.refused.emit("17")
    if minimum:
        await shrink(window)
    if not (trial or details or measure or compare):
        await grab(app, window, name)
    if details:  # a change netsh refuses: the message, then its details
        vm.set_workers(Family.IPV4, 2)
        await vm.apply()
        window.details_button.click()
        await grab(app, window, name)
        await grab(app, window.findChild(DetailsDialog), f"{name}-details")
    if edit and not (trial or minimum):
        window._confirm_apply()
        assert window.apply_dialog is not None
        window.apply_dialog.commands.toggle.setChecked(True)
        await grab(app, window.apply_dialog, f"{name}-apply-dialog")
        window.apply_dialog.reject()
        await asyncio.sleep(0.01)  # let Qt lay out (never processEvents() inside a coroutine)
    if dialogs:  # one kept change, then the history and restore dialogs
        vm.set_workers(Family.IPV4, 6)
        await vm.apply()
        await vm.keep()
        await window._history()
        history = window.findChild(HistoryDialog)
        history.table.selectRow(0)
        await grab(app, history, f"{name}-history")
        history.reject()
        window._restore()
        await grab(app, window.findChild(RestoreDialog), f"{name}-restore")
    if measure:  # Tools > Measure loopback…: a real, short measurement of this computer's loopback
        window._measure()
        dialog = window.findChild(MeasureDialog)
        dialog.seconds.setValue(0.2)
        await dialog.vm.start(dialog.families(), dialog.plan())
        await grab(app, dialog, name)
        dialog.reject()
    if compare:  # Measure > Compare configurations: a real, short comparison, its results awaiting the answer
        window._measure()
        dialog = window.findChild(MeasureDialog)
        assert dialog.tabs is not None and dialog.compare_view is not None
        dialog.tabs.setCurrentIndex(1)
        view = dialog.compare_view
        view.seconds.setValue(0.1)
        view.rounds.setValue(2)
        started = asyncio.ensure_future(view.vm.start(view.request()))
        while view.vm.phase is not Phase.DECIDING and not started.done():
            await asyncio.sleep(0.05)
        await grab(app, dialog, name)
        view.vm.put_back()
        await started
        dialog.reject()
    if trial:
        await vm.apply()
        vm.countdown.tick()
        vm.countdown.tick()
        assert window.keep_dialog is not None
        if measure_now and vm.measure_now is not None:  # Measure now: a real, short measurement, before and after
            vm.measure_now.plan = dataclasses.replace(vm.measure_now.plan, seconds=0.2)
            await vm.measure_now.run()
            await grab(app, window.keep_dialog, name)
        else:
            await grab(app, window, name)  # the window while the trial runs: busy, the dialog beside it
            await grab(app, window.keep_dialog, f"{name}-keep-dialog")
        await vm.revert()
    gui.lifecycle.stop()
    await gui.lifecycle.drained()
    window.close()
    window.deleteLater()
    vm.deleteLater()
    sim_vm.deleteLater()
    await asyncio.sleep(0.01)


SET_FAILS = SimProfile(elevated=True, faults=frozenset({Fault.SET_FAILS}))
SCENARIOS = {
    "main-light": dict(theme="light", profile=SimProfile()),
    "main-dark": dict(theme="dark", profile=SimProfile()),
    "minimum-light": dict(theme="light", profile=SimProfile(), minimum=True),
    "minimum-dark": dict(theme="dark", profile=SimProfile(), edit=True, minimum=True),
    "pending": dict(theme="light", profile=SimProfile(), edit=True),
    "unsaved": dict(theme="light", profile=SimProfile(), unsaved=True),
    "pending-dark": dict(theme="dark", profile=SimProfile(), edit=True),
    "worker-count-refused": dict(theme="light", profile=SimProfile(), refused=True),
    "trial": dict(theme="light", profile=SimProfile(elevated=True), edit=True, trial=True),
    "trial-dark": dict(theme="dark", profile=SimProfile(elevated=True), edit=True, trial=True),
    "unsupported": dict(theme="light", profile=SimProfile(build=17134)),
    "zh-CN-unrecognized": dict(theme="light", profile=SimProfile(language="zh-CN"), tab=Family.IPV6),
    "unreadable-minimum-dark": dict(theme="dark", profile=SimProfile(language="zh-CN"), tab=Family.IPV6, minimum=True),
    "dialogs": dict(theme="light", profile=SimProfile(elevated=True), dialogs=True),
    "netsh-error": dict(theme="light", profile=SET_FAILS, details=True),
    "measure-dialog": dict(theme="light", profile=SimProfile(), measure=True),
    "measure-now": dict(theme="light", profile=SimProfile(elevated=True), edit=True, trial=True, measure_now=True),
    "measure-now-dark": dict(theme="dark", profile=SimProfile(elevated=True), edit=True, trial=True, measure_now=True),
    "compare-light": dict(theme="light", profile=SimProfile(elevated=True), compare=True),
    "compare-dark": dict(theme="dark", profile=SimProfile(elevated=True), compare=True),
    "bbr2-warning": dict(theme="light", profile=SimProfile(build=26100, congestion_provider="bbr2")),
}


def main() -> None:
    if len(sys.argv) > 2:  # one scenario per process: each starts from a fresh QApplication
        name = sys.argv[2]
        options = dict(SCENARIOS[name])
        app = QApplication([])
        app.setQuitOnLastWindowClosed(False)
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        with loop:
            loop.run_until_complete(scenario(app, options.pop("theme"), options.pop("profile"), name, **options))
        return
    import subprocess

    for name in SCENARIOS:
        subprocess.run([sys.executable, __file__, str(OUT), name], check=True)


if __name__ == "__main__":
    main()
