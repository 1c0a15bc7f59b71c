"""The Win32 named-pipe boundary of the helper channel: constants, the PipeApi protocol, pure pipe logic, ctypes."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import Protocol

# winbase.h / namedpipeapi.h
PIPE_ACCESS_DUPLEX = 0x00000003
FILE_FLAG_FIRST_PIPE_INSTANCE = 0x00080000
FILE_FLAG_OVERLAPPED = 0x40000000  # multiprocessing's PipeConnection does overlapped reads and writes
PIPE_TYPE_MESSAGE = 0x00000004
PIPE_READMODE_MESSAGE = 0x00000002
PIPE_WAIT = 0x00000000
PIPE_REJECT_REMOTE_CLIENTS = 0x00000008
SECURITY_SQOS_PRESENT = 0x00100000
SECURITY_IDENTIFICATION = 0x00010000  # SecurityIdentification << 16: the app may not impersonate the helper
GENERIC_READ, GENERIC_WRITE = 0x80000000, 0x40000000
OPEN_EXISTING = 3
SDDL_REVISION_1 = 1
TOKEN_QUERY = 0x0008
TOKEN_GROUPS_CLASS = 2  # TOKEN_INFORMATION_CLASS.TokenGroups
SE_GROUP_LOGON_ID = 0xC0000000
WAIT_OBJECT_0, WAIT_TIMEOUT = 0x00000000, 0x00000102
# winerror.h
ERROR_FILE_NOT_FOUND = 2
ERROR_ACCESS_DENIED = 5
ERROR_SEM_TIMEOUT = 121
ERROR_PIPE_BUSY = 231
ERROR_NO_DATA = 232
ERROR_PIPE_CONNECTED = 535

SERVER_OPEN_MODE = PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE | FILE_FLAG_OVERLAPPED
SERVER_PIPE_MODE = PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS
CLIENT_ACCESS = GENERIC_READ | GENERIC_WRITE
CLIENT_FLAGS = FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION
BUFFER_SIZE = 8192  # as multiprocessing's PipeListener
_LOGON_SID = re.compile(r"S-1-5-5-\d{1,10}-\d{1,10}")


class PipeError(OSError):
    """A pipe call failed; ``winerror`` says why."""

    def __init__(self, function: str, winerror: int) -> None:
        super().__init__(None, f"{function} failed (error {winerror})", None, winerror)
        self.function = function
        self.winerror = winerror  # OSError sets it on Windows only


class PipeNameTakenError(PipeError):
    """The pipe name exists already (FILE_FLAG_FIRST_PIPE_INSTANCE): someone else made it first."""


class PendingConnect(Protocol):
    def wait(self, timeout_ms: int) -> bool:
        """Wait for the overlapped ConnectNamedPipe: True once a client is connected; raises OSError."""
        ...

    def cancel(self) -> None:
        """Cancel the pending connect (CancelIoEx) and wait for it to end."""
        ...


class PipeApi(Protocol):
    """The pipe calls the channel needs; faked in tests, CtypesPipeApi on Windows. Failures raise OSError."""

    def token_groups(self) -> list[tuple[str, int]]:
        """This process token's groups (TokenGroups) as (string SID, attributes)."""
        ...

    def create_named_pipe(
        self,
        name: str,
        open_mode: int,
        pipe_mode: int,
        max_instances: int,
        out_buffer_size: int,
        in_buffer_size: int,
        default_timeout_ms: int,
        sddl: str,
    ) -> int:
        """CreateNamedPipeW with a security descriptor made from ``sddl``; the server handle."""
        ...

    def connect_named_pipe(self, handle: int) -> PendingConnect:
        """Start an overlapped ConnectNamedPipe."""
        ...

    def disconnect_named_pipe(self, handle: int) -> None: ...

    def get_named_pipe_client_process_id(self, handle: int) -> int: ...

    def get_named_pipe_server_process_id(self, handle: int) -> int: ...

    def create_file(self, name: str, desired_access: int, flags_and_attributes: int) -> int:
        """CreateFileW(name, access, no sharing, no attributes, OPEN_EXISTING, flags); the client handle."""
        ...

    def wait_named_pipe(self, name: str, timeout_ms: int) -> None: ...

    def set_message_read_mode(self, handle: int) -> None:
        """SetNamedPipeHandleState(PIPE_READMODE_MESSAGE)."""
        ...

    def get_process_id(self, process_handle: int) -> int: ...

    def close_handle(self, handle: int) -> None: ...


def logon_sid(groups: Sequence[tuple[str, int]]) -> str:
    """The logon SID (S-1-5-5-x-y) among a token's groups; raises PipeError if there is none."""
    for sid, attributes in groups:
        if attributes & SE_GROUP_LOGON_ID == SE_GROUP_LOGON_ID and _LOGON_SID.fullmatch(sid):
            return sid
    raise PipeError("GetTokenInformation(TokenGroups): no logon SID", 0)


