"""Starts the helper: through a UAC prompt on Windows, as a plain process when no elevation is needed."""

from __future__ import annotations

import ntpath
import os
import posixpath
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from app.domain.errors import LoopbackTunerError
from app.elevation.entry import HELPER_FLAG
from app.simulator.profile import UacAnswer
from app.simulator.store import SimStateFile

if TYPE_CHECKING:
    from app.platform.win32_security import SecurityApi


class ElevationCancelledError(LoopbackTunerError):
    """The user declined the UAC prompt: nothing was changed."""

    def __init__(self, message: str = "The administrator prompt was cancelled; nothing was changed.") -> None:
        super().__init__(message)


class HelperStartError(LoopbackTunerError):
    """The helper could not be started."""


class HelperProcess(Protocol):
    @property
    def pid(self) -> int:
        """The helper's process id: the only process the app lets onto the channel."""
        ...

    def wait(self, timeout_s: float | None) -> int | None:
        """Block until the helper exits (its exit code) or ``timeout_s`` passes (None)."""
        ...

    def close(self) -> None:
        """Release the process handle (Windows); the process itself is not touched."""
        ...


class HelperLauncher(Protocol):
    @property
    def prompts(self) -> int:
        """How many elevation prompts this launcher has shown."""
        ...

    def launch(self, args: Sequence[str], authkey: bytes) -> HelperProcess:
        """Start the helper (blocking: it may show a UAC prompt); raises ElevationCancelledError, HelperStartError."""
        ...


GUI_EXE_STEM = "loopback-tuner"  # the windowed exe: it never opens a console window, so it is the helper


def frozen_helper_exe(executable: str, *, windows: bool = sys.platform == "win32") -> str:
    """The frozen GUI exe beside ``executable`` (either frozen exe), resolved once (links followed)."""
    if windows:
        return ntpath.realpath(ntpath.join(ntpath.dirname(ntpath.realpath(executable)), GUI_EXE_STEM + ".exe"))
    return posixpath.realpath(posixpath.join(posixpath.dirname(posixpath.realpath(executable)), GUI_EXE_STEM))


def helper_program() -> list[str]:
    """How to start this program's helper without UAC: the frozen GUI exe's flag, or ``python -I -m app.helper``.

    ``-I`` (isolated mode) makes Python ignore PYTHON* variables and the user's site-packages; it does not stop
    every variable that moves ``sys.prefix`` (see UacLauncher), which is why this is only used for a process
    that gets no more rights than the app's own.
    """
    return list(helper_command().argv)


@dataclass(frozen=True)
class HelperCommand:
    """The helper's command line, and what to add to our environment for it (None: nothing)."""

    argv: tuple[str, ...]
    environment: Mapping[str, str] | None = None


def helper_command(
    *,
    frozen: bool | None = None,
    executable: str | None = None,
    base_executable: str | None = None,
    windows: bool = sys.platform == "win32",
    exists: Callable[[str], bool] = os.path.exists,
) -> HelperCommand:
    """See helper_program; on Windows in a venv, the base interpreter itself, told which venv it runs in.

    A Windows venv's ``Scripts\\python.exe`` is a redirector that starts the base interpreter as a child
    process (bpo-34977), so the process that connects to the channel would not be the one launched, and the
    channel's peer check refuses it. multiprocessing bypasses the redirector the same way (bpo-35797): start
    ``sys._base_executable`` with ``__PYVENV_LAUNCHER__`` naming the venv's interpreter. This only starts a
    process with the app's own rights, from the app's own environment: nothing is elevated here.
    """
    frozen = getattr(sys, "frozen", False) if frozen is None else frozen
    executable = sys.executable if executable is None else executable
    if frozen:
        return HelperCommand((frozen_helper_exe(executable, windows=windows), HELPER_FLAG))
    module = ("-I", "-m", "app.helper")
    if not windows:
        return HelperCommand((executable, *module))
    base = getattr(sys, "_base_executable", executable) if base_executable is None else base_executable
    in_venv = ntpath.normcase(base) != ntpath.normcase(executable)
    python = base if in_venv else executable

    def windowless(path: str) -> str:  # no console window for the helper
        candidate = ntpath.join(ntpath.dirname(path), "pythonw.exe")
        return candidate if exists(candidate) else path

    if not in_venv:
        return HelperCommand((windowless(python), *module))
    return HelperCommand((windowless(python), *module), {"__PYVENV_LAUNCHER__": windowless(executable)})


class _Popen:
    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait(self, timeout_s: float | None) -> int | None:
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def close(self) -> None:
        """Nothing to release: Popen reaps the child when it is waited for."""


