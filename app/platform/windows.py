"""Pure Windows logic over the Win32Api protocol: netsh path, command-line quoting, elevated launch, code pages."""

from __future__ import annotations

import ctypes
import math
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import PureWindowsPath
from types import TracebackType
from typing import Self

from app.domain.commands import quote_argument
from app.platform.win32api import (
    ERROR_ACCESS_DENIED,
    ERROR_CANCELLED,
    ERROR_FILE_NOT_FOUND,
    ERROR_NO_ASSOCIATION,
    ERROR_PATH_NOT_FOUND,
    INFINITE,
    MAX_FINITE_TIMEOUT_MS,
    SEE_MASK_NOASYNC,
    SEE_MASK_NOCLOSEPROCESS,
    SHELLEXECUTEINFOW,
    SW_HIDE,
    WAIT_OBJECT_0,
    WAIT_TIMEOUT,
    CtypesWin32Api,
    Win32Api,
)

_ERROR_DESCRIPTIONS = {
    ERROR_FILE_NOT_FOUND: "file not found",
    ERROR_PATH_NOT_FOUND: "path not found",
    ERROR_ACCESS_DENIED: "access denied",
    ERROR_NO_ASSOCIATION: "no application is associated with the file",
    ERROR_CANCELLED: "cancelled by the user",
}
# CommandLineToArgvW and the MSVCRT split on space and tab only; quoting other whitespace too is harmless.
_NEEDS_QUOTES = " \t\n\v"


class Win32Error(Exception):
    """A Win32 call failed with ``winerror``."""

    def __init__(self, function: str, winerror: int) -> None:
        super().__init__(f"{function} failed (error {winerror})")
        self.function = function
        self.winerror = winerror


class ElevationError(Exception):
    """Base class: the elevated helper could not be started."""


class ElevationCancelledError(ElevationError):
    """The user declined the UAC prompt (ERROR_CANCELLED)."""

    winerror = ERROR_CANCELLED

    def __init__(self) -> None:
        super().__init__("The administrator permission prompt was declined.")


class ElevationFailedError(ElevationError):
    """Windows could not start the elevated helper; ``winerror`` says why (0 if Windows gave no code)."""

    def __init__(self, winerror: int, detail: str | None = None) -> None:
        description = detail or _ERROR_DESCRIPTIONS.get(winerror, "unexpected Windows error")
        super().__init__(f"Windows could not start the elevated helper (error {winerror}: {description})")
        self.winerror = winerror


def netsh_path(api: Win32Api, *, python_is_64bit: bool | None = None) -> PureWindowsPath:
    """The netsh.exe this process must run: System32, or Sysnative for 32-bit Python on 64-bit Windows.

    A 32-bit process on 64-bit Windows sees SysWOW64 when it asks for System32 (WOW64 file system
    redirection); Sysnative is the alias for the real, native System32. Raises OSError if the
    Windows directory or the OS bitness cannot be read.
    """
    return system_tool_path(api, "netsh.exe", python_is_64bit=python_is_64bit)


def system_tool_path(api: Win32Api, *parts: str, python_is_64bit: bool | None = None) -> PureWindowsPath:
    """A program under the native System32 (Sysnative for 32-bit Python on 64-bit Windows); raises OSError."""
    if python_is_64bit is None:
        python_is_64bit = sys.maxsize > 2**32
    folder = "Sysnative" if not python_is_64bit and api.is_64bit_windows() else "System32"
    return PureWindowsPath(api.get_system_root(), folder, *parts)


def _quote_argument(argument: str) -> str:
    if "\0" in argument:
        raise ValueError(f"a Windows command-line argument cannot contain NUL: {argument!r}")
    return quote_argument(argument, quote_on=_NEEDS_QUOTES)


def windows_command_line(args: Sequence[str]) -> str:
    """Join arguments into a command line that CommandLineToArgvW and the MSVCRT split back into ``args``.

    For arguments after the program name (what ShellExecuteEx's lpParameters holds). Never emits a
    doubled quote inside quotes, so old and new MSVCRT rules agree. Raises TypeError for a bare str
    and ValueError for an argument containing NUL.
    """
    if isinstance(args, str):
        raise TypeError("windows_command_line() takes a sequence of arguments, not a str")
    return " ".join(_quote_argument(argument) for argument in args)


