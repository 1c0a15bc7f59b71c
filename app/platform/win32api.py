"""The raw Win32 boundary: constants, SHELLEXECUTEINFOW, the injectable Win32Api protocol, its ctypes implementation."""

# SHELLEXECUTEINFOW keeps the SDK's field names (cbSize, lpFile...) so it reads like the documentation.
# ruff: noqa: N815

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable, Mapping
from typing import Any, Protocol, cast

# shellapi.h
SEE_MASK_NOCLOSEPROCESS = 0x00000040
SEE_MASK_NOASYNC = 0x00000100
SEE_MASK_FLAG_NO_UI = 0x00000400
# winuser.h
SW_HIDE = 0
SW_SHOWNORMAL = 1
# winerror.h
ERROR_SUCCESS = 0
ERROR_FILE_NOT_FOUND = 2
ERROR_PATH_NOT_FOUND = 3
ERROR_ACCESS_DENIED = 5
ERROR_NO_ASSOCIATION = 1155
ERROR_CANCELLED = 1223
# synchapi.h / winbase.h
WAIT_OBJECT_0 = 0x00000000
WAIT_ABANDONED = 0x00000080
WAIT_TIMEOUT = 0x00000102
WAIT_FAILED = 0xFFFFFFFF
INFINITE = 0xFFFFFFFF
MAX_FINITE_TIMEOUT_MS = INFINITE - 1
# winnt.h
TOKEN_QUERY = 0x0008
TOKEN_ELEVATION_CLASS = 20  # TOKEN_INFORMATION_CLASS.TokenElevation
IMAGE_FILE_MACHINE_UNKNOWN = 0
# objbase.h
COINIT_APARTMENTTHREADED = 0x2
COINIT_DISABLE_OLE1DDE = 0x4

_MAX_PATH = 260


class SHELLEXECUTEINFOW(ctypes.Structure):
    """shellapi.h SHELLEXECUTEINFOW with explicit-width fields: 112 bytes on 64-bit, 60 on 32-bit.

    shellapi.h packs to 1 byte on 32-bit only; every 32-bit field is 4 bytes wide, so natural
    alignment gives the same layout and no ``_pack_`` is needed.
    """

    cbSize: int
    fMask: int
    hwnd: int | None
    lpVerb: str | None
    lpFile: str | None
    lpParameters: str | None
    lpDirectory: str | None
    nShow: int
    hInstApp: int | None
    lpIDList: int | None
    lpClass: str | None
    hkeyClass: int | None
    dwHotKey: int
    hIconOrMonitor: int | None
    hProcess: int | None

    _fields_ = (
        ("cbSize", ctypes.c_uint32),  # DWORD
        ("fMask", ctypes.c_uint32),  # ULONG
        ("hwnd", ctypes.c_void_p),  # HWND
        ("lpVerb", ctypes.c_wchar_p),  # LPCWSTR
        ("lpFile", ctypes.c_wchar_p),
        ("lpParameters", ctypes.c_wchar_p),
        ("lpDirectory", ctypes.c_wchar_p),
        ("nShow", ctypes.c_int),  # int
        ("hInstApp", ctypes.c_void_p),  # HINSTANCE
        ("lpIDList", ctypes.c_void_p),  # void *
        ("lpClass", ctypes.c_wchar_p),
        ("hkeyClass", ctypes.c_void_p),  # HKEY
        ("dwHotKey", ctypes.c_uint32),  # DWORD
        ("hIconOrMonitor", ctypes.c_void_p),  # union { HANDLE hIcon; HANDLE hMonitor; }
        ("hProcess", ctypes.c_void_p),  # HANDLE
    )


class Win32Api(Protocol):
    """The handful of Win32 calls the app needs; faked in tests, CtypesWin32Api on Windows.

    Calls whose outcome the caller interprets return the raw value (``shell_execute_ex``,
    ``wait_for_single_object``; then ``get_last_error`` on the same thread). The others raise
    OSError when Windows reports a failure.
    """

    def shell_execute_ex(self, info: SHELLEXECUTEINFOW) -> bool:
        """ShellExecuteExW; fills ``info.hProcess``. False means: read get_last_error()."""
        ...

    def get_last_error(self) -> int:
        """The calling thread's last Win32 error, as saved after the previous call."""
        ...

    def wait_for_single_object(self, handle: int, timeout_ms: int) -> int:
        """WaitForSingleObject: WAIT_OBJECT_0, WAIT_TIMEOUT or WAIT_FAILED."""
        ...

    def get_exit_code_process(self, handle: int) -> int:
        """GetExitCodeProcess; raises OSError on failure."""
        ...

    def close_handle(self, handle: int) -> None:
        """CloseHandle; raises OSError on failure."""
        ...

    def is_process_elevated(self) -> bool:
        """Whether this process's token is elevated (TokenElevation); raises OSError on failure."""
        ...

    def get_oem_cp(self) -> int:
        """GetOEMCP."""
        ...

    def get_console_output_cp(self) -> int:
        """GetConsoleOutputCP: 0 when the process has no console."""
        ...

    def is_64bit_windows(self) -> bool:
        """Whether the OS is 64-bit (this process is 64-bit or runs under WOW64); raises OSError on failure."""
        ...

    def get_system_root(self) -> str:
        """GetSystemWindowsDirectoryW, e.g. ``C:\\Windows``; raises OSError on failure."""
        ...

    def get_user_ui_language(self) -> str:
        """The user's display language as a locale name (GetUserDefaultUILanguage), e.g. ``de-DE``."""
        ...


