"""Starts the helper: through a UAC prompt on Windows, as a plain process when no elevation is needed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from app.domain.errors import LoopbackTunerError
from app.runners.sim_profile import UacAnswer
from app.runners.sim_store import SimStateFile


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


def helper_program() -> list[str]:
    """How to start this program's helper: the frozen exe's flag, or ``python -I -m app.helper``.

    ``-I`` (isolated mode) makes Python ignore PYTHON* variables and the user's site-packages, which a normal
    user could set to make an elevated interpreter load their code.
    """
    if getattr(sys, "frozen", False):
        return [sys.executable, "--elevated-helper"]
    python = Path(sys.executable)
    if sys.platform == "win32" and (python.with_name("pythonw.exe")).exists():
        python = python.with_name("pythonw.exe")  # no console window for the helper
    return [str(python), "-I", "-m", "app.helper"]


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

    def __init__(self, program: Sequence[str] | None = None) -> None:
        self.program = list(program) if program is not None else helper_program()
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


def _code_locations(program: Sequence[str]) -> list[str]:
    locations = [os.path.realpath(program[0])]
    if not getattr(sys, "frozen", False):
        import app

        locations.append(os.path.realpath(os.path.dirname(app.__file__)))
    return locations


class UacLauncher:
    """Windows: ShellExecuteExW "runas" owned by the app's window; one prompt per transaction."""

    def __init__(
        self,
        owner_hwnd: Callable[[], int | None] = lambda: None,
        program: Sequence[str] | None = None,
        api: object | None = None,
        code_locations: Sequence[str] | None = None,
    ) -> None:
        from app.platform.windows import ElevatedLauncher, default_api

        self._api = api if api is not None else default_api()
        self._launcher = ElevatedLauncher(self._api)  # type: ignore[arg-type]
        self.program = list(program) if program is not None else helper_program()
        self.owner_hwnd = owner_hwnd
        self._prompts = 0
        # What the elevated process would load: the program, and from a source checkout the app package too.
        self.code_locations = list(code_locations) if code_locations is not None else _code_locations(self.program)

    @property
    def prompts(self) -> int:
        return self._prompts

    def launch(self, args: Sequence[str], authkey: bytes) -> HelperProcess:
        from app.platform.windows import ElevationCancelledError as Win32Cancelled
        from app.platform.windows import ElevationFailedError, is_protected_location

        root = self._api.get_system_root()  # type: ignore[attr-defined]
        unprotected = [p for p in self.code_locations if not is_protected_location(p, root)]
        if unprotected:  # never elevate code that a normal user could have changed
            raise HelperStartError(
                f"Loopback Tuner runs from {unprotected[0]}, a folder normal users can change, so it will not "
                "ask for administrator rights to run that code. Install Loopback Tuner (it goes to Program "
                "Files), or start this session as administrator."
            )
        self._prompts += 1
        # ShellExecuteEx cannot hand over stdin; an elevated process's command line is not readable by
        # processes of other users, and a same-user process could read the key from the app's own memory anyway.
        params = [*self.program[1:], *args, "--authkey", authkey.hex()]
        try:
            return self._launcher.launch(self.program[0], params, owner_hwnd=self.owner_hwnd())
        except Win32Cancelled:
            raise ElevationCancelledError() from None
        except ElevationFailedError as exc:
            raise HelperStartError(str(exc)) from exc
