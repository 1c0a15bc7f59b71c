"""The composition root: builds every object once, for the command line (build_services) and for the window
(build_gui, over the same services). Nothing else decides which runner, launcher or facts source is used.

The trial machinery (launcher, trials) and the machine-facts source are built, and imported, on first use:
``show`` and the window's first read never pay for them (make bench measures this). Qt is imported only by
build_gui, so the command line never loads it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from app.runners.factory import (
    BACKEND_NAMES,
    Backend,
    BackendKind,
    choose_backend,
    make_runner,
    process_is_elevated,
    sim_state,
    windows_build_source,
)

if TYPE_CHECKING:  # and the runners, storage and logging are imported by the builders (the CLI's start-up: issue 16)
    from PySide6.QtCore import QSettings

    from app.domain.machine_facts import CongestionReading, MachineFactsSource, MachineInfo
    from app.domain.measurements import Measurement
    from app.domain.model import MachineState
    from app.domain.outside import OutsideChange
    from app.elevation.backend_args import HelperBackend
    from app.elevation.launchers import HelperLauncher
    from app.elevation.machine_lock import MachineLock
    from app.paths import AppPaths
    from app.platform.win32api import Win32Api
    from app.runners.base import NetshRunner
    from app.runners.early import StartedRead
    from app.simulator.store import SimStateFile
    from app.storage.history import History
    from app.ui.main_window import MainWindow
    from app.usecases.helpdesk import DefaultsTable
    from app.usecases.recovery import Recovery
    from app.usecases.trials import TrialService
    from app.viewmodels.compare_vm import CompareViewModel
    from app.viewmodels.countdown import Countdown
    from app.viewmodels.facts_vm import MachineFactsViewModel
    from app.viewmodels.helpdesk import HelpDesk
    from app.viewmodels.lifecycle import WindowLifecycle
    from app.viewmodels.main_vm import MainViewModel
    from app.viewmodels.measure_now_vm import MeasureFunction
    from app.viewmodels.measure_vm import MeasureViewModel
    from app.viewmodels.simulation_vm import SimulationViewModel


# --- the backend options both entry points take ----------------------------------------------------------------
def add_backend_options(parser: argparse.ArgumentParser) -> None:
    """--backend, --netsh and --state, the same for the window and the command line."""
    parser.add_argument("--backend", choices=BACKEND_NAMES, help="netsh (Windows) or the simulated machine")
    parser.add_argument("--netsh", metavar="PATH", help="run this program as netsh (also LOOPBACK_TUNER_NETSH)")
    parser.add_argument("--state", metavar="FILE", help="the simulated machine's state file")
    parser.add_argument(
        "--capture", metavar="FILE", help="with --backend simulated: replay a diagnostics file (reads only)"
    )


def backend_from(options: argparse.Namespace) -> Backend:
    """The backend those options choose; raises ValidationError on a conflict."""
    return choose_backend(backend=options.backend, netsh=options.netsh, state=options.state, capture=options.capture)


class OwnerWindow:
    """The window that owns the UAC prompt, bound once the window exists (late: the services come first)."""

    def __init__(self) -> None:
        self._handle: Callable[[], int | None] = lambda: None

    def bind(self, handle: Callable[[], int | None]) -> None:
        self._handle = handle

    def __call__(self) -> int | None:
        return self._handle()


# --- the builders -------------------------------------------------------------------------------------------
def make_launcher(
    backend: Backend,
    owner_hwnd: Callable[[], int | None] = lambda: None,
    *,
    api: Win32Api | None = None,
    platform: str = sys.platform,
    state: SimStateFile | None = None,
) -> HelperLauncher:
    """The helper launcher for ``backend``: a UAC prompt only where elevation is needed and real.

    An elevated session never shows a prompt: the helper starts as a plain child with the same rights. ``api``
    and ``platform`` are for tests (a fake Win32Api).
    """
    from app.elevation.launchers import ProcessLauncher, SimulatedUacLauncher

    if backend.kind is BackendKind.SIMULATED:
        return SimulatedUacLauncher(state or sim_state(backend))
    if backend.kind is BackendKind.SYSTEM and platform == "win32":
        from app.elevation.launchers import UacLauncher
        from app.platform.windows import default_api

        win32 = api if api is not None else default_api()
        # The one elevation check (it fails safe: "cannot tell" is elevated). Assuming elevated here starts the
        # helper with this process's own rights, never more: if they are not enough, netsh says so (exit 5).
        elevated = process_is_elevated(platform, win32)
        return ProcessLauncher() if elevated else UacLauncher(owner_hwnd, api=win32)
    return ProcessLauncher()


def helper_backend(backend: Backend) -> HelperBackend:
    from app.elevation.backend_args import HelperBackend

    if backend.kind is BackendKind.SIMULATED:
        return HelperBackend(("--backend", "simulated", "--state", str(backend.state)), "simulated")
    if backend.kind is BackendKind.CUSTOM:
        return HelperBackend(("--backend", "custom", "--netsh", str(backend.netsh)), f"custom ({backend.netsh})")
    if backend.kind is BackendKind.CAPTURE:  # a replay only reads: the helper refuses this backend, nothing is run
        return HelperBackend(("--backend", "capture", "--netsh", str(backend.capture)), "a replayed capture")
    return HelperBackend(("--backend", "system"), "netsh")


class UnknownMachineInfo:
    """A custom netsh stand-in: nothing is known of the machine behind it."""

    def info(self) -> MachineInfo:
        import platform

        from app.domain.machine_facts import MachineInfo

        return MachineInfo(platform.node() or "unknown", "unknown (custom netsh)", None, "unknown", None, False)

    def congestion(self) -> CongestionReading:
        from app.domain.machine_facts import CongestionReading

        return CongestionReading(error="not available with a custom netsh")


def make_machine_info(backend: Backend, state: SimStateFile | None = None) -> MachineFactsSource:
    """Facts about the machine behind ``backend`` (for reports, presets and the BBR2 warning)."""
    if backend.kind is BackendKind.SIMULATED:
        from app.simulator.facts import SimulatedMachineInfo

        return SimulatedMachineInfo(state or sim_state(backend))
    if backend.kind is BackendKind.SYSTEM:
        from app.platform.machine_facts import WindowsMachineInfo

        return WindowsMachineInfo()
    if backend.kind is BackendKind.CAPTURE and backend.capture is not None:
        from app.simulator.capture_facts import CaptureMachineInfo

        return CaptureMachineInfo(backend.capture)
    return UnknownMachineInfo()


class Services:
    """Everything above the runner for one backend, each built once; the reader is ready, the rest is built when
    first used."""

    def __init__(
        self,
        backend: Backend,
        paths: AppPaths,
        reader: NetshRunner,
        owner_hwnd: Callable[[], int | None],
        timeout_s: float,
        simulated: SimStateFile | None = None,
    ) -> None:
        self.backend, self.paths, self.reader = backend, paths, reader
        from app.storage.history import History

        self.simulated = simulated  # the simulated machine's one state object (None for a real backend)
        self.history: History = History(paths.history)
        self._owner_hwnd, self._timeout_s = owner_hwnd, timeout_s

    @cached_property
    def launcher(self) -> HelperLauncher:
        return make_launcher(self.backend, self._owner_hwnd, state=self.simulated)

    @cached_property
    def transactions(self) -> TrialService:
        from app.usecases.trials import TrialService

        return TrialService(
            self.reader,
            self.launcher,
            helper_backend(self.backend),
            self.history,
            self.paths.transaction_lock,
            netsh_timeout_s=self._timeout_s,
        )

    def recover(self) -> Recovery:
        """Check what an earlier run left unfinished (both faces call this at start; it blocks)."""
        from app.usecases.recovery import recover_interrupted

        def machine_lock() -> MachineLock:  # only when an unfinished trial is found: otherwise a read
            from app.elevation.machine_lock import machine_lock_for_helper

            return machine_lock_for_helper(helper_backend(self.backend).args)

        return recover_interrupted(self.history, self.paths.transaction_lock, self.reader, machine_lock)

    def outside_changes(self, state: MachineState) -> tuple[OutsideChange, ...]:
        """The stores changed outside Loopback Tuner since its last change to them (both faces; it blocks)."""
        from app.storage.machine import machine_records_or_none
        from app.usecases.outside import find_outside_changes

        machine = machine_records_or_none(self.backend.kind.value, self.backend.state)
        return find_outside_changes(state, self.history, machine)

    @cached_property
    def machine_info(self) -> MachineFactsSource:
        return make_machine_info(self.backend, self.simulated)


def build_services(
    backend: Backend,
    paths: AppPaths,
    owner_hwnd: Callable[[], int | None] = lambda: None,
    *,
    timeout_s: float = 15.0,
    simulated: SimStateFile | None = None,
) -> Services:
    """The services over ``backend``; ``simulated`` is the simulated machine's state object when the caller made it
    already (a read started early: app/runners/early.py start_read), so every part shares it."""
    if simulated is None and backend.is_simulated:
        simulated = sim_state(backend)
    runner = make_runner(backend, timeout_s=timeout_s, state=simulated)
    reader = logged_reader(runner, windows_build_source(backend))
    return Services(backend, paths, reader, owner_hwnd, timeout_s, simulated)


def logged_reader(runner: NetshRunner, build: Callable[[], int | None]) -> NetshRunner:
    """What the read use case runs netsh through: every run logged, the Windows build known (``build``)."""
    from app.runners.known_build import KnownBuildRunner
    from app.runners.logging_runner import LoggingRunner

    return KnownBuildRunner(LoggingRunner(runner), build)


# --- the window ---------------------------------------------------------------------------------------------
def defaults_table() -> str | None:
    """The Windows defaults table's text, or None when the installation lacks it."""
    from app.resources import resource_path

    try:
        return resource_path("windows_defaults.json").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def defaults_table_from(source: Callable[[], str | None]) -> DefaultsTable:
    """The Windows defaults table from ``source``'s text (imported and parsed when first needed: issue 16)."""
    from app.usecases.helpdesk import DefaultsTable

    return DefaultsTable.from_text(source())