def bind(dll: Any, name: str, restype: Any, *argtypes: Any) -> Callable[..., Any]:
    """Look up one export of ``dll`` and give it a prototype; raises AttributeError if it is missing."""
    function = getattr(dll, name)
    function.restype = restype
    function.argtypes = argtypes
    return cast("Callable[..., Any]", function)


_LOCALE_NAME_MAX_LENGTH = 85
_DLLS = ("kernel32", "advapi32", "shell32", "ole32")


class CtypesWin32Api:
    """The real Win32Api over ctypes; the DLLs are loaded here, in the constructor, never at import time."""

    _get_last_error_fn: Callable[[], int]
    _format_error: Callable[[int], str]
    _shell_execute_ex: Callable[..., Any]
    _co_initialize_ex: Callable[..., Any]
    _co_uninitialize: Callable[..., Any]
    _wait_for_single_object: Callable[..., Any]
    _get_exit_code_process: Callable[..., Any]
    _close_handle: Callable[..., Any]
    _get_current_process: Callable[..., Any]
    _open_process_token: Callable[..., Any]
    _get_token_information: Callable[..., Any]
    _get_oem_cp: Callable[..., Any]
    _get_console_output_cp: Callable[..., Any]
    _is_wow64_process2: Callable[..., Any] | None
    _is_wow64_process: Callable[..., Any]
    _get_system_windows_directory: Callable[..., Any]
    _get_user_default_ui_language: Callable[..., Any]
    _lcid_to_locale_name: Callable[..., Any]

    def __init__(
        self,
        dlls: Mapping[str, Any] | None = None,
        get_last_error: Callable[[], int] | None = None,
        format_error: Callable[[int], str] | None = None,
    ) -> None:
        """Load kernel32, advapi32, shell32 and ole32; raises RuntimeError off Windows.

        The arguments are a test seam, all or none: ``dlls`` maps each DLL name to an object whose attributes
        are the exports (a fake of ctypes' function table), with ctypes' ``get_last_error`` and ``FormatError``.
        """
        if dlls is None:
            if sys.platform != "win32":
                raise RuntimeError(
                    f"CtypesWin32Api needs Windows; this is {sys.platform!r}. Inject a fake Win32Api instead."
                )
            # Each WinDLL object has its own function cache, so these prototypes do not leak into ctypes.windll.
            # Without use_last_error, COM calls leave ctypes' saved last error (from ShellExecuteExW) untouched.
            dlls = {name: ctypes.WinDLL(name, use_last_error=name != "ole32") for name in _DLLS}
            get_last_error, format_error = ctypes.get_last_error, ctypes.FormatError
        if get_last_error is None or format_error is None:
            raise TypeError("inject get_last_error and format_error with the dlls")
        c_void_p, c_uint32, c_int = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int
        kernel32, advapi32, shell32, ole32 = (dlls[name] for name in _DLLS)
        self._get_last_error_fn = get_last_error
        self._format_error = format_error
        self._shell_execute_ex = bind(shell32, "ShellExecuteExW", c_int, ctypes.POINTER(SHELLEXECUTEINFOW))
        self._co_initialize_ex = bind(ole32, "CoInitializeEx", ctypes.c_long, c_void_p, c_uint32)
        self._co_uninitialize = bind(ole32, "CoUninitialize", None)
        self._wait_for_single_object = bind(kernel32, "WaitForSingleObject", c_uint32, c_void_p, c_uint32)
        self._get_exit_code_process = bind(kernel32, "GetExitCodeProcess", c_int, c_void_p, ctypes.POINTER(c_uint32))
        self._close_handle = bind(kernel32, "CloseHandle", c_int, c_void_p)
        self._get_current_process = bind(kernel32, "GetCurrentProcess", c_void_p)
        self._open_process_token = bind(
            advapi32, "OpenProcessToken", c_int, c_void_p, c_uint32, ctypes.POINTER(c_void_p)
        )
        self._get_token_information = bind(
            advapi32, "GetTokenInformation", c_int, c_void_p, c_int, c_void_p, c_uint32, ctypes.POINTER(c_uint32)
        )
        self._get_oem_cp = bind(kernel32, "GetOEMCP", ctypes.c_uint)
        self._get_console_output_cp = bind(kernel32, "GetConsoleOutputCP", ctypes.c_uint)
        try:  # Windows 10 1511+
            self._is_wow64_process2 = bind(
                kernel32,
                "IsWow64Process2",
                c_int,
                c_void_p,
                ctypes.POINTER(ctypes.c_ushort),
                ctypes.POINTER(ctypes.c_ushort),
            )
        except AttributeError:
            self._is_wow64_process2 = None
        self._is_wow64_process = bind(kernel32, "IsWow64Process", c_int, c_void_p, ctypes.POINTER(c_int))
        self._get_system_windows_directory = bind(
            kernel32, "GetSystemWindowsDirectoryW", ctypes.c_uint, ctypes.c_wchar_p, ctypes.c_uint
        )
        self._get_user_default_ui_language = bind(kernel32, "GetUserDefaultUILanguage", ctypes.c_ushort)
        self._lcid_to_locale_name = bind(
            kernel32, "LCIDToLocaleName", c_int, c_uint32, ctypes.c_wchar_p, c_int, c_uint32
        )

    def _error(self, function: str) -> OSError:
        """An OSError carrying the last Win32 error of ``function`` (like ctypes.WinError)."""
        code = self._get_last_error_fn()
        return OSError(None, f"{function} failed: {self._format_error(code)}", None, code)

    def shell_execute_ex(self, info: SHELLEXECUTEINFOW) -> bool:
        """ShellExecuteExW with COM initialised around it, as its documentation asks."""
        hresult = int(self._co_initialize_ex(None, COINIT_APARTMENTTHREADED | COINIT_DISABLE_OLE1DDE))
        try:
            return bool(self._shell_execute_ex(ctypes.byref(info)))
        finally:
            if hresult >= 0:  # S_OK or S_FALSE: balance it; RPC_E_CHANGED_MODE: the thread's COM is not ours
                self._co_uninitialize()

    def get_last_error(self) -> int:
        """ctypes' saved copy of GetLastError for this thread."""
        return self._get_last_error_fn()

    def wait_for_single_object(self, handle: int, timeout_ms: int) -> int:
        """WaitForSingleObject, raw result."""
        return int(self._wait_for_single_object(handle, timeout_ms))

    def get_exit_code_process(self, handle: int) -> int:
        """GetExitCodeProcess; raises OSError on failure."""
        code = ctypes.c_uint32()
        if not self._get_exit_code_process(handle, ctypes.byref(code)):
            raise self._error("GetExitCodeProcess")
        return code.value

    def close_handle(self, handle: int) -> None:
        """CloseHandle; raises OSError on failure."""
        if not self._close_handle(handle):
            raise self._error("CloseHandle")

    def is_process_elevated(self) -> bool:
        """TokenElevation of this process's token; raises OSError on failure."""
        token = ctypes.c_void_p()
        if not self._open_process_token(self._get_current_process(), TOKEN_QUERY, ctypes.byref(token)):
            raise self._error("OpenProcessToken")
        try:
            elevated = ctypes.c_uint32()  # TOKEN_ELEVATION { DWORD TokenIsElevated; }
            returned = ctypes.c_uint32()
            if not self._get_token_information(
                token, TOKEN_ELEVATION_CLASS, ctypes.byref(elevated), ctypes.sizeof(elevated), ctypes.byref(returned)
            ):
                raise self._error("GetTokenInformation")
            return elevated.value != 0
        finally:
            self._close_handle(token)

    def get_oem_cp(self) -> int:
        """GetOEMCP."""
        return int(self._get_oem_cp())

    def get_console_output_cp(self) -> int:
        """GetConsoleOutputCP (0 without a console)."""
        return int(self._get_console_output_cp())

    def is_64bit_windows(self) -> bool:
        """True for a 64-bit process, else whether this 32-bit process runs under WOW64; raises OSError on failure."""
        if sys.maxsize > 2**32:
            return True
        process = self._get_current_process()
        if self._is_wow64_process2 is not None:
            process_machine, native_machine = ctypes.c_ushort(), ctypes.c_ushort()
            if not self._is_wow64_process2(process, ctypes.byref(process_machine), ctypes.byref(native_machine)):
                raise self._error("IsWow64Process2")
            return process_machine.value != IMAGE_FILE_MACHINE_UNKNOWN
        wow64 = ctypes.c_int()
        if not self._is_wow64_process(process, ctypes.byref(wow64)):
            raise self._error("IsWow64Process")
        return wow64.value != 0

    def get_system_root(self) -> str:
        """GetSystemWindowsDirectoryW (not %SystemRoot%, which the user controls); raises OSError on failure."""
        size = _MAX_PATH
        while True:
            buffer = ctypes.create_unicode_buffer(size)
            length = int(self._get_system_windows_directory(buffer, size))
            if length == 0:
                raise self._error("GetSystemWindowsDirectoryW")
            if length < size:
                return buffer.value
            size = length  # too small: ``length`` is the size needed, terminator included

    def get_user_ui_language(self) -> str:
        """GetUserDefaultUILanguage as a locale name via LCIDToLocaleName; raises OSError on failure."""
        langid = int(self._get_user_default_ui_language())
        buffer = ctypes.create_unicode_buffer(_LOCALE_NAME_MAX_LENGTH)
        if not self._lcid_to_locale_name(langid, buffer, _LOCALE_NAME_MAX_LENGTH, 0):
            raise self._error("LCIDToLocaleName")
        return buffer.value
