"""The Win32 calls behind a diagnostics file: UI languages, code pages, and the version's UBR, edition and release.

The raw calls sit behind :class:`SystemInfoApi` (named and shaped like the SDK functions, so a test can assert the
exact arguments); :func:`windows_facts` holds the logic and never raises: a fact Windows does not give is None.
Nothing here reads a user, computer or domain name.
"""

# The protocol keeps the SDK's function names so it reads like the documentation.
# ruff: noqa: N802

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from app.domain.capture import WindowsFacts

# winreg.h
HKEY_LOCAL_MACHINE = 0x80000002
RRF_RT_REG_SZ = 0x00000002
RRF_RT_REG_DWORD = 0x00000010
RRF_SUBKEY_WOW6464KEY = 0x00010000  # the 64-bit view, also from a 32-bit Python on 64-bit Windows
ERROR_MORE_DATA = 234
# winnls.h
LOCALE_NAME_MAX_LENGTH = 85
# HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion: UBR (REG_DWORD, the update build revision), EditionID
# (REG_SZ, e.g. "Professional") and DisplayVersion (REG_SZ, e.g. "23H2"; only from Windows 10 20H2 on).
CURRENT_VERSION_KEY = "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"

T = TypeVar("T")


class SystemInfoApi(Protocol):
    """The raw calls, one method each, with the SDK's parameters (output parameters become return values)."""

    def GetUserDefaultUILanguage(self) -> int: ...

    def GetSystemDefaultUILanguage(self) -> int: ...

    def LCIDToLocaleName(self, locale: int, flags: int) -> str:
        """Raises OSError when Windows has no name for ``locale``."""
        ...

    def GetOEMCP(self) -> int: ...

    def GetACP(self) -> int: ...

    def GetConsoleOutputCP(self) -> int: ...

    def RegGetValueW(self, key: int, subkey: str, value: str, flags: int) -> int | str:
        """Raises OSError (FileNotFoundError for a value that does not exist)."""
        ...


def _maybe(call: Callable[[], T]) -> T | None:
    try:
        return call()
    except OSError:
        return None


def _language(api: SystemInfoApi, langid: int) -> str | None:
    """A LANGID as a locale name (``de-DE``); None when Windows has none for it."""
    return _maybe(lambda: api.LCIDToLocaleName(langid, 0)) or None


def windows_facts(api: SystemInfoApi, build: int | None, elevated: bool | None) -> WindowsFacts:
    """What a diagnostics file says about this Windows; ``build`` comes from RtlGetVersion (win32_version)."""
    ubr = _maybe(lambda: api.RegGetValueW(HKEY_LOCAL_MACHINE, CURRENT_VERSION_KEY, "UBR", _dword()))
    edition = _maybe(lambda: api.RegGetValueW(HKEY_LOCAL_MACHINE, CURRENT_VERSION_KEY, "EditionID", _sz()))
    release = _maybe(lambda: api.RegGetValueW(HKEY_LOCAL_MACHINE, CURRENT_VERSION_KEY, "DisplayVersion", _sz()))
    return WindowsFacts(
        build=build,
        ubr=ubr if isinstance(ubr, int) else None,
        edition=edition if isinstance(edition, str) and edition else None,
        display_version=release if isinstance(release, str) and release else None,
        user_ui_language=_language(api, api.GetUserDefaultUILanguage()),
        system_ui_language=_language(api, api.GetSystemDefaultUILanguage()),
        oem_codepage=api.GetOEMCP() or None,
        ansi_codepage=api.GetACP() or None,
        console_output_codepage=api.GetConsoleOutputCP(),
        elevated=elevated,
    )


def predefined_key(key: int, pointer_bytes: int = ctypes.sizeof(ctypes.c_void_p)) -> int:
    """A predefined HKEY as the handle value Windows expects: winreg.h defines them as ``(HKEY)(ULONG_PTR)((LONG)
    0x80000002)``, sign-extended to the pointer's width (0xFFFFFFFF80000002 in a 64-bit process)."""
    return ctypes.c_int32(key).value & ((1 << (8 * pointer_bytes)) - 1)


def _dword() -> int:
    return RRF_RT_REG_DWORD | RRF_SUBKEY_WOW6464KEY