class ElevatedProcess:
    """An elevated process's handle: wait for its exit code; closes the handle exactly once.

    ``close()`` while another thread is inside ``wait()`` defers the CloseHandle until that wait
    returns (closing a handle being waited on is undefined behaviour in Win32).
    """

    def __init__(self, api: Win32Api, handle: int, pid_of: Callable[[int], int] | None = None) -> None:
        self._api = api
        self._handle: int | None = handle
        self._lock = threading.Lock()
        self._waiters = 0
        self._close_requested = False
        self._pid_of = pid_of if pid_of is not None else _process_id
        self._pid: int | None = None

    @property
    def pid(self) -> int:
        """The process id (GetProcessId, asked once); raises ValueError after close(), OSError if Windows fails."""
        with self._lock:
            if self._pid is None:
                if self._handle is None or self._close_requested:
                    raise ValueError("pid of a closed ElevatedProcess")
                self._pid = self._pid_of(self._handle)
            return self._pid

    @property
    def closed(self) -> bool:
        """Whether close() was called."""
        return self._close_requested

    def wait(self, timeout_s: float | None) -> int | None:
        """Block until the process exits (run it in an executor): its exit code, or None on timeout.

        ``None`` waits forever. Raises ValueError for a negative or NaN timeout or after close(),
        Win32Error if waiting or reading the exit code fails.
        """
        timeout_ms = _timeout_ms(timeout_s)
        with self._lock:
            if self._close_requested or self._handle is None:
                raise ValueError("wait() on a closed ElevatedProcess")
            handle = self._handle
            self._waiters += 1
        try:
            result = self._api.wait_for_single_object(handle, timeout_ms)
            if result == WAIT_TIMEOUT:
                return None
            if result != WAIT_OBJECT_0:
                raise Win32Error("WaitForSingleObject", self._api.get_last_error())
            try:
                return self._api.get_exit_code_process(handle)
            except OSError as error:
                raise Win32Error("GetExitCodeProcess", getattr(error, "winerror", None) or 0) from error
        finally:
            with self._lock:
                self._waiters -= 1
                handle_to_close = self._take_handle_if_idle()
            if handle_to_close is not None:
                self._api.close_handle(handle_to_close)

    def close(self) -> None:
        """Close the process handle (once; later calls do nothing). Raises OSError if CloseHandle fails."""
        with self._lock:
            self._close_requested = True
            handle_to_close = self._take_handle_if_idle()
        if handle_to_close is not None:
            self._api.close_handle(handle_to_close)

    def _take_handle_if_idle(self) -> int | None:
        """With the lock held: hand out the handle for closing if close was asked and nobody waits."""
        if not self._close_requested or self._waiters or self._handle is None:
            return None
        handle, self._handle = self._handle, None
        return handle

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def _process_id(handle: int) -> int:
    from app.platform.win32_pipes import default_pipe_api

    return default_pipe_api().get_process_id(handle)


def _timeout_ms(timeout_s: float | None) -> int:
    if timeout_s is None:
        return INFINITE
    if math.isnan(timeout_s) or timeout_s < 0:
        raise ValueError(f"timeout must be None or >= 0 seconds, not {timeout_s!r}")
    if math.isinf(timeout_s):
        return INFINITE
    # Round up so a short positive timeout never becomes a poll; never reach INFINITE by accident.
    return min(math.ceil(timeout_s * 1000), MAX_FINITE_TIMEOUT_MS)


def _absolute_windows_path(path: str, what: str) -> str:
    if "\0" in path:
        raise ValueError(f"{what} cannot contain NUL: {path!r}")
    windows_path = PureWindowsPath(path)
    if not windows_path.is_absolute():
        raise ValueError(f"{what} must be an absolute Windows path (drive or UNC share and root): {path!r}")
    return str(windows_path)


class ElevatedLauncher:
    """Starts a program elevated ("runas") through ShellExecuteExW and hands back its process handle."""

    def __init__(self, api: Win32Api) -> None:
        self._api = api

    def launch(
        self, executable: str, args: Sequence[str], *, owner_hwnd: int | None, directory: str | None = None
    ) -> ElevatedProcess:
        """Show the UAC prompt (owned by ``owner_hwnd``) and start ``executable`` hidden with ``args``.

        ``directory`` defaults to the system directory, not our working directory. Blocks until the
        prompt is answered, so run it in an executor. Raises ValueError for a relative executable or
        directory (before any Win32 call), TypeError/ValueError for bad ``args`` (see
        windows_command_line), ElevationCancelledError if the user declines, ElevationFailedError if
        Windows cannot start it, OSError if the system directory cannot be read.
        """
        lp_file = _absolute_windows_path(executable, "executable")
        parameters = windows_command_line(args)
        if directory is None:
            lp_directory = str(PureWindowsPath(self._api.get_system_root()) / "System32")
        else:
            lp_directory = _absolute_windows_path(directory, "directory")

        info = SHELLEXECUTEINFOW()
        info.cbSize = ctypes.sizeof(SHELLEXECUTEINFOW)
        # No SEE_MASK_FLAG_NO_UI: the consent prompt is UI this call must be free to show.
        info.fMask = SEE_MASK_NOCLOSEPROCESS | SEE_MASK_NOASYNC
        info.hwnd = owner_hwnd
        info.lpVerb = "runas"
        info.lpFile = lp_file
        info.lpParameters = parameters
        info.lpDirectory = lp_directory
        info.nShow = SW_HIDE

        if not self._api.shell_execute_ex(info):
            error = self._api.get_last_error()
            if error == ERROR_CANCELLED:
                raise ElevationCancelledError
            raise ElevationFailedError(error)
        if not info.hProcess:
            raise ElevationFailedError(0, "Windows reported success but returned no process handle")
        return ElevatedProcess(self._api, info.hProcess)


def is_elevated(api: Win32Api) -> bool:
    """Whether this process already runs elevated. Raises OSError if the token cannot be queried."""
    return api.is_process_elevated()


def console_codepage(api: Win32Api) -> int:
    """The code page console programs like netsh write in: the console's, else (no console: GUI) the OEM one."""
    return api.get_console_output_cp() or api.get_oem_cp()


def default_api() -> Win32Api:
    """The real ctypes Win32Api. Raises RuntimeError off Windows."""
    if sys.platform != "win32":
        raise RuntimeError(f"the Win32 API is only available on Windows, not {sys.platform!r}")
    return CtypesWin32Api()