@dataclass(frozen=True)
class Gui:
    """The window's objects, as built (the lifecycle runs them; this only holds them)."""

    vm: MainViewModel
    helpdesk: HelpDesk
    sim_vm: SimulationViewModel | None
    window: MainWindow
    lifecycle: WindowLifecycle


def compare_view_model(services: Services, vm: MainViewModel, facts: MachineFactsViewModel) -> CompareViewModel:
    """The Measure view's comparison: the compare use case under the transaction lock, bound to this machine."""
    from functools import partial

    from app.usecases.compare import compare_under_lock, runs_elevated
    from app.viewmodels.compare_vm import CompareViewModel

    run = partial(
        compare_under_lock,
        services.paths.transaction_lock,
        reader=services.reader,
        launcher=services.launcher,
        backend=helper_backend(services.backend),
        simulated=services.backend.is_simulated,
        history=services.history,
    )
    return CompareViewModel(
        vm,
        run,
        simulated=services.backend.is_simulated,
        elevated=runs_elevated(),
        facts=lambda: (facts.info, facts.congestion),
        reread=vm.refresh,
        parent=vm,
    )


def _measure_lazily(*args: Any, **kwargs: Any) -> Measurement:
    """The measure use case, imported when Measure now first measures (never at start-up: issue 16)."""
    from app.usecases.measure import measure

    return measure(*args, **kwargs)


