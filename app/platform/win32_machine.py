"""The Win32 calls behind the machine-wide records: the ProgramData known folder, the account name, the event log.

The raw calls sit behind :class:`MachineApi` (named and shaped like the SDK functions, so a test can assert
the exact arguments); the functions above it hold the logic and raise OSError with the Win32 error.
"""

# The protocol keeps the SDK's function names so it reads like the documentation.
# ruff: noqa: N802

from __future__ import annotations

import ctypes
import ntpath
import sys
from collections.abc import Sequence
from typing import Any, Protocol

# KnownFolders.h: FOLDERID_ProgramData, %ALLUSERSPROFILE% (normally C:\ProgramData). The environment
# variables ProgramData and ALLUSERSPROFILE are set by whoever starts the process; this GUID is not.
FOLDERID_PROGRAM_DATA = "{62AB5D82-FDC1-4DC3-A9DD-070D1D495D97}"
KF_FLAG_DEFAULT = 0x00000000
# winnt.h event types (ReportEventW's wType)
EVENTLOG_ERROR_TYPE = 0x0001
EVENTLOG_WARNING_TYPE = 0x0002
EVENTLOG_INFORMATION_TYPE = 0x0004
# lmcons.h: the longest user name, plus the terminating NUL
UNLEN = 256

EVENT_SOURCE = "Loopback Tuner"  # registered by packaging/installer.iss under ...\EventLog\Application
APP_FOLDER = "LoopbackTuner"


class MachineApi(Protocol):
    """The raw calls, one method each, with the SDK's parameters (output parameters become return values)."""

    def SHGetKnownFolderPath(self, rfid: str, flags: int, token: int | None) -> str: ...

    def GetUserNameW(self) -> str: ...

    def RegisterEventSourceW(self, server: str | None, source: str) -> int: ...

    def ReportEventW(
        self,
        handle: int,
        event_type: int,
        category: int,
        event_id: int,
        user_sid: int | None,
        num_strings: int,
        data_size: int,
        strings: tuple[str, ...],
        raw_data: bytes | None,
    ) -> bool: ...

    def DeregisterEventSource(self, handle: int) -> bool: ...


def machine_folder(api: MachineApi) -> str:
    r"""``<ProgramData>\LoopbackTuner``, ProgramData taken from the known-folder API, never the environment."""
    return ntpath.join(api.SHGetKnownFolderPath(FOLDERID_PROGRAM_DATA, KF_FLAG_DEFAULT, None), APP_FOLDER)


def account_name(api: MachineApi) -> str:
    """The account this process runs as, from its token (GetUserNameW); raises OSError."""
    return api.GetUserNameW()


def report_event(api: MachineApi, event_type: int, event_id: int, strings: Sequence[str]) -> None:
    """Write one entry to the Application log under :data:`EVENT_SOURCE`; raises OSError."""
    handle = api.RegisterEventSourceW(None, EVENT_SOURCE)
    if not handle:
        raise OSError(f"RegisterEventSourceW({EVENT_SOURCE!r}) failed")
    try:
        values = tuple(strings)
        if not api.ReportEventW(handle, event_type, 0, event_id, None, len(values), 0, values, None):
            raise OSError("ReportEventW failed")
    finally:
        api.DeregisterEventSource(handle)


class _GUID(ctypes.Structure):
    _fields_ = (
        ("Data1", ctypes.c_uint32),
        ("Data2", ctypes.c_uint16),
        ("Data3", ctypes.c_uint16),
        ("Data4", ctypes.c_ubyte * 8),
    )


def guid(text: str) -> _GUID:
    """A GUID string as the SDK struct (public: its byte layout is tested)."""
    import uuid

    value = uuid.UUID(text)
    guid = _GUID()
    guid.Data1, guid.Data2, guid.Data3 = value.fields[0], value.fields[1], value.fields[2]
    for i, byte in enumerate(value.bytes[8:]):
        guid.Data4[i] = byte
    return guid


