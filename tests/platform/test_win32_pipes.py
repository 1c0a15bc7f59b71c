"""The named-pipe channel over a recording fake PipeApi (exact calls and arguments), the real pipe on Windows only."""

from __future__ import annotations

import os
import socket
import sys
import threading
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

import pytest

from app.elevation.channel import (
    ChannelTimeoutError,
    PeerMismatchError,
    accept_helper,
    connect_to_app,
    handshake,
    open_listener,
)
from app.elevation.channel_transports import PipeTransport
from app.platform import win32_pipes
from app.platform.win32_pipes import (
    ERROR_ACCESS_DENIED,
    ERROR_FILE_NOT_FOUND,
    ERROR_NO_DATA,
    ERROR_PIPE_BUSY,
    PipeError,
    PipeNameTakenError,
    PipeServer,
    channel_sddl,
    logon_sid,
    open_pipe_client,
)
from app.platform.windows import ElevatedProcess

NAME = r"\\.\pipe\LoopbackTuner-" + "ab" * 16
LOGON = "S-1-5-5-0-371585"
GROUPS = [
    ("S-1-1-0", 0x7),  # Everyone
    ("S-1-5-32-545", 0x7),  # Users
    (LOGON, 0xC0000007),  # the logon session: mandatory, enabled, SE_GROUP_LOGON_ID
    ("S-1-5-11", 0x7),
]
SERVER_HANDLE, CLIENT_HANDLE = 0x2A0, 0x2B0
KEY = b"k" * 32
on_windows = pytest.mark.skipif(sys.platform != "win32", reason="needs a real Windows machine")


def os_error(winerror: int) -> OSError:
    error = OSError(None, "fake")
    error.winerror = winerror  # type: ignore[attr-defined]
    return error


@dataclass
class FakePending:
    api: FakePipeApi

    def wait(self, timeout_ms: int) -> bool:
        self.api.calls.append(("pending.wait", (timeout_ms,)))
        return self.api.connects.pop(0) if self.api.connects else False

    def cancel(self) -> None:
        self.api.calls.append(("pending.cancel", ()))


@dataclass
class FakePipeApi:
    groups: list[tuple[str, int]] = field(default_factory=lambda: list(GROUPS))
    create_error: int | None = None
    connects: list[bool] = field(default_factory=list)  # what each pending wait answers
    connect_error: int | None = None
    client_pids: list[int] = field(default_factory=list)
    server_pid: int = 4242
    file_errors: list[int] = field(default_factory=list)  # CreateFileW fails with these first
    calls: list[tuple[str, tuple[object, ...]]] = field(default_factory=list)

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def token_groups(self) -> list[tuple[str, int]]:
        self.calls.append(("token_groups", ()))
        return self.groups

    def create_named_pipe(self, *args: object) -> int:
        self.calls.append(("create_named_pipe", args))
        if self.create_error is not None:
            raise os_error(self.create_error)
        return SERVER_HANDLE

    def connect_named_pipe(self, handle: int) -> FakePending:
        self.calls.append(("connect_named_pipe", (handle,)))
        if self.connect_error is not None:
            code, self.connect_error = self.connect_error, None
            raise os_error(code)
        return FakePending(self)

    def disconnect_named_pipe(self, handle: int) -> None:
        self.calls.append(("disconnect_named_pipe", (handle,)))

    def get_named_pipe_client_process_id(self, handle: int) -> int:
        self.calls.append(("get_named_pipe_client_process_id", (handle,)))
        return self.client_pids.pop(0)

    def get_named_pipe_server_process_id(self, handle: int) -> int:
        self.calls.append(("get_named_pipe_server_process_id", (handle,)))
        return self.server_pid

    def create_file(self, name: str, desired_access: int, flags: int) -> int:
        self.calls.append(("create_file", (name, desired_access, flags)))
        if self.file_errors:
            raise os_error(self.file_errors.pop(0))
        return CLIENT_HANDLE

    def wait_named_pipe(self, name: str, timeout_ms: int) -> None:
        self.calls.append(("wait_named_pipe", (name, timeout_ms)))

    def set_message_read_mode(self, handle: int) -> None:
        self.calls.append(("set_message_read_mode", (handle,)))

    def get_process_id(self, process_handle: int) -> int:
        self.calls.append(("get_process_id", (process_handle,)))
        return 777

    def close_handle(self, handle: int) -> None:
        self.calls.append(("close_handle", (handle,)))