def channel_sddl(logon: str) -> str:
    """A protected DACL for the pipe: the user's logon session, SYSTEM and Administrators; nobody else."""
    if not _LOGON_SID.fullmatch(logon):
        raise ValueError(f"not a logon SID: {logon!r}")
    return f"D:P(A;;GA;;;{logon})(A;;GA;;;SY)(A;;GA;;;BA)"


class PipeServer:
    """The app's end: one pipe instance, only local clients, our DACL. Use from one (worker) thread."""

    def __init__(self, api: PipeApi, name: str) -> None:
        """Create the pipe; raises PipeNameTakenError if the name exists, PipeError otherwise."""
        self._api = api
        sddl = channel_sddl(logon_sid(api.token_groups()))
        try:
            self._handle: int | None = api.create_named_pipe(
                name, SERVER_OPEN_MODE, SERVER_PIPE_MODE, 1, BUFFER_SIZE, BUFFER_SIZE, 0, sddl
            )
        except OSError as exc:
            code = getattr(exc, "winerror", None) or 0
            if code in (ERROR_ACCESS_DENIED, ERROR_PIPE_BUSY):
                raise PipeNameTakenError("CreateNamedPipeW", code) from exc
            raise PipeError("CreateNamedPipeW", code) from exc
        self._pending: PendingConnect | None = None

    def _live(self) -> int:
        if self._handle is None:
            raise PipeError("ConnectNamedPipe: pipe closed", 0)
        return self._handle

    def wait_for_client(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for a client; True once one is connected. Raises PipeError."""
        handle = self._live()
        try:
            if self._pending is None:
                self._pending = self._api.connect_named_pipe(handle)
            if not self._pending.wait(max(0, round(timeout_s * 1000))):
                return False
        except OSError as exc:
            self._pending = None
            if getattr(exc, "winerror", None) == ERROR_NO_DATA:  # a client came and went: free the instance
                self._api.disconnect_named_pipe(handle)
                return False
            raise PipeError("ConnectNamedPipe", getattr(exc, "winerror", None) or 0) from exc
        self._pending = None
        return True

    def client_pid(self) -> int:
        return self._api.get_named_pipe_client_process_id(self._live())

    def disconnect(self) -> None:
        """Drop the connected client; the instance waits for the next one."""
        self._api.disconnect_named_pipe(self._live())

    def detach(self) -> int:
        """Hand the connected handle over (to a PipeConnection); this server no longer owns it."""
        handle, self._handle = self._live(), None
        return handle

    def close(self) -> None:
        """Cancel a pending connect and close the handle (once)."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if self._handle is not None:
            handle, self._handle = self._handle, None
            self._api.close_handle(handle)


def open_pipe_client(
    api: PipeApi,
    name: str,
    timeout_s: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[int, int]:
    """Connect to the app's pipe: (handle, the server's process id). Retries a missing or busy pipe until
    ``timeout_s``; raises PipeError (ERROR_ACCESS_DENIED at once: the DACL does not admit us)."""
    deadline = clock() + timeout_s
    while True:
        try:
            handle = api.create_file(name, CLIENT_ACCESS, CLIENT_FLAGS)
            break
        except OSError as exc:
            code = getattr(exc, "winerror", None) or 0
            if code not in (ERROR_FILE_NOT_FOUND, ERROR_PIPE_BUSY) or clock() >= deadline:
                raise PipeError("CreateFileW", code) from exc
            try:
                api.wait_named_pipe(name, max(1, min(1000, round((deadline - clock()) * 1000))))
            except OSError as wait_exc:
                if getattr(wait_exc, "winerror", None) == ERROR_FILE_NOT_FOUND:
                    sleep(0.05)  # WaitNamedPipe returns at once when no instance exists yet
                elif getattr(wait_exc, "winerror", None) != ERROR_SEM_TIMEOUT:
                    raise PipeError("WaitNamedPipeW", getattr(wait_exc, "winerror", None) or 0) from wait_exc
    try:
        api.set_message_read_mode(handle)
        return handle, api.get_named_pipe_server_process_id(handle)
    except OSError as exc:
        api.close_handle(handle)
        raise PipeError("GetNamedPipeServerProcessId", getattr(exc, "winerror", None) or 0) from exc


def default_pipe_api() -> PipeApi:
    """The real ctypes PipeApi (its module is imported only now); raises RuntimeError off Windows."""
    from app.platform.win32_pipes_ctypes import CtypesPipeApi

    return CtypesPipeApi()
