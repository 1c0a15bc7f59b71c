"""CtypesWin32Api against a fake of ctypes' function table: every Win32 call, its arguments, and its prototype.

The fake DLLs hand out recording functions; the injected seam (``dlls``, ``get_last_error``, ``format_error``) is
what ``CtypesWin32Api()`` fills with ``ctypes.WinDLL`` objects on Windows. Out-parameters arrive as
``ctypes.byref(...)``; the fake writes through them as Windows would.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

import pytest

from app.platform.win32api import (
    COINIT_APARTMENTTHREADED,
    COINIT_DISABLE_OLE1DDE,
    SHELLEXECUTEINFOW,
    TOKEN_ELEVATION_CLASS,
    TOKEN_QUERY,
    CtypesWin32Api,
)

CURRENT_PROCESS = -1  # GetCurrentProcess's pseudo-handle
TOKEN = 0x7A7A
ACCESS_DENIED = 5
RPC_E_CHANGED_MODE = -2147417850  # 0x80010106 as the signed HRESULT ctypes.c_long returns


def _target(argument: object) -> Any:
    """What a ``ctypes.byref(x)`` argument points at (x itself)."""
    return argument._obj if type(argument).__name__ == "CArgObject" else argument  # type: ignore[attr-defined]


class FakeFunction:
    """One export: records (name, args) in the shared log and answers with ``behaviour(*args)``."""

    def __init__(self, name: str, log: list[tuple[str, tuple[object, ...]]], behaviour: Callable[..., Any]) -> None:
        self.name, self.log, self.behaviour = name, log, behaviour
        self.restype: Any = "unset"
        self.argtypes: Any = "unset"

    def __call__(self, *args: object) -> Any:
        self.log.append((self.name, args))
        return self.behaviour(*args)


class FakeDll:
    def __init__(self, exports: dict[str, FakeFunction]) -> None:
        self.exports = exports

    def __getattr__(self, name: str) -> FakeFunction:
        try:
            return self.exports[name]
        except KeyError:
            raise AttributeError(name) from None


class Windows:
    """The fake machine behind the fake DLLs; each field is what the next call answers."""

    def __init__(self) -> None:
        self.log: list[tuple[str, tuple[object, ...]]] = []
        self.last_error = 0
        self.elevated = 1
        self.open_token_ok = True
        self.token_info_ok = True
        self.co_init_hresult = 0  # S_OK
        self.shell_execute_ok = True
        self.system_root = r"C:\Windows"

    def api(self) -> CtypesWin32Api:
        def fn(name: str, behaviour: Callable[..., Any]) -> FakeFunction:
            return FakeFunction(name, self.log, behaviour)

        def open_token(process: object, access: int, token: object) -> int:
            if not self.open_token_ok:
                self.last_error = ACCESS_DENIED
                return 0
            _target(token).value = TOKEN
            return 1

        def token_information(token: object, cls: int, buffer: object, size: int, returned: object) -> int:
            if not self.token_info_ok:
                self.last_error = ACCESS_DENIED
                return 0
            _target(buffer).value = self.elevated
            _target(returned).value = 4
            return 1

        def windows_directory(buffer: Any, size: int) -> int:
            if len(self.system_root) + 1 > size:
                return len(self.system_root) + 1  # too small: the size needed, terminator included
            buffer.value = self.system_root
            return len(self.system_root)

        def shell_execute(info: object) -> int:
            return 1 if self.shell_execute_ok else 0

        kernel32 = {
            "GetCurrentProcess": fn("GetCurrentProcess", lambda: CURRENT_PROCESS),
            "CloseHandle": fn("CloseHandle", lambda handle: 1),
            "WaitForSingleObject": fn("WaitForSingleObject", lambda handle, ms: 0),
            "GetExitCodeProcess": fn("GetExitCodeProcess", lambda handle, code: 1),
            "GetOEMCP": fn("GetOEMCP", lambda: 850),
            "GetConsoleOutputCP": fn("GetConsoleOutputCP", lambda: 0),
            "IsWow64Process2": fn("IsWow64Process2", lambda *a: 1),
            "IsWow64Process": fn("IsWow64Process", lambda *a: 1),
            "GetSystemWindowsDirectoryW": fn("GetSystemWindowsDirectoryW", windows_directory),
            "GetUserDefaultUILanguage": fn("GetUserDefaultUILanguage", lambda: 0x0407),
            "LCIDToLocaleName": fn("LCIDToLocaleName", lambda *a: 6),
        }
        advapi32 = {
            "OpenProcessToken": fn("OpenProcessToken", open_token),
            "GetTokenInformation": fn("GetTokenInformation", token_information),
        }
        shell32 = {"ShellExecuteExW": fn("ShellExecuteExW", shell_execute)}
        ole32 = {
            "CoInitializeEx": fn("CoInitializeEx", lambda reserved, flags: self.co_init_hresult),
            "CoUninitialize": fn("CoUninitialize", lambda: None),
        }
        self.dlls = {name: FakeDll(e) for name, e in (("kernel32", kernel32), ("advapi32", advapi32),
                                                      ("shell32", shell32), ("ole32", ole32))}  # fmt: skip
        return CtypesWin32Api(self.dlls, lambda: self.last_error, lambda code: f"Windows error {code}")

    def names(self) -> list[str]:
        return [name for name, _ in self.log]

    def export(self, dll: str, name: str) -> FakeFunction:
        return self.dlls[dll].exports[name]


@pytest.fixture
def windows() -> Windows:
    return Windows()


def test_off_windows_without_the_seam_it_refuses_to_load() -> None:
    import sys

    if sys.platform == "win32":
        pytest.skip("checks the behaviour off Windows")
    with pytest.raises(RuntimeError, match="Inject a fake Win32Api"):
        CtypesWin32Api()


def test_the_dlls_must_come_with_the_error_functions(windows: Windows) -> None:
    windows.api()
    with pytest.raises(TypeError):
        CtypesWin32Api(windows.dlls)


def test_the_prototypes_are_bound_as_the_sdk_declares_them(windows: Windows) -> None:
    windows.api()
    token_info = windows.export("advapi32", "GetTokenInformation")
    assert token_info.restype is ctypes.c_int
    assert token_info.argtypes == (
        ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_uint32, ctypes.POINTER(ctypes.c_uint32)
    )  # fmt: skip
    open_token = windows.export("advapi32", "OpenProcessToken")
    assert open_token.argtypes == (ctypes.c_void_p, ctypes.c_uint32, ctypes.POINTER(ctypes.c_void_p))
    shell = windows.export("shell32", "ShellExecuteExW")
    assert shell.restype is ctypes.c_int and shell.argtypes == (ctypes.POINTER(SHELLEXECUTEINFOW),)
    assert windows.export("ole32", "CoInitializeEx").restype is ctypes.c_long  # an HRESULT: signed
    assert windows.export("ole32", "CoUninitialize").restype is None
    directory = windows.export("kernel32", "GetSystemWindowsDirectoryW")
    assert directory.restype is ctypes.c_uint and directory.argtypes == (ctypes.c_wchar_p, ctypes.c_uint)
    assert windows.log == []  # binding calls nothing


@pytest.mark.parametrize(("token_is_elevated", "expected"), [(1, True), (0, False)])
def test_is_process_elevated_reads_token_elevation_and_closes_the_token(
    windows: Windows, token_is_elevated: int, expected: bool
) -> None:
    windows.elevated = token_is_elevated
    api = windows.api()
    assert api.is_process_elevated() is expected
    assert windows.names() == ["GetCurrentProcess", "OpenProcessToken", "GetTokenInformation", "CloseHandle"]
    (_, (process, access, token_ref)) = windows.log[1]
    assert process == CURRENT_PROCESS and access == TOKEN_QUERY
    (_, (token, info_class, buffer, size, returned)) = windows.log[2]
    assert _target(token) is _target(token_ref) and _target(token).value == TOKEN
    assert info_class == TOKEN_ELEVATION_CLASS == 20 and size == ctypes.sizeof(ctypes.c_uint32) == 4
    assert isinstance(_target(buffer), ctypes.c_uint32) and isinstance(_target(returned), ctypes.c_uint32)
    (_, (closed,)) = windows.log[3]
    assert _target(closed).value == TOKEN


def test_is_process_elevated_raises_when_the_token_cannot_be_opened(windows: Windows) -> None:
    windows.open_token_ok = False
    api = windows.api()
    with pytest.raises(OSError, match="OpenProcessToken failed: Windows error 5") as caught:
        api.is_process_elevated()
    # The code reached FormatError ("Windows error 5"); OSError keeps it as .winerror on Windows only.
    assert getattr(caught.value, "winerror", ACCESS_DENIED) == ACCESS_DENIED
    assert windows.names() == ["GetCurrentProcess", "OpenProcessToken"]  # nothing opened, nothing to close


def test_is_process_elevated_raises_and_still_closes_the_token_when_the_query_fails(windows: Windows) -> None:
    windows.token_info_ok = False
    api = windows.api()
    with pytest.raises(OSError, match="GetTokenInformation failed"):
        api.is_process_elevated()
    assert windows.names()[-1] == "CloseHandle"


def test_get_system_root_grows_its_buffer_until_the_path_fits(windows: Windows) -> None:
    windows.system_root = "D:\\" + "w" * 400
    api = windows.api()
    assert api.get_system_root() == windows.system_root
    sizes = [args[1] for name, args in windows.log]
    assert windows.names() == ["GetSystemWindowsDirectoryW", "GetSystemWindowsDirectoryW"]
    assert sizes == [260, len(windows.system_root) + 1]  # MAX_PATH first, then exactly what Windows asked for


def test_get_system_root_in_one_call_when_it_fits(windows: Windows) -> None:
    api = windows.api()
    assert api.get_system_root() == r"C:\Windows"
    [(_, (buffer, size))] = windows.log
    assert size == 260 and ctypes.sizeof(buffer) == 260 * ctypes.sizeof(ctypes.c_wchar)


def test_get_system_root_raises_on_failure(windows: Windows) -> None:
    api = windows.api()
    windows.export("kernel32", "GetSystemWindowsDirectoryW").behaviour = lambda buffer, size: 0
    with pytest.raises(OSError, match="GetSystemWindowsDirectoryW failed"):
        api.get_system_root()


@pytest.mark.parametrize(("hresult", "balanced"), [(0, True), (1, True), (RPC_E_CHANGED_MODE, False)])
@pytest.mark.parametrize("ok", [True, False])
def test_shell_execute_ex_balances_com_initialisation(windows: Windows, hresult: int, balanced: bool, ok: bool) -> None:
    windows.co_init_hresult, windows.shell_execute_ok = hresult, ok
    api = windows.api()
    info = SHELLEXECUTEINFOW()
    assert api.shell_execute_ex(info) is ok
    expected = ["CoInitializeEx", "ShellExecuteExW"] + (["CoUninitialize"] if balanced else [])
    assert windows.names() == expected  # S_OK and S_FALSE are balanced; a thread already in another mode is not ours
    assert windows.log[0][1] == (None, COINIT_APARTMENTTHREADED | COINIT_DISABLE_OLE1DDE)
    assert _target(windows.log[1][1][0]) is info


def test_shell_execute_ex_uninitialises_com_even_when_the_call_raises(windows: Windows) -> None:
    api = windows.api()

    def boom(info: object) -> int:
        raise OSError("access violation")

    windows.export("shell32", "ShellExecuteExW").behaviour = boom
    with pytest.raises(OSError):
        api.shell_execute_ex(SHELLEXECUTEINFOW())
    assert windows.names() == ["CoInitializeEx", "ShellExecuteExW", "CoUninitialize"]