def test_the_pipe_is_created_once_local_only_message_mode_with_the_logon_sid_dacl() -> None:
    api = FakePipeApi()
    PipeServer(api, NAME)
    assert api.calls == [
        ("token_groups", ()),
        (
            "create_named_pipe",
            (
                NAME,
                0x00000003 | 0x00080000 | 0x40000000,  # DUPLEX | FIRST_PIPE_INSTANCE | OVERLAPPED (PipeConnection)
                0x00000004 | 0x00000002 | 0x00000000 | 0x00000008,  # TYPE/READMODE_MESSAGE | WAIT | REJECT_REMOTE
                1,  # nMaxInstances: nobody can open a second instance beside ours
                8192,
                8192,
                0,
                f"D:P(A;;GA;;;{LOGON})(A;;GA;;;SY)(A;;GA;;;BA)",
            ),
        ),
    ]
    assert win32_pipes.PIPE_REJECT_REMOTE_CLIENTS == 0x8 and win32_pipes.SERVER_PIPE_MODE & 0x8


def test_the_logon_sid_is_the_group_marked_se_group_logon_id() -> None:
    assert logon_sid(GROUPS) == LOGON
    with pytest.raises(PipeError):
        logon_sid([g for g in GROUPS if g[0] != LOGON])
    with pytest.raises(PipeError):  # the flag on a SID that is not a logon SID is not trusted
        logon_sid([("S-1-1-0", 0xC0000007)])


@pytest.mark.parametrize("sid", ["S-1-1-0", "S-1-5-32-544", "S-1-5-5-0-1)(A;;GA;;;WD)", ""])
def test_the_sddl_takes_only_a_logon_sid(sid: str) -> None:
    with pytest.raises(ValueError):
        channel_sddl(sid)


@pytest.mark.parametrize(("winerror", "error"), [(ERROR_ACCESS_DENIED, PipeNameTakenError), (87, PipeError)])
def test_create_errors_are_mapped(winerror: int, error: type[PipeError]) -> None:
    with pytest.raises(error) as caught:
        PipeServer(FakePipeApi(create_error=winerror), NAME)
    assert caught.value.winerror == winerror and caught.type is error


def test_one_overlapped_connect_spans_the_waiting_slices_and_close_cancels_it() -> None:
    api = FakePipeApi(connects=[False])
    server = PipeServer(api, NAME)
    assert server.wait_for_client(0.1) is False
    assert server.wait_for_client(0.1) is False
    server.close()
    server.close()
    assert api.names()[2:] == [
        "connect_named_pipe",
        "pending.wait",
        "pending.wait",
        "pending.cancel",
        "close_handle",
    ]
    assert ("pending.wait", (100,)) in api.calls


def test_a_client_that_came_and_went_frees_the_instance() -> None:
    api = FakePipeApi(connect_error=ERROR_NO_DATA)
    server = PipeServer(api, NAME)
    assert server.wait_for_client(0.1) is False
    assert api.calls[-1] == ("disconnect_named_pipe", (SERVER_HANDLE,))


def test_the_helper_opens_the_pipe_for_identification_only_and_reads_the_server_pid() -> None:
    api = FakePipeApi(file_errors=[ERROR_FILE_NOT_FOUND, ERROR_PIPE_BUSY])
    assert open_pipe_client(api, NAME, 30, sleep=lambda s: None) == (CLIENT_HANDLE, 4242)
    create = ("create_file", (NAME, 0xC0000000, 0x40000000 | 0x00100000 | 0x00010000))  # OVERLAPPED | SQOS | ID
    assert api.calls == [
        create,
        ("wait_named_pipe", (NAME, 1000)),
        create,
        ("wait_named_pipe", (NAME, 1000)),
        create,
        ("set_message_read_mode", (CLIENT_HANDLE,)),
        ("get_named_pipe_server_process_id", (CLIENT_HANDLE,)),
    ]


def test_a_pipe_the_dacl_keeps_us_out_of_is_refused_at_once() -> None:
    api = FakePipeApi(file_errors=[ERROR_ACCESS_DENIED])
    with pytest.raises(PipeError) as caught:
        open_pipe_client(api, NAME, 30)
    assert caught.value.winerror == ERROR_ACCESS_DENIED and api.names() == ["create_file"]


def test_a_missing_pipe_is_given_up_on_at_the_deadline() -> None:
    now = [0.0]
    api = FakePipeApi(file_errors=[ERROR_FILE_NOT_FOUND] * 3)

    def clock() -> float:
        now[0] += 10
        return now[0]

    with pytest.raises(PipeError):
        open_pipe_client(api, NAME, 15, clock=clock, sleep=lambda s: None)


