"""The ctypes implementation of PipeApi (imported only on Windows, when the channel is opened)."""

# The ctypes structures keep the SDK's field names so they read like the documentation.

from __future__ import annotations

import contextlib
import ctypes
import importlib
import sys
from typing import Any

from app.platform.win32_pipes import (
    OPEN_EXISTING,
    PIPE_READMODE_MESSAGE,
    SDDL_REVISION_1,
    TOKEN_GROUPS_CLASS,
    TOKEN_QUERY,
    WAIT_TIMEOUT,
    PendingConnect,
    PipeError,
)


class _SidAndAttributes(ctypes.Structure):
    _fields_ = (("Sid", ctypes.c_void_p), ("Attributes", ctypes.c_uint32))


class _TokenGroups(ctypes.Structure):
    _fields_ = (("GroupCount", ctypes.c_uint32), ("Groups", _SidAndAttributes * 1))


class _SecurityAttributes(ctypes.Structure):
    _fields_ = (
        ("nLength", ctypes.c_uint32),
        ("lpSecurityDescriptor", ctypes.c_void_p),
        ("bInheritHandle", ctypes.c_int),
    )


class _WinapiPending:
    """An overlapped ConnectNamedPipe through the stdlib's _winapi (the same code multiprocessing uses)."""

    def __init__(self, winapi: Any, handle: int) -> None:
        self._winapi = winapi
        self._ov = winapi.ConnectNamedPipe(handle, overlapped=True)  # ERROR_PIPE_CONNECTED sets the event

    def wait(self, timeout_ms: int) -> bool:
        if self._winapi.WaitForSingleObject(self._ov.event, timeout_ms) == WAIT_TIMEOUT:
            return False
        _, err = self._ov.GetOverlappedResult(True)
        if err:
            raise PipeError("ConnectNamedPipe", err)
        return True

    def cancel(self) -> None:
        self._ov.cancel()
        with contextlib.suppress(OSError):  # ERROR_OPERATION_ABORTED: cancelled as asked
            self._ov.GetOverlappedResult(True)


