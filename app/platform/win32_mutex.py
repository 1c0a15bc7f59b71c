"""The machine-wide trial mutex ``Global\\LoopbackTuner-Trial``: the MutexApi protocol, its ctypes binding, the logic.

Only one elevated helper may try or revert a change at a time, whoever started it. The helper creates (or
opens) the named mutex and takes it without waiting; the OS releases it when the process ends, and the next
taker is told the previous owner died (WAIT_ABANDONED): the mutex is then still granted, and the caller says so.
"""

from __future__ import annotations

import ctypes
import enum
import sys
from collections.abc import Callable
from typing import Any, Protocol

from app.platform.win32api import bind

# synchapi.h / winbase.h
WAIT_OBJECT_0 = 0x00000000
WAIT_ABANDONED = 0x00000080
WAIT_TIMEOUT = 0x00000102
WAIT_FAILED = 0xFFFFFFFF
# winerror.h
ERROR_ACCESS_DENIED = 5

TRIAL_MUTEX_NAME = "Global\\LoopbackTuner-Trial"


class MutexApi(Protocol):
    """The four kernel32 calls the mutex needs (faked in tests, which assert the exact calls)."""

    def create_mutex(self, name: str) -> int | None:
        """CreateMutexW(NULL, FALSE, name): a handle, or None when it failed (see last_error)."""
        ...

    def wait_for_single_object(self, handle: int, milliseconds: int) -> int:
        """WaitForSingleObject(handle, milliseconds): WAIT_OBJECT_0, WAIT_ABANDONED, WAIT_TIMEOUT or WAIT_FAILED."""
        ...

    def release_mutex(self, handle: int) -> bool: ...

    def close_handle(self, handle: int) -> bool: ...

    def last_error(self) -> int: ...


class MutexTake(enum.Enum):
    """What taking the mutex found."""

    TAKEN = "taken"
    ABANDONED = "abandoned"  # taken; a previous owner ended without releasing it (a helper that died)
    BUSY = "busy"  # another process holds it


class MutexError(OSError):
    """The mutex could not be created or waited on (a Win32 error code in ``winerror``)."""


class Win32Mutex:
    """A named mutex held by this object from a successful take() until release()."""

    def __init__(self, api: MutexApi, name: str = TRIAL_MUTEX_NAME) -> None:
        self.api, self.name = api, name
        self._handle: int | None = None
        self._owned = False

    def take(self) -> MutexTake:
        """Create or open the mutex and take it without waiting; raises MutexError if Windows refuses."""
        if self._handle is not None:
            raise MutexError(0, f"{self.name} is already held by this object")
        handle = self.api.create_mutex(self.name)
        if not handle:
            code = self.api.last_error()
            raise MutexError(code, f"CreateMutexW({self.name}) failed (Windows error {code})")
        status = self.api.wait_for_single_object(handle, 0)
        if status in (WAIT_OBJECT_0, WAIT_ABANDONED):
            self._handle, self._owned = handle, True
            return MutexTake.ABANDONED if status == WAIT_ABANDONED else MutexTake.TAKEN
        code = self.api.last_error() if status == WAIT_FAILED else 0
        self.api.close_handle(handle)
        if status == WAIT_TIMEOUT:
            return MutexTake.BUSY
        raise MutexError(code, f"WaitForSingleObject({self.name}) returned {status:#x} (Windows error {code})")

    def release(self) -> None:
        """Release and close the mutex if this object holds it (safe to call more than once)."""
        handle, self._handle = self._handle, None
        if handle is None:
            return
        if self._owned:
            self._owned = False
            self.api.release_mutex(handle)
        self.api.close_handle(handle)

    @property
    def held(self) -> bool:
        return self._handle is not None


class CtypesMutexApi:
    """The real MutexApi; kernel32 is loaded in the constructor (raises RuntimeError off Windows), never at import."""

    _create: Callable[..., Any]
    _wait: Callable[..., Any]
    _release: Callable[..., Any]
    _close: Callable[..., Any]
    _get_last_error: Callable[[], int]

    def __init__(self) -> None:
        if sys.platform != "win32":
            raise RuntimeError(f"CtypesMutexApi needs Windows; this is {sys.platform!r}")
        c_void_p, c_uint32, c_int = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        # HANDLE CreateMutexW(LPSECURITY_ATTRIBUTES, BOOL bInitialOwner, LPCWSTR lpName)
        self._create = bind(kernel32, "CreateMutexW", c_void_p, c_void_p, c_int, ctypes.c_wchar_p)
        self._wait = bind(kernel32, "WaitForSingleObject", c_uint32, c_void_p, c_uint32)
        self._release = bind(kernel32, "ReleaseMutex", c_int, c_void_p)
        self._close = bind(kernel32, "CloseHandle", c_int, c_void_p)
        self._get_last_error = ctypes.get_last_error

    def create_mutex(self, name: str) -> int | None:
        handle = self._create(None, 0, name)
        return int(handle) if handle else None

    def wait_for_single_object(self, handle: int, milliseconds: int) -> int:
        return int(self._wait(handle, milliseconds))

    def release_mutex(self, handle: int) -> bool:
        return bool(self._release(handle))

    def close_handle(self, handle: int) -> bool:
        return bool(self._close(handle))

    def last_error(self) -> int:
        return self._get_last_error()
