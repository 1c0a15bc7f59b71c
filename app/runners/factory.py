"""Chooses the netsh backend in one place: real netsh on Windows, the simulated machine elsewhere, or as asked."""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Mapping
from pathlib import Path, PureWindowsPath
from typing import TYPE_CHECKING

from app.domain.errors import ValidationError

if TYPE_CHECKING:  # each runner's module is imported when that runner is made (the CLI's start-up: issue 16)
    from app.paths import AppPaths
    from app.platform.win32api import Win32Api
    from app.runners.base import NetshRunner
    from app.runners.known_build import BuildSource
    from app.runners.subprocess_runner import SubprocessRunner
    from app.simulator.capture import CaptureRunner
    from app.simulator.store import SimStateFile

ENV_NETSH = "LOOPBACK_TUNER_NETSH"
BACKEND_NAMES = ("netsh", "simulated")  # --backend's values


class BackendKind(enum.StrEnum):
    SYSTEM = "system"  # Windows' own netsh.exe from System32
    CUSTOM = "custom"  # a program given with --netsh or LOOPBACK_TUNER_NETSH
    SIMULATED = "simulated"  # the simulated Windows machine
    CAPTURE = "capture"  # a diagnostics file replayed (--backend simulated --capture FILE): reads only


class Backend:
    """Which backend to use; everything above the runner is the same code for each. An immutable value (equal by
    its fields, hashable), written out rather than a dataclass: the command line chooses its backend before it
    imports ``dataclasses`` (issue 16, app/cli_parts/early.py)."""

    __slots__ = ("capture", "kind", "netsh", "state")
    kind: BackendKind
    netsh: Path | None
    state: Path | None
    capture: Path | None  # the diagnostics file a CAPTURE backend replays

    def __init__(
        self, kind: BackendKind, netsh: Path | None = None, state: Path | None = None, capture: Path | None = None
    ) -> None:
        for name, value in (("kind", kind), ("netsh", netsh), ("state", state), ("capture", capture)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Backend is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Backend is immutable: cannot delete {name!r}")

    def _fields(self) -> tuple[BackendKind, Path | None, Path | None, Path | None]:
        return (self.kind, self.netsh, self.state, self.capture)

    def __eq__(self, other: object) -> bool:
        return other._fields() == self._fields() if type(other) is Backend else NotImplemented

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return f"Backend(kind={self.kind!r}, netsh={self.netsh!r}, state={self.state!r}, capture={self.capture!r})"

    @property
    def is_simulated(self) -> bool:
        return self.kind is BackendKind.SIMULATED


def choose_backend(
    *,
    backend: str | None = None,
    netsh: str | None = None,
    state: str | None = None,
    environ: Mapping[str, str] | None = None,
    platform: str = sys.platform,
    paths: AppPaths | None = None,
    elevated: bool | None = None,
    capture: str | None = None,
) -> Backend:
    """Decide the backend from the options, the environment and the platform; raises ValidationError on conflicts.

    ``elevated`` (default: ask Windows) refuses a custom netsh in a process with administrator rights: a normal
    user can set LOOPBACK_TUNER_NETSH for their own elevated processes, and that must never choose what runs.
    """
    env = os.environ if environ is None else environ
    if capture is not None:
        return _capture_backend(backend, netsh, state, capture)
    if backend is not None and backend not in BACKEND_NAMES:
        raise ValidationError(f"--backend must be netsh or simulated, got {backend!r}")
    custom = netsh or (env.get(ENV_NETSH) if backend != "simulated" else None)
    if backend == "simulated" and netsh:
        raise ValidationError("--netsh cannot be combined with --backend simulated")
    if state and (backend == "netsh" or custom):
        raise ValidationError("--state only applies to the simulated backend")
    if custom:
        if elevated if elevated is not None else process_is_elevated(platform):
            source = "--netsh" if netsh else f"{ENV_NETSH} (set in the environment)"
            raise ValidationError(
                f"{source} names a program to run as netsh, and this process has administrator "
                "rights: refused. Run it without administrator rights, or use the real netsh."
            )
        path = Path(custom).expanduser()
        if not path.is_absolute():
            path = Path.cwd() / path  # a path, never a bare name looked up on PATH
        return Backend(BackendKind.CUSTOM, netsh=path)
    if backend == "netsh" or (backend is None and platform == "win32"):
        if platform != "win32":
            raise ValidationError("the real netsh exists only on Windows; use --backend simulated or --netsh PATH")
        return Backend(BackendKind.SYSTEM)
    if state:
        state_path = Path(state).expanduser()
    else:
        if paths is None:
            from app.paths import AppPaths

            paths = AppPaths.default()
        state_path = paths.simulated_state
    return Backend(BackendKind.SIMULATED, state=state_path.absolute())


def _capture_backend(backend: str | None, netsh: str | None, state: str | None, capture: str) -> Backend:
    """A replay of a diagnostics file; the file is checked now, so a bad one is a usage error before anything runs.

    Raises ValidationError (a CaptureError for the file itself)."""
    if backend != "simulated" or netsh or state:
        raise ValidationError(
            "--capture replays a diagnostics file on the simulated backend: give --backend "
            "simulated, without --netsh or --state"
        )
    from app.simulator.capture import load_capture

    path = Path(capture).expanduser().absolute()
    load_capture(path)
    return Backend(BackendKind.CAPTURE, capture=path)


def process_is_elevated(platform: str = sys.platform, api: Win32Api | None = None) -> bool:
    """Whether this process has administrator rights (only Windows is asked; elsewhere False).

    Fails safe: when Windows cannot tell (the token query fails), the answer is True, so whatever an elevated
    process must not do (run a user-chosen netsh, the simulated backend) is refused. ``api`` is for tests.
    """
    if platform != "win32" or (api is None and sys.platform != "win32"):
        return False
    from app.platform.windows import default_api, is_elevated

    try:
        return is_elevated(api if api is not None else default_api())
    except OSError:
        return True  # cannot tell: assume the worst and refuse what an elevated process must not do


def sim_state(backend: Backend) -> SimStateFile:
    """The state file of a simulated backend; raises ValueError for other backends."""
    if backend.kind is not BackendKind.SIMULATED or backend.state is None:
        raise ValueError("not a simulated backend")
    from app.simulator.store import SimStateFile

    return SimStateFile(backend.state)


def make_runner(
    backend: Backend, *, as_admin: bool = False, timeout_s: float = 15.0, state: SimStateFile | None = None
) -> NetshRunner:
    """The NetshRunner for ``backend`` (``as_admin`` only matters to the simulated machine, ``state`` is its state
    object when the caller already holds one)."""
    if backend.kind is BackendKind.SIMULATED:
        from app.simulator.runner import SimulatedRunner

        return SimulatedRunner(state or sim_state(backend), as_admin=as_admin, timeout_s=timeout_s)
    if backend.kind is BackendKind.CAPTURE:
        return _capture_runner(backend)
    if backend.kind is BackendKind.CUSTOM:
        from app.runners.subprocess_runner import SubprocessRunner

        assert backend.netsh is not None
        return SubprocessRunner(
            [str(backend.netsh)],
            timeout_s=timeout_s,
            codepage=_windows_codepage(),
            label=f"netsh at {backend.netsh} (custom)",
        )
    from app.platform.windows import default_api

    return system_netsh_runner(default_api(), timeout_s=timeout_s)


def windows_build_source(backend: Backend, state: SimStateFile | None = None) -> BuildSource:
    """Where the Windows build behind ``backend`` comes from: the profile in simulation (``state``, when the caller
    holds the state object already), RtlGetVersion on Windows, nowhere for a custom netsh (its machine is unknown, so
    its output is never called "unsupported")."""
    if backend.kind is BackendKind.SIMULATED:
        from app.simulator.runner import SimulatedRunner

        return SimulatedRunner(state or sim_state(backend)).windows_build
    if backend.kind is BackendKind.SYSTEM:
        from app.platform.win32_version import system_build

        return system_build
    if backend.kind is BackendKind.CAPTURE:
        return _capture_runner(backend).windows_build
    return lambda: None


def _capture_runner(backend: Backend) -> CaptureRunner:
    """The replay of ``backend``'s diagnostics file; raises CaptureError (a ValidationError) when it is unusable."""
    from app.simulator.capture import CaptureRunner, load_capture

    assert backend.capture is not None
    return CaptureRunner(load_capture(backend.capture), backend.capture)


def system_netsh_runner(api: Win32Api, *, timeout_s: float) -> SubprocessRunner:
    """Windows' own netsh, started by its System32 path with a minimal environment, in System32.

    The helper runs it elevated: nothing of the user's environment (PATH, a planted DLL folder, a working folder
    the user can write) may reach it. SystemRoot is what Windows programs need to find their own files; PATH is
    System32 alone (seen from netsh, which is native, so never Sysnative). Whether netsh needs any other variable
    is UNCONFIRMED; a missing one shows up as a failed or unrecognized read, never as a wrong value.
    """
    from app.platform.windows import netsh_path
    from app.runners.subprocess_runner import SubprocessRunner

    root = api.get_system_root()
    system32 = str(PureWindowsPath(root, "System32"))
    return SubprocessRunner(
        [str(netsh_path(api))],
        timeout_s=timeout_s,
        codepage=_child_codepage(api),
        env={"SystemRoot": root, "PATH": system32},
        cwd=system32,
    )


def _child_codepage(api: object) -> int:
    """The code page netsh writes in. It is started with CREATE_NO_WINDOW, so it gets a console of its own, whose
    code page is the OEM one whatever ours is (a `chcp 65001` in our terminal does not reach it). UNCONFIRMED on a
    real machine; a wrong guess fails safe: the parser then reports "unrecognized", never a value."""
    return int(api.get_oem_cp())  # type: ignore[attr-defined]


def _windows_codepage() -> int | None:
    if sys.platform != "win32":
        return None  # a stand-in program off Windows: UTF-8, with the parser's fallback
    from app.platform.windows import default_api

    return _child_codepage(default_api())
