"""Builds the runner, launcher and services for a backend; used by both entry points' composition roots."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.elevation.launchers import HelperLauncher, HelperProcess, ProcessLauncher, SimulatedUacLauncher
from app.paths import AppPaths
from app.runners.base import NetshRunner
from app.runners.factory import Backend, BackendKind, make_runner, sim_state
from app.runners.logging_runner import LoggingRunner
from app.services.machine_info import (
    MachineInfoSource,
    SimulatedMachineInfo,
    UnknownMachineInfo,
    WindowsMachineInfo,
)
from app.services.transactions import HelperBackend, TransactionService
from app.storage.history import History


class _SimulatedLauncher:
    """Chooses at each launch: no prompt when the simulated session is elevated, else the simulated UAC."""

    def __init__(self, backend: Backend) -> None:
        self.state = sim_state(backend)
        self.uac = SimulatedUacLauncher(self.state)
        self.plain = ProcessLauncher()

    @property
    def prompts(self) -> int:
        return self.uac.prompts

    def launch(self, args: Sequence[str], authkey: bytes) -> HelperProcess:
        if self.state.load().profile.elevated:
            return self.plain.launch(args, authkey)
        return self.uac.launch(args, authkey)


def make_launcher(backend: Backend, owner_hwnd: Callable[[], int | None] = lambda: None) -> HelperLauncher:
    """The helper launcher for ``backend``: a UAC prompt only where elevation is needed and real."""
    if backend.kind is BackendKind.SIMULATED:
        return _SimulatedLauncher(backend)
    if backend.kind is BackendKind.SYSTEM and sys.platform == "win32":
        from app.elevation.launchers import UacLauncher
        from app.platform.windows import default_api, is_elevated

        api = default_api()
        return ProcessLauncher() if is_elevated(api) else UacLauncher(owner_hwnd, api=api)
    return ProcessLauncher()


def helper_backend(backend: Backend) -> HelperBackend:
    if backend.kind is BackendKind.SIMULATED:
        return HelperBackend(("--backend", "simulated", "--state", str(backend.state)), "simulated")
    if backend.kind is BackendKind.CUSTOM:
        return HelperBackend(("--backend", "custom", "--netsh", str(backend.netsh)), f"custom ({backend.netsh})")
    return HelperBackend(("--backend", "system"), "netsh")


def make_machine_info(backend: Backend) -> MachineInfoSource:
    """Facts about the machine behind ``backend`` (for reports and the BBR2 warning)."""
    if backend.kind is BackendKind.SIMULATED:
        return SimulatedMachineInfo(sim_state(backend))
    if backend.kind is BackendKind.SYSTEM:
        return WindowsMachineInfo()
    return UnknownMachineInfo()


@dataclass
class Services:
    backend: Backend
    paths: AppPaths
    reader: NetshRunner
    launcher: HelperLauncher
    history: History
    transactions: TransactionService
    machine_info: MachineInfoSource


def build_services(
    backend: Backend, paths: AppPaths, owner_hwnd: Callable[[], int | None] = lambda: None, *, timeout_s: float = 15.0
) -> Services:
    reader = LoggingRunner(make_runner(backend, timeout_s=timeout_s))
    launcher = make_launcher(backend, owner_hwnd)
    history = History(paths.history)
    transactions = TransactionService(
        reader, launcher, helper_backend(backend), history, paths.transaction_lock, netsh_timeout_s=timeout_s
    )
    return Services(backend, paths, reader, launcher, history, transactions, make_machine_info(backend))
