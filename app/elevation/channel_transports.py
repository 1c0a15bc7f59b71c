"""The channel's transports: a Unix socket checked with SO_PEERCRED, and the Windows named pipe (win32_pipes)."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from app.elevation.channel import ChannelError, ChannelTimeoutError, Clock, Peer, ServerEndpoint

if TYPE_CHECKING:
    from app.platform.win32_pipes import PipeApi


def peer_credentials(sock: socket.socket) -> tuple[int, int, int]:
    """The peer's (pid, uid, gid) from SO_PEERCRED (as of its connect() or listen()); raises ChannelError."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        raise ChannelError("this system cannot tell who is at the other end of a socket")
    fmt = "3i"
    pid, uid, gid = struct.unpack(fmt, sock.getsockopt(socket.SOL_SOCKET, option, struct.calcsize(fmt)))
    return pid, uid, gid


def _socket_peer(sock: socket.socket) -> Peer:
    try:
        pid, uid, _ = peer_credentials(sock)
    except BaseException:
        sock.close()
        raise
    return Peer(pid, uid == os.geteuid(), take=lambda: Connection(sock.detach()), drop=sock.close)


class _UnixEndpoint:
    def __init__(self, folder: Path) -> None:
        self.folder, self.address = folder, str(folder / "channel")
        self._sock: socket.socket | None = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._lock = threading.Lock()
        try:
            self._sock.bind(self.address)
            self._sock.listen(1)
        except OSError:
            self.close()
            raise

    def accept(self, timeout_s: float) -> Peer | None:
        with self._lock:
            sock = self._sock
        if sock is None:
            raise OSError("the channel is closed")
        sock.settimeout(timeout_s)
        try:
            conn, _ = sock.accept()
        except TimeoutError:
            return None
        conn.setblocking(True)
        return _socket_peer(conn)

    def close(self) -> None:
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
            shutil.rmtree(self.folder, ignore_errors=True)


class UnixTransport:
    """A Unix socket in a fresh 0700 folder; peers identified by SO_PEERCRED."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep, clock: Clock = time.monotonic) -> None:
        self.sleep, self.clock = sleep, clock

    def listen(self) -> ServerEndpoint:
        folder = Path(tempfile.mkdtemp(prefix="loopback-tuner-"))  # 0700: only this user can reach the socket
        return _UnixEndpoint(folder)

    def connect(self, address: str, timeout_s: float) -> Peer:
        deadline = self.clock() + timeout_s
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(address)
            except (FileNotFoundError, ConnectionRefusedError):
                sock.close()
                if self.clock() >= deadline:
                    raise ChannelTimeoutError("the app's channel could not be reached in time") from None
                self.sleep(0.05)
                continue
            except BaseException:
                sock.close()
                raise
            return _socket_peer(sock)


class PipeTransport:
    """Windows: a named pipe the app creates itself (one instance, local clients, our DACL); see win32_pipes."""

    def __init__(self, api: PipeApi | None = None, wrap: Callable[[int], Connection] | None = None) -> None:
        self._api, self._wrap = api, wrap

    def _parts(self) -> tuple[PipeApi, Callable[[int], Connection]]:
        from app.platform.win32_pipes import default_pipe_api

        if self._api is None:
            self._api = default_pipe_api()
        if self._wrap is None:
            import multiprocessing.connection

            self._wrap = cast(Callable[[int], Connection], multiprocessing.connection.PipeConnection)  # type: ignore[attr-defined]
        return self._api, self._wrap

    def listen(self) -> ServerEndpoint:
        from app.platform.win32_pipes import PipeServer

        api, wrap = self._parts()
        address = rf"\\.\pipe\LoopbackTuner-{secrets.token_hex(16)}"
        return _PipeEndpoint(PipeServer(api, address), address, wrap)

    def connect(self, address: str, timeout_s: float) -> Peer:
        from app.platform.win32_pipes import open_pipe_client

        api, wrap = self._parts()
        handle, server_pid = open_pipe_client(api, address, timeout_s)
        return Peer(server_pid, True, take=lambda: wrap(handle), drop=lambda: api.close_handle(handle))


class _PipeEndpoint:
    def __init__(self, server: Any, address: str, wrap: Callable[[int], Connection]) -> None:
        self.server, self.address, self._wrap = server, address, wrap

    def accept(self, timeout_s: float) -> Peer | None:
        if not self.server.wait_for_client(timeout_s):
            return None
        server = self.server
        return Peer(server.client_pid(), True, take=lambda: self._wrap(server.detach()), drop=server.disconnect)

    def close(self) -> None:
        self.server.close()
