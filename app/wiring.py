"""Builds the runner, launcher and services for a backend; used by both entry points' composition roots.

The trial machinery (launcher, transactions) and the machine-facts source are built, and imported, on first
use: ``show`` and the window's first read never pay for them (make bench measures this).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

from app.paths import AppPaths
from app.runners.base import NetshRunner
from app.runners.factory import (
    Backend,
    BackendKind,
    make_runner,
    process_is_elevated,
    sim_state,
    windows_build_source,
)
from app.runners.known_build import KnownBuildRunner
from app.runners.logging_runner import LoggingRunner
from app.storage.history import History

if TYPE_CHECKING:
    from app.elevation.launchers import HelperLauncher
    from app.platform.win32api import Win32Api
    from app.services.machine_info import MachineInfoSource
    from app.usecases.trials import HelperBackend, TrialService


def make_launcher(
    backend: Backend,
    owner_hwnd: Callable[[], int | None] = lambda: None,
    *,
    api: Win32Api | None = None,
    platform: str = sys.platform,
) -> HelperLauncher:
    """The helper launcher for ``backend``: a UAC prompt only where elevation is needed and real.

    An elevated session never shows a prompt: the helper starts as a plain child with the same rights. ``api``
    and ``platform`` are for tests (a fake Win32Api).
    """
    from app.elevation.launchers import ProcessLauncher, SimulatedUacLauncher

    if backend.kind is BackendKind.SIMULATED:
        return SimulatedUacLauncher(sim_state(backend))
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
    from app.usecases.trials import HelperBackend

    if backend.kind is BackendKind.SIMULATED:
        return HelperBackend(("--backend", "simulated", "--state", str(backend.state)), "simulated")
    if backend.kind is BackendKind.CUSTOM:
        return HelperBackend(("--backend", "custom", "--netsh", str(backend.netsh)), f"custom ({backend.netsh})")
    if backend.kind is BackendKind.CAPTURE:  # a replay only reads: the helper refuses this backend, nothing is run
        return HelperBackend(("--backend", "capture", "--netsh", str(backend.capture)), "a replayed capture")
    return HelperBackend(("--backend", "system"), "netsh")


def make_machine_info(backend: Backend) -> MachineInfoSource:
    """Facts about the machine behind ``backend`` (for reports and the BBR2 warning)."""
    from app.services.machine_info import SimulatedMachineInfo, UnknownMachineInfo, WindowsMachineInfo

    if backend.kind is BackendKind.SIMULATED:
        return SimulatedMachineInfo(sim_state(backend))
    if backend.kind is BackendKind.SYSTEM:
        return WindowsMachineInfo()
    if backend.kind is BackendKind.CAPTURE and backend.capture is not None:
        from app.services.capture_info import CaptureMachineInfo

        return CaptureMachineInfo(backend.capture)
    return UnknownMachineInfo()


class Services:
    """Everything above the runner for one backend; the reader is ready, the rest is built when first used."""

    def __init__(
        self,
        backend: Backend,
        paths: AppPaths,
        reader: NetshRunner,
        owner_hwnd: Callable[[], int | None],
        timeout_s: float,
    ) -> None:
        self.backend, self.paths, self.reader = backend, paths, reader
        self.history = History(paths.history)
        self._owner_hwnd, self._timeout_s = owner_hwnd, timeout_s

    @cached_property
    def launcher(self) -> HelperLauncher:
        return make_launcher(self.backend, self._owner_hwnd)

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

    @cached_property
    def machine_info(self) -> MachineInfoSource:
        return make_machine_info(self.backend)


def build_services(
    backend: Backend, paths: AppPaths, owner_hwnd: Callable[[], int | None] = lambda: None, *, timeout_s: float = 15.0
) -> Services:
    reader = KnownBuildRunner(LoggingRunner(make_runner(backend, timeout_s=timeout_s)), windows_build_source(backend))
    return Services(backend, paths, reader, owner_hwnd, timeout_s)
