"""The channel between the app and its helper: who may connect (peer process and user), the HMAC handshake, timeouts.

Both sides check the other end before they say a word: the app accepts only the process it launched (its pid),
the helper talks only to the app that launched it (``--app-pid``), and both must run as the same user (Unix) or be
admitted by the pipe's DACL (Windows: the user's logon session, SYSTEM, Administrators). Then the stdlib's mutual
HMAC challenge runs, with a deadline on every read. Everything here blocks: run it in a worker thread.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import AuthenticationError
from multiprocessing.connection import Connection, answer_challenge, deliver_challenge
from typing import Any, Protocol, cast

from app.domain.errors import LoopbackTunerError

HANDSHAKE_TIMEOUT_S = 10.0  # each side's limit for the whole challenge exchange once the peer is connected
ACCEPT_SLICE_S = 0.1  # the accepting thread looks at its stop flag this often
PIPE_NAME = re.compile(r"\\\\\.\\pipe\\LoopbackTuner-[0-9a-f]{32}")
Clock = Callable[[], float]


class ChannelError(LoopbackTunerError):
    """The channel could not be made or broke before it was authenticated."""


class ChannelOpenError(ChannelError):
    """The app could not create its end of the channel."""


class ChannelTimeoutError(ChannelError):
    """Nobody acceptable connected (or could be reached) in time."""


class ChannelStoppedError(ChannelError):
    """The waiting side stopped the accept (the helper exited, say)."""


class PeerMismatchError(ChannelError):
    """The other end is not the process (or user) this side expects."""


class HandshakeError(ChannelError):
    """The mutual HMAC challenge failed: a wrong key, a broken message, or the peer hung up."""


class HandshakeTimeoutError(HandshakeError):
    """The peer connected but did not answer the challenge in time."""


@dataclass(frozen=True)
class Peer:
    """A connected, not yet trusted other end: its process id, whether it runs as our user, and its fate."""

    pid: int
    same_user: bool
    take: Callable[[], Connection]  # hand the connection over (the endpoint no longer owns it)
    drop: Callable[[], None]  # hang up on it


class ServerEndpoint(Protocol):
    address: str

    def accept(self, timeout_s: float) -> Peer | None:
        """The next connected peer, or None after ``timeout_s``; raises OSError."""
        ...

    def close(self) -> None:
        """Close the endpoint (once) and remove what it created."""
        ...


class ChannelTransport(Protocol):
    def listen(self) -> ServerEndpoint:
        """A new endpoint at a fresh, unguessable address; raises OSError."""
        ...

    def connect(self, address: str, timeout_s: float) -> Peer:
        """Reach the endpoint at ``address``, retrying until ``timeout_s``; raises ChannelTimeoutError, OSError."""
        ...


class _Timed:
    """A connection whose every read must arrive before one deadline (what deliver/answer_challenge read through)."""

    def __init__(self, conn: Connection, timeout_s: float, clock: Clock) -> None:
        self.conn, self.clock = conn, clock
        self.deadline = clock() + timeout_s

    def send_bytes(self, data: bytes) -> None:
        self.conn.send_bytes(data)

    def recv_bytes(self, maxlength: int | None = None) -> bytes:
        remaining = self.deadline - self.clock()
        if remaining <= 0 or not self.conn.poll(remaining):
            raise HandshakeTimeoutError("the other end did not answer the challenge in time")
        return self.conn.recv_bytes(maxlength)


def handshake(
    conn: Connection, authkey: bytes, *, server: bool, timeout_s: float, clock: Clock = time.monotonic
) -> None:
    """The stdlib's mutual HMAC challenge (as Listener/Client run it), every read bounded by ``timeout_s`` in all.

    Raises HandshakeTimeoutError, HandshakeError.
    """
    timed = cast(Any, _Timed(conn, timeout_s, clock))
    try:
        if server:
            deliver_challenge(timed, authkey)
            answer_challenge(timed, authkey)
        else:
            answer_challenge(timed, authkey)
            deliver_challenge(timed, authkey)
    except HandshakeError:
        raise
    except (AuthenticationError, AssertionError, EOFError, OSError) as exc:  # AssertionError: not a challenge
        raise HandshakeError(f"the other end failed the challenge ({type(exc).__name__})") from None


@dataclass
class AppListener:
    """The app's end of one trial's channel: its address (for the helper's ``--address``) and key."""

    address: str
    authkey: bytes
    endpoint: ServerEndpoint
    refused: int = 0  # peers hung up on because they were not the helper

    def close(self) -> None:
        self.endpoint.close()


def open_listener(authkey: bytes, transport: ChannelTransport | None = None) -> AppListener:
    """Create the app's end at a fresh address; raises ChannelOpenError."""
    try:
        endpoint = (transport or default_transport()).listen()
    except (OSError, ValueError) as exc:  # ValueError: the token's logon SID is not one
        raise ChannelOpenError(str(exc)) from exc
    return AppListener(endpoint.address, authkey, endpoint)


def accept_helper(
    listener: AppListener,
    helper_pid: int,
    *,
    timeout_s: float,
    stop: threading.Event,
    handshake_timeout_s: float = HANDSHAKE_TIMEOUT_S,
    clock: Clock = time.monotonic,
    slice_s: float = ACCEPT_SLICE_S,
) -> Connection:
    """Wait (blocking: a worker thread) for process ``helper_pid`` to connect and pass the challenge.

    Other peers are hung up on unheard and the wait goes on. The listener is closed on return, by this thread.
    Raises ChannelStoppedError (``stop`` was set), ChannelTimeoutError, HandshakeError (the helper itself failed
    the challenge), ChannelError (the endpoint broke).
    """
    deadline = clock() + timeout_s
    try:
        while not stop.is_set():
            remaining = deadline - clock()
            if remaining <= 0:
                raise ChannelTimeoutError("the helper did not connect in time")
            try:
                peer = listener.endpoint.accept(min(slice_s, remaining))
            except OSError as exc:
                raise ChannelError(f"waiting for the helper failed ({exc})") from exc
            if peer is None:
                continue
            if peer.pid != helper_pid or not peer.same_user:
                peer.drop()
                listener.refused += 1
                continue
            conn = peer.take()
            try:
                handshake(conn, listener.authkey, server=True, timeout_s=handshake_timeout_s, clock=clock)
            except HandshakeError:
                conn.close()
                raise
            return conn
        raise ChannelStoppedError("stopped waiting for the helper")
    finally:
        listener.close()


def connect_to_app(
    address: str,
    authkey: bytes,
    app_pid: int,
    *,
    timeout_s: float,
    handshake_timeout_s: float = HANDSHAKE_TIMEOUT_S,
    transport: ChannelTransport | None = None,
    clock: Clock = time.monotonic,
) -> Connection:
    """The helper's end: reach the app, check that it is process ``app_pid`` of our user, pass the challenge.

    Raises ChannelTimeoutError, PeerMismatchError, HandshakeError, OSError.
    """
    peer = (transport or default_transport()).connect(address, timeout_s)
    if peer.pid != app_pid or not peer.same_user:
        peer.drop()
        raise PeerMismatchError(f"the channel is held by process {peer.pid}, not by the app ({app_pid})")
    conn = peer.take()
    try:
        handshake(conn, authkey, server=False, timeout_s=handshake_timeout_s, clock=clock)
    except HandshakeError:
        conn.close()
        raise
    return conn


def default_transport() -> ChannelTransport:
    """The platform's transport: a named pipe on Windows, a Unix socket elsewhere."""
    from app.elevation.channel_transports import PipeTransport, UnixTransport

    return PipeTransport() if sys.platform == "win32" else UnixTransport()
