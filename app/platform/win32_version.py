"""The running Windows build number, from ntdll's RtlGetVersion (which, unlike GetVersionEx, is not shimmed).

The raw call sits behind :class:`VersionApi` (named and shaped like the SDK function, so a test can assert the
exact argument); :func:`windows_build` holds the logic and never raises: a build it cannot learn is None.
"""

# The protocol keeps the SDK's function name so it reads like the documentation.
# ruff: noqa: N802

from __future__ import annotations

import ctypes
import functools
import sys
from dataclasses import dataclass
from typing import Any, Protocol

STATUS_SUCCESS = 0
# sizeof(RTL_OSVERSIONINFOW): five ULONGs (size, major, minor, build, platform id) and WCHAR szCSDVersion[128].
RTL_OSVERSIONINFOW_SIZE = 5 * 4 + 128 * 2


@dataclass(frozen=True, slots=True)
class OsVersion:
    """The fields of RTL_OSVERSIONINFOW that the app reads."""

    major: int
    minor: int
    build: int
    platform_id: int


class VersionApi(Protocol):
    """RtlGetVersion with its output parameter as a return value: (NTSTATUS, the structure's fields)."""

    def RtlGetVersion(self, info_size: int) -> tuple[int, OsVersion]: ...


def windows_build(api: VersionApi) -> int | None:
    """The build number (e.g. 22631), or None when Windows does not say (a failed call or a zero build).

    An unknown build must never be taken for an old one: callers treat None as "cannot tell".
    """
    try:
        status, version = api.RtlGetVersion(RTL_OSVERSIONINFOW_SIZE)
    except OSError:
        return None
    if status != STATUS_SUCCESS or version.build <= 0:
        return None
    return version.build


@functools.cache  # a running Windows does not change its build
def system_build() -> int | None:
    """This machine's build through ntdll (None off Windows or when ntdll cannot be loaded)."""
    try:
        api = CtypesVersionApi()
    except OSError:
        return None
    return windows_build(api)


class _RtlOsVersionInfoW(ctypes.Structure):
    _fields_ = (
        ("dwOSVersionInfoSize", ctypes.c_uint32),
        ("dwMajorVersion", ctypes.c_uint32),
        ("dwMinorVersion", ctypes.c_uint32),
        ("dwBuildNumber", ctypes.c_uint32),
        ("dwPlatformId", ctypes.c_uint32),
        ("szCSDVersion", ctypes.c_wchar * 128),
    )


class CtypesVersionApi:
    """:class:`VersionApi` over ntdll (Windows only)."""

    _ntdll: Any

    def __init__(self) -> None:
        """Load ntdll; raises OSError off Windows."""
        if sys.platform != "win32":
            raise OSError("the Win32 API exists only on Windows")
        self._ntdll = ctypes.WinDLL("ntdll")  # its own WinDLL: no prototype leaks into ctypes.windll
        self._ntdll.RtlGetVersion.argtypes = (ctypes.POINTER(_RtlOsVersionInfoW),)
        self._ntdll.RtlGetVersion.restype = ctypes.c_long  # NTSTATUS

    def RtlGetVersion(self, info_size: int) -> tuple[int, OsVersion]:
        info = _RtlOsVersionInfoW()
        info.dwOSVersionInfoSize = info_size
        status = int(self._ntdll.RtlGetVersion(ctypes.byref(info)))
        return status, OsVersion(info.dwMajorVersion, info.dwMinorVersion, info.dwBuildNumber, info.dwPlatformId)