def _sz() -> int:
    return RRF_RT_REG_SZ | RRF_SUBKEY_WOW6464KEY


class CtypesSystemInfoApi:
    """:class:`SystemInfoApi` over kernel32 and advapi32 (Windows only)."""

    _kernel32: Any
    _advapi32: Any

    def __init__(self) -> None:
        """Load kernel32 and advapi32; raises OSError off Windows."""
        if sys.platform != "win32":
            raise OSError("the Win32 API exists only on Windows")
        from ctypes import wintypes

        # Own WinDLL objects, so these prototypes do not leak into ctypes.windll's shared ones.
        self._kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        self._advapi32 = ctypes.WinDLL("advapi32")
        k = self._kernel32
        k.GetUserDefaultUILanguage.argtypes, k.GetUserDefaultUILanguage.restype = (), wintypes.WORD
        k.GetSystemDefaultUILanguage.argtypes, k.GetSystemDefaultUILanguage.restype = (), wintypes.WORD
        k.LCIDToLocaleName.argtypes = (wintypes.DWORD, wintypes.LPWSTR, ctypes.c_int, wintypes.DWORD)
        k.LCIDToLocaleName.restype = ctypes.c_int
        for name in ("GetOEMCP", "GetACP", "GetConsoleOutputCP"):
            getattr(k, name).argtypes, getattr(k, name).restype = (), wintypes.UINT
        self._advapi32.RegGetValueW.argtypes = (
            wintypes.HKEY,
            wintypes.LPCWSTR,
            wintypes.LPCWSTR,
            wintypes.DWORD,
            ctypes.POINTER(wintypes.DWORD),
            ctypes.c_void_p,
            ctypes.POINTER(wintypes.DWORD),
        )
        self._advapi32.RegGetValueW.restype = wintypes.LONG  # LSTATUS

    def GetUserDefaultUILanguage(self) -> int:
        return int(self._kernel32.GetUserDefaultUILanguage())

    def GetSystemDefaultUILanguage(self) -> int:
        return int(self._kernel32.GetSystemDefaultUILanguage())

    def LCIDToLocaleName(self, locale: int, flags: int) -> str:
        buffer = ctypes.create_unicode_buffer(LOCALE_NAME_MAX_LENGTH)
        if not self._kernel32.LCIDToLocaleName(locale, buffer, LOCALE_NAME_MAX_LENGTH, flags):
            raise OSError(f"LCIDToLocaleName failed (error {ctypes.get_last_error()})")  # type: ignore[attr-defined,unused-ignore]
        return buffer.value

    def GetOEMCP(self) -> int:
        return int(self._kernel32.GetOEMCP())

    def GetACP(self) -> int:
        return int(self._kernel32.GetACP())

    def GetConsoleOutputCP(self) -> int:
        return int(self._kernel32.GetConsoleOutputCP())

    def RegGetValueW(self, key: int, subkey: str, value: str, flags: int) -> int | str:
        from ctypes import wintypes

        size = wintypes.DWORD(0)
        key = predefined_key(key)
        status = self._advapi32.RegGetValueW(key, subkey, value, flags, None, None, ctypes.byref(size))
        if status == 0 and size.value:
            buffer = ctypes.create_string_buffer(size.value)
            status = self._advapi32.RegGetValueW(key, subkey, value, flags, None, buffer, ctypes.byref(size))
            if status == 0:
                if flags & RRF_RT_REG_DWORD:
                    return int.from_bytes(buffer.raw[:4], "little")
                return ctypes.wstring_at(ctypes.addressof(buffer), size.value // 2).rstrip("\0")
        if status == 2:  # ERROR_FILE_NOT_FOUND: no such value (e.g. DisplayVersion before 20H2)
            raise FileNotFoundError(f"registry value {value!r} not found")
        raise OSError(f"RegGetValueW({value!r}) failed (error {status})")


def system_facts(build: int | None, elevated: bool | None, api: SystemInfoApi | None = None) -> WindowsFacts:
    """This machine's facts (off Windows, or when the DLLs cannot be loaded: only ``build`` and ``elevated``)."""
    if api is None:
        try:
            api = CtypesSystemInfoApi()
        except OSError:
            return WindowsFacts(build=build, elevated=elevated)
    return windows_facts(api, build, elevated)