class ProcessLauncher:
    """Starts the helper as an ordinary child with the app's own rights (no prompt); key passed on stdin."""

    def __init__(self, program: Sequence[str] | None = None, environment: Mapping[str, str] | None = None) -> None:
        if program is None:
            command = helper_command()
            program, environment = command.argv, command.environment
        self.program = list(program)
        self.environment = dict(environment) if environment is not None else None  # added to ours
        self.launched = 0

    @property
    def prompts(self) -> int:
        return 0

    def launch(self, args: Sequence[str], authkey: bytes) -> HelperProcess:
        self.launched += 1
        kwargs: dict[str, object] = {}
        if sys.platform == "win32":
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP | 0x08000000  # CREATE_NO_WINDOW
        else:
            kwargs["start_new_session"] = True  # a Ctrl+C or a killed process group must not take it down
        if self.environment is not None:
            kwargs["env"] = {**os.environ, **self.environment}
        try:
            process = subprocess.Popen(
                [*self.program, *args, "--authkey-stdin"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                **kwargs,  # type: ignore[call-overload]
            )
        except OSError as exc:
            raise HelperStartError(f"the helper could not be started: {exc.strerror or exc}") from exc
        assert process.stdin is not None
        try:
            process.stdin.write(authkey.hex().encode() + b"\n")
            process.stdin.close()
        except OSError:
            pass  # it died at once; the caller sees that when it waits
        return _Popen(process)


class SimulatedUacLauncher(ProcessLauncher):
    """The simulated machine's UAC: no prompt when its session runs as administrator; otherwise the prompt
    answers as the profile says, then a plain process starts."""

    def __init__(self, state: SimStateFile, program: Sequence[str] | None = None) -> None:
        super().__init__(program)
        self.state = state
        self._prompts = 0

    @property
    def prompts(self) -> int:
        return self._prompts

    def launch(self, args: Sequence[str], authkey: bytes) -> HelperProcess:
        profile = self.state.load().profile
        if not profile.elevated:
            self._prompts += 1
            if profile.uac is UacAnswer.CANCEL:
                raise ElevationCancelledError()
        return super().launch(args, authkey)


ADMIN_TERMINAL_MESSAGE = (
    "Changing these settings needs administrator rights, and only the installed Loopback Tuner asks Windows for "
    "them: open a terminal as administrator and run the same command there."
)
UNPROTECTED_INSTALL_MESSAGE = (
    "Loopback Tuner runs from {folder}, a folder that users other than administrators can change, so it will not "
    "ask for administrator rights: install it with its installer, or start it from an administrator terminal."
)


class AdminTerminalRequiredError(HelperStartError):
    """This copy is not one Windows may elevate (not frozen, or not in an administrators-only folder): the user
    starts an administrator terminal instead. The message is one line. A HelperStartError, so the CLI exits 5
    (EXIT_ELEVATION) and the history records the attempt as failed."""


class UacLauncher:
    """Windows: ShellExecuteExW "runas" owned by the app's window; one prompt per transaction.

    Only the frozen, installed build is ever elevated: an interpreter cannot be made safe to elevate
    (``PYTHONEXECUTABLE`` and ``__PYVENV_LAUNCHER__`` move ``sys.prefix`` to a folder the user controls even
    under ``-I``, and a ``.pth`` there runs), so a source or pip install raises AdminTerminalRequiredError. The
    frozen exe is resolved once, its ACLs (and its folder's, up to the drive root) are checked on that string,
    and exactly that string is started.
    """

    def __init__(
        self,
        owner_hwnd: Callable[[], int | None] = lambda: None,
        api: object | None = None,
        security: SecurityApi | None = None,
    ) -> None:
        from app.platform.windows import ElevatedLauncher, default_api

        self._api = api if api is not None else default_api()
        self._launcher = ElevatedLauncher(self._api)  # type: ignore[arg-type]
        self._security = security
        self.owner_hwnd = owner_hwnd
        self._prompts = 0
        # Resolved here, once: the ACL check and ShellExecuteExW see this same string.
        self.program: str | None = (
            frozen_helper_exe(sys.executable, windows=True) if getattr(sys, "frozen", False) else None
        )

    @property
    def prompts(self) -> int:
        return self._prompts

    def launch(self, args: Sequence[str], authkey: bytes) -> HelperProcess:
        from app.platform.win32_security import default_security_api, is_admin_only
        from app.platform.windows import ElevationCancelledError as Win32Cancelled
        from app.platform.windows import ElevationFailedError

        exe = self.program
        if exe is None:
            raise AdminTerminalRequiredError(ADMIN_TERMINAL_MESSAGE)
        folder = ntpath.dirname(exe)
        security = self._security if self._security is not None else default_security_api()
        # The exe itself, and its folder (nothing may be added beside it: DLLs are looked for there first).
        if not (is_admin_only(exe, security) and is_admin_only(folder, security)):
            raise AdminTerminalRequiredError(UNPROTECTED_INSTALL_MESSAGE.format(folder=folder))
        self._prompts += 1
        # ShellExecuteEx cannot hand over stdin; an elevated process's command line is not readable by
        # processes of other users, and a same-user process could read the key from the app's own memory anyway.
        params = [HELPER_FLAG, *args, "--authkey", authkey.hex()]
        try:
            return self._launcher.launch(exe, params, owner_hwnd=self.owner_hwnd())
        except Win32Cancelled:
            raise ElevationCancelledError() from None
        except ElevationFailedError as exc:
            raise HelperStartError(str(exc)) from exc