def socket_connections() -> tuple[Connection, Connection]:
    a, b = socket.socketpair()
    return Connection(a.detach()), Connection(b.detach())


def test_the_app_hangs_up_on_a_client_that_is_not_the_helper_then_takes_the_helper() -> None:
    app_end, helper_end = socket_connections()
    wrapped: list[int] = []

    def wrap(handle: int) -> Connection:
        wrapped.append(handle)
        return app_end

    api = FakePipeApi(connects=[True, True], client_pids=[666, 4242])
    listener = open_listener(KEY, PipeTransport(api, wrap))
    helper = threading.Thread(target=handshake, args=(helper_end, KEY), kwargs={"server": False, "timeout_s": 30})
    helper.start()
    conn = accept_helper(listener, 4242, timeout_s=30, stop=threading.Event())
    helper.join(30)
    assert conn is app_end and wrapped == [SERVER_HANDLE] and listener.refused == 1
    assert api.names()[2:] == [
        "connect_named_pipe",
        "pending.wait",
        "get_named_pipe_client_process_id",
        "disconnect_named_pipe",  # the stranger: dropped unheard, the instance waits for the next client
        "connect_named_pipe",
        "pending.wait",
        "get_named_pipe_client_process_id",
    ]  # no close_handle: the PipeConnection owns the handle now
    conn.close()
    helper_end.close()


def test_the_helper_refuses_a_pipe_held_by_another_process() -> None:
    api = FakePipeApi(server_pid=666)
    with pytest.raises(PeerMismatchError):
        connect_to_app(NAME, KEY, 4242, timeout_s=30, transport=PipeTransport(api, lambda h: pytest.fail("wrapped")))
    assert api.calls[-1] == ("close_handle", (CLIENT_HANDLE,))


def test_the_app_gives_up_when_the_helper_never_connects() -> None:
    api = FakePipeApi()
    listener = open_listener(KEY, PipeTransport(api, lambda h: pytest.fail("wrapped")))
    with pytest.raises(ChannelTimeoutError):
        accept_helper(listener, 4242, timeout_s=0.05, stop=threading.Event(), slice_s=0.01)
    assert api.names()[-2:] == ["pending.cancel", "close_handle"]


def test_an_elevated_process_knows_its_pid_from_its_handle() -> None:
    api = FakePipeApi()
    process = ElevatedProcess(object(), 0x1234, pid_of=api.get_process_id)  # type: ignore[arg-type]
    assert (process.pid, process.pid) == (777, 777)
    assert api.calls == [("get_process_id", (0x1234,))]  # asked once


@pytest.mark.windows
@on_windows
def test_a_real_pipe_connects_and_both_ends_see_this_process() -> None:
    from app.platform.win32_pipes_ctypes import CtypesPipeApi

    api = CtypesPipeApi()
    name = r"\\.\pipe\LoopbackTuner-" + os.urandom(16).hex()
    server = PipeServer(api, name)
    try:
        with pytest.raises(PipeNameTakenError):
            PipeServer(api, name)  # FILE_FLAG_FIRST_PIPE_INSTANCE
        handle, server_pid = open_pipe_client(api, name, 10)
        assert server.wait_for_client(10) and server.client_pid() == os.getpid() == server_pid
        api.close_handle(handle)
    finally:
        server.close()


def test_a_closed_elevated_process_has_no_pid() -> None:
    api = FakePipeApi()
    win32 = type("Closing", (), {"close_handle": lambda self, handle: None})()
    process = ElevatedProcess(win32, 0x1234, pid_of=api.get_process_id)  # type: ignore[arg-type]
    process.close()
    with pytest.raises(ValueError):
        _ = process.pid
    assert api.calls == []


@pytest.mark.windows
@on_windows
def test_a_real_pipe_channel_authenticates_this_process_both_ways() -> None:
    listener = open_listener(KEY, PipeTransport())
    out: list[object] = []

    def helper() -> None:
        try:
            out.append(connect_to_app(listener.address, KEY, os.getpid(), timeout_s=10, transport=PipeTransport()))
        except BaseException as exc:
            out.append(exc)

    thread = threading.Thread(target=helper)
    thread.start()
    conn = accept_helper(listener, os.getpid(), timeout_s=10, stop=threading.Event())
    thread.join(10)
    helper_end = out[0]
    assert not isinstance(helper_end, BaseException), helper_end
    helper_end.send_bytes(b"hello")  # type: ignore[attr-defined]  (a PipeConnection)
    assert conn.recv_bytes(16) == b"hello"
    conn.close()
    helper_end.close()  # type: ignore[attr-defined]