def build_gui(
    services: Services,
    *,
    countdown_s: int = 15,
    countdown: Countdown | None = None,
    settings: QSettings | None = None,
    defaults_source: Callable[[], str | None] = defaults_table,
    measure_function: MeasureFunction | None = None,
    started: StartedRead | None = None,
) -> Gui:
    """The view-models and the main window for ``services`` (not shown yet); ``defaults_source`` gives the
    Windows defaults table's text (None: missing); ``measure_function`` replaces the measure use case in the keep
    dialog's Measure now (tests); ``started``: the first read's netsh runs, started early (start_read), which that
    read takes (and only it)."""
    from app.storage.machine import machine_records_or_none
    from app.storage.originals import OriginalsStore
    from app.ui.diagnostics_menu import install_diagnostics
    from app.ui.main_window import MainWindow
    from app.viewmodels.diagnostics_vm import DiagnosticsViewModel
    from app.viewmodels.facts_vm import MachineFactsViewModel
    from app.viewmodels.helpdesk import HelpDesk
    from app.viewmodels.history_vm import HistoryViewModel
    from app.viewmodels.lifecycle import WindowLifecycle
    from app.viewmodels.main_vm import MainViewModel
    from app.viewmodels.presets_vm import PresetsViewModel
    from app.viewmodels.profiles_vm import ProfilesViewModel
    from app.viewmodels.simulation_vm import SimulationViewModel

    measure_function = measure_function or _measure_lazily
    backend, paths = services.backend, services.paths
    vm = MainViewModel(
        services.reader,
        lambda: services.transactions,  # imported and built by the first change (issue 16)
        services.history,
        OriginalsStore(paths.originals(backend.kind.value), machine_records_or_none(backend.kind.value, backend.state)),
        recover=services.recover,
        outside=services.outside_changes,
        countdown_s=countdown_s,
        countdown=countdown,
        measure_function=measure_function,  # Measure now in the keep dialog
        simulated=backend.is_simulated,
    )
    facts = MachineFactsViewModel(vm, services.machine_info, services.history)
    vm.changed.connect(facts.refresh_warnings)
    helpdesk = HelpDesk(
        facts,
        PresetsViewModel(vm, facts, partial(defaults_table_from, defaults_source), simulated=backend.is_simulated),
        ProfilesViewModel(vm),
        HistoryViewModel(vm, services.history),
    )
    sim_vm = SimulationViewModel(services.simulated) if services.simulated is not None else None

    def measure() -> MeasureViewModel:  # built (and imported) when Tools > Measure loopback is first opened
        from app.viewmodels.measure_vm import MeasureViewModel

        return MeasureViewModel(
            vm, simulated=backend.is_simulated, compare=lambda: compare_view_model(services, vm, facts), parent=vm
        )

    def diagnostics() -> str:  # imported when diagnostics are first collected
        from app.usecases.diagnose_sources import diagnostics_text

        return diagnostics_text(backend, services.machine_info)

    window = MainWindow(vm, helpdesk, sim_vm, services.reader.description, settings, paths.logs, measure)
    install_diagnostics(window, DiagnosticsViewModel(diagnostics, parent=window))
    if backend.capture is not None:  # a replay says so: what it shows is another machine's recorded output
        window.setWindowTitle(f"{window.windowTitle()} \u2014 replay of {backend.capture.name} (read-only)")
    first_reader = logged_reader(started.runner, started.build) if started is not None else None
    lifecycle = WindowLifecycle(vm, facts, sim_vm, first_reader)
    return Gui(vm, helpdesk, sim_vm, window, lifecycle)