class CtypesMachineApi:
    """:class:`MachineApi` over shell32, ole32 and advapi32 (Windows only)."""

    _shell32: Any
    _ole32: Any
    _advapi32: Any

    def __init__(self) -> None:
        """Load shell32, ole32 and advapi32; raises OSError off Windows."""
        if sys.platform != "win32":
            raise OSError("the Win32 API exists only on Windows")
        from ctypes import wintypes

        # Own WinDLL objects, so these prototypes do not leak into ctypes.windll's shared ones.
        self._shell32 = ctypes.WinDLL("shell32")
        self._ole32 = ctypes.WinDLL("ole32")
        self._advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
        self._shell32.SHGetKnownFolderPath.argtypes = (
            ctypes.POINTER(_GUID),
            wintypes.DWORD,
            wintypes.HANDLE,
            ctypes.POINTER(ctypes.c_void_p),
        )
        self._shell32.SHGetKnownFolderPath.restype = ctypes.c_long  # HRESULT
        self._ole32.CoTaskMemFree.argtypes = (ctypes.c_void_p,)
        self._ole32.CoTaskMemFree.restype = None
        self._advapi32.GetUserNameW.argtypes = (wintypes.LPWSTR, ctypes.POINTER(wintypes.DWORD))
        self._advapi32.GetUserNameW.restype = wintypes.BOOL
        self._advapi32.RegisterEventSourceW.argtypes = (wintypes.LPCWSTR, wintypes.LPCWSTR)
        self._advapi32.RegisterEventSourceW.restype = wintypes.HANDLE
        self._advapi32.ReportEventW.argtypes = (
            wintypes.HANDLE,
            wintypes.WORD,
            wintypes.WORD,
            wintypes.DWORD,
            ctypes.c_void_p,  # PSID
            wintypes.WORD,
            wintypes.DWORD,
            ctypes.POINTER(wintypes.LPCWSTR),
            ctypes.c_void_p,
        )
        self._advapi32.ReportEventW.restype = wintypes.BOOL
        self._advapi32.DeregisterEventSource.argtypes = (wintypes.HANDLE,)
        self._advapi32.DeregisterEventSource.restype = wintypes.BOOL

    def SHGetKnownFolderPath(self, rfid: str, flags: int, token: int | None) -> str:
        out = ctypes.c_void_p()
        guid_value = guid(rfid)
        hr = self._shell32.SHGetKnownFolderPath(ctypes.byref(guid_value), flags, token, ctypes.byref(out))
        try:
            if hr != 0 or not out.value:
                raise OSError(f"SHGetKnownFolderPath failed (HRESULT 0x{hr & 0xFFFFFFFF:08X})")
            return str(ctypes.wstring_at(out.value))
        finally:
            self._ole32.CoTaskMemFree(out)  # the documentation: free it even when the call fails

    def GetUserNameW(self) -> str:
        from ctypes import wintypes

        size = wintypes.DWORD(UNLEN + 1)
        buffer = ctypes.create_unicode_buffer(UNLEN + 1)
        if not self._advapi32.GetUserNameW(buffer, ctypes.byref(size)):
            raise OSError(f"GetUserNameW failed (error {ctypes.get_last_error()})")  # type: ignore[attr-defined,unused-ignore]
        return buffer.value

    def RegisterEventSourceW(self, server: str | None, source: str) -> int:
        return int(self._advapi32.RegisterEventSourceW(server, source) or 0)

    def ReportEventW(
        self,
        handle: int,
        event_type: int,
        category: int,
        event_id: int,
        user_sid: int | None,
        num_strings: int,
        data_size: int,
        strings: tuple[str, ...],
        raw_data: bytes | None,
    ) -> bool:
        from ctypes import wintypes

        array = (wintypes.LPCWSTR * max(1, len(strings)))(*strings)
        return bool(
            self._advapi32.ReportEventW(
                handle, event_type, category, event_id, user_sid, num_strings, data_size, array, raw_data
            )
        )

    def DeregisterEventSource(self, handle: int) -> bool:
        return bool(self._advapi32.DeregisterEventSource(handle))