class CtypesPipeApi:
    """The real PipeApi; DLLs are loaded in the constructor, never at import time."""

    _winapi: Any
    _create_pipe: Any
    _sddl_to_sd: Any
    _sid_to_string: Any
    _local_free: Any
    _open_token: Any
    _token_info: Any
    _current_process: Any
    _disconnect: Any
    _client_pid: Any
    _server_pid: Any
    _create_file: Any
    _wait_pipe: Any
    _set_state: Any
    _process_id: Any
    _close: Any
    _invalid: Any
    _last_error: Any

    def __init__(self) -> None:
        if sys.platform != "win32":
            raise RuntimeError(f"CtypesPipeApi needs Windows; this is {sys.platform!r}. Inject a fake PipeApi.")
        vp, u32, i32, wstr = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_wchar_p
        k32 = ctypes.WinDLL("kernel32", use_last_error=True)
        adv = ctypes.WinDLL("advapi32", use_last_error=True)
        self._winapi = importlib.import_module("_winapi")

        def bind(dll: Any, name: str, restype: Any, *argtypes: Any) -> Any:
            function = getattr(dll, name)
            function.restype, function.argtypes = restype, argtypes
            return function

        self._create_pipe = bind(k32, "CreateNamedPipeW", vp, wstr, u32, u32, u32, u32, u32, u32, vp)
        self._sddl_to_sd = bind(
            adv, "ConvertStringSecurityDescriptorToSecurityDescriptorW", i32, wstr, u32, ctypes.POINTER(vp), vp
        )
        self._sid_to_string = bind(adv, "ConvertSidToStringSidW", i32, vp, ctypes.POINTER(vp))
        self._local_free = bind(k32, "LocalFree", vp, vp)
        self._open_token = bind(adv, "OpenProcessToken", i32, vp, u32, ctypes.POINTER(vp))
        self._token_info = bind(adv, "GetTokenInformation", i32, vp, i32, vp, u32, ctypes.POINTER(u32))
        self._current_process = bind(k32, "GetCurrentProcess", vp)
        self._disconnect = bind(k32, "DisconnectNamedPipe", i32, vp)
        self._client_pid = bind(k32, "GetNamedPipeClientProcessId", i32, vp, ctypes.POINTER(u32))
        self._server_pid = bind(k32, "GetNamedPipeServerProcessId", i32, vp, ctypes.POINTER(u32))
        self._create_file = bind(k32, "CreateFileW", vp, wstr, u32, u32, vp, u32, u32, vp)
        self._wait_pipe = bind(k32, "WaitNamedPipeW", i32, wstr, u32)
        self._set_state = bind(k32, "SetNamedPipeHandleState", i32, vp, ctypes.POINTER(u32), vp, vp)
        self._process_id = bind(k32, "GetProcessId", u32, vp)
        self._close = bind(k32, "CloseHandle", i32, vp)
        self._invalid = ctypes.c_void_p(-1).value
        self._last_error = ctypes.get_last_error

    def _fail(self, function: str) -> PipeError:
        return PipeError(function, int(self._last_error()))

    def token_groups(self) -> list[tuple[str, int]]:
        token = ctypes.c_void_p()
        if not self._open_token(self._current_process(), TOKEN_QUERY, ctypes.byref(token)):
            raise self._fail("OpenProcessToken")
        try:
            size = ctypes.c_uint32()
            self._token_info(token, TOKEN_GROUPS_CLASS, None, 0, ctypes.byref(size))  # asks for the size
            buffer = ctypes.create_string_buffer(size.value)
            if not self._token_info(token, TOKEN_GROUPS_CLASS, buffer, size, ctypes.byref(size)):
                raise self._fail("GetTokenInformation")
            count = _TokenGroups.from_buffer(buffer).GroupCount
            entries = (_SidAndAttributes * count).from_buffer(buffer, _TokenGroups.Groups.offset)
            groups = []
            for entry in entries:
                text = ctypes.c_void_p()
                if not self._sid_to_string(entry.Sid, ctypes.byref(text)):
                    raise self._fail("ConvertSidToStringSidW")
                groups.append((ctypes.wstring_at(text.value or 0), int(entry.Attributes)))
                self._local_free(text)
            return groups
        finally:
            self._close(token)

    def create_named_pipe(
        self, name: str, open_mode: int, pipe_mode: int, max_instances: int, out_size: int, in_size: int,
        default_timeout_ms: int, sddl: str,
    ) -> int:  # fmt: skip
        descriptor = ctypes.c_void_p()
        if not self._sddl_to_sd(sddl, SDDL_REVISION_1, ctypes.byref(descriptor), None):
            raise self._fail("ConvertStringSecurityDescriptorToSecurityDescriptorW")
        try:
            attributes = _SecurityAttributes(ctypes.sizeof(_SecurityAttributes), descriptor, 0)
            handle = self._create_pipe(
                name, open_mode, pipe_mode, max_instances, out_size, in_size, default_timeout_ms,
                ctypes.byref(attributes),
            )  # fmt: skip
            if handle is None or handle == self._invalid:
                raise self._fail("CreateNamedPipeW")
            return int(handle)
        finally:
            self._local_free(descriptor)

    def connect_named_pipe(self, handle: int) -> PendingConnect:
        return _WinapiPending(self._winapi, handle)

    def disconnect_named_pipe(self, handle: int) -> None:
        if not self._disconnect(handle):
            raise self._fail("DisconnectNamedPipe")

    def get_named_pipe_client_process_id(self, handle: int) -> int:
        pid = ctypes.c_uint32()
        if not self._client_pid(handle, ctypes.byref(pid)):
            raise self._fail("GetNamedPipeClientProcessId")
        return pid.value

    def get_named_pipe_server_process_id(self, handle: int) -> int:
        pid = ctypes.c_uint32()
        if not self._server_pid(handle, ctypes.byref(pid)):
            raise self._fail("GetNamedPipeServerProcessId")
        return pid.value

    def create_file(self, name: str, desired_access: int, flags_and_attributes: int) -> int:
        handle = self._create_file(name, desired_access, 0, None, OPEN_EXISTING, flags_and_attributes, None)
        if handle is None or handle == self._invalid:
            raise self._fail("CreateFileW")
        return int(handle)

    def wait_named_pipe(self, name: str, timeout_ms: int) -> None:
        if not self._wait_pipe(name, timeout_ms):
            raise self._fail("WaitNamedPipeW")

    def set_message_read_mode(self, handle: int) -> None:
        mode = ctypes.c_uint32(PIPE_READMODE_MESSAGE)
        if not self._set_state(handle, ctypes.byref(mode), None, None):
            raise self._fail("SetNamedPipeHandleState")

    def get_process_id(self, process_handle: int) -> int:
        pid = int(self._process_id(process_handle))
        if not pid:
            raise self._fail("GetProcessId")
        return pid

    def close_handle(self, handle: int) -> None:
        if not self._close(handle):
            raise self._fail("CloseHandle")
