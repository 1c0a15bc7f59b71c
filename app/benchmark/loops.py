"""The benchmark's socket loops, server and client side: tight, allocation-free per message, bounded in time and
count. Only the worker processes run them (never the app's own process: they would share its GIL)."""

from __future__ import annotations

import array
import socket
import struct
import sys
import time

from app.domain.measurements import MESSAGE_BYTES, ConnectRun, LatencyRun, ThroughputRun

# The first byte a client sends on each connection says which test it is.
LATENCY, THROUGHPUT, CONNECT, QUIT = b"L", b"T", b"C", b"Q"
STREAM_CHUNK = 128 * 1024  # bytes per write and per read in the bulk stream (iperf3's default length)
COUNT_BYTES = 8  # the server's byte count at the end of the stream, big-endian
# struct linger {on, seconds}: on with 0 s closes with a reset. Winsock's fields are u_short, POSIX's int.
_LINGER_RESET = struct.pack("HH" if sys.platform == "win32" else "ii", 1, 0)


class BenchmarkError(Exception):
    """A test could not run to its end (the peer closed early, a count does not match)."""


def _recv_exact(sock: socket.socket, view: memoryview) -> None:
    """Fill ``view`` from ``sock``; raises BenchmarkError when the peer closes first."""
    got = 0
    size = len(view)
    while got < size:
        n = sock.recv_into(view[got:], size - got)
        if n == 0:
            raise BenchmarkError("the other side closed the connection mid-message")
        got += n


# --- server ---------------------------------------------------------------------------------------------------


def serve(listener: socket.socket) -> int:
    """Answer connections on ``listener`` one at a time until a client sends QUIT; returns the connections served.

    The process's watchdog bounds the time; a client that vanishes ends its connection (EOF), never the server.
    """
    served = 0
    code = bytearray(1)
    while True:
        conn, _ = listener.accept()
        served += 1
        with conn:
            conn.settimeout(None)
            if conn.recv_into(code, 1) != 1:
                continue
            kind = bytes(code)
            if kind == QUIT:
                return served
            if kind == CONNECT:
                conn.sendall(b"k")
            elif kind == LATENCY:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                _echo(conn)
            elif kind == THROUGHPUT:
                _sink(conn)


def _echo(conn: socket.socket) -> None:
    """Send every 64-byte message straight back until the client closes."""
    buffer = bytearray(MESSAGE_BYTES)
    view = memoryview(buffer)
    recv_into, send = conn.recv_into, conn.send
    size = MESSAGE_BYTES
    while True:
        n = recv_into(buffer, size)
        if n != size:
            if n == 0:
                return
            while n < size:  # rare: a message split in two; only this path slices
                more = recv_into(view[n:], size - n)
                if more == 0:
                    return
                n += more
        sent = send(buffer)
        if sent != size:  # a blocking send of 64 bytes writes them all in practice; finish the rest if not
            conn.sendall(view[sent:])


def _sink(conn: socket.socket) -> None:
    """Read the bulk stream until the client shuts its side, then answer with the number of bytes read."""
    buffer = bytearray(STREAM_CHUNK)
    recv_into = conn.recv_into
    total = 0
    while True:
        n = recv_into(buffer, STREAM_CHUNK)
        if n == 0:
            break
        total += n
    conn.sendall(total.to_bytes(COUNT_BYTES, "big"))


# --- client ---------------------------------------------------------------------------------------------------


def _connect(family: int, address: tuple[str, int], code: bytes, *, nodelay: bool = False) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if nodelay:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect(address)
        sock.sendall(code)
    except BaseException:
        sock.close()
        raise
    return sock


def ping_pong(family: int, address: tuple[str, int], warmup_s: float, seconds: float, max_count: int) -> LatencyRun:
    """Round trips of 64-byte messages (TCP_NODELAY): ``warmup_s`` unmeasured, then ``seconds`` or ``max_count``
    round trips, whichever comes first. Timestamps go into a preallocated array; nothing is allocated per message
    beyond the integers the clock returns."""
    with _connect(family, address, LATENCY, nodelay=True) as sock:
        message = bytearray(b"\x5a" * MESSAGE_BYTES)
        reply = bytearray(MESSAGE_BYTES)
        reply_view = memoryview(reply)
        samples = array.array("q", bytes(8 * max_count))
        send, recv_into, clock = sock.send, sock.recv_into, time.perf_counter_ns
        size = MESSAGE_BYTES
        for phase_s, record in ((warmup_s, False), (seconds, True)):
            deadline = clock() + int(phase_s * 1e9)
            count = 0
            while count < max_count:
                start = clock()
                if send(message) != size:
                    raise BenchmarkError("a 64-byte message did not go out in one write")
                n = recv_into(reply, size)
                if n != size:
                    if n == 0:
                        raise BenchmarkError("the server closed the connection")
                    _recv_exact(sock, reply_view[n:])
                end = clock()
                if record:
                    samples[count] = end - start
                count += 1
                if end >= deadline:
                    break
    if count == 0:
        raise BenchmarkError("no round trip completed")
    measured = sorted(samples[:count])
    return LatencyRun.from_round_trips(measured)


def bulk_stream(family: int, address: tuple[str, int], warmup_s: float, seconds: float) -> ThroughputRun:
    """One TCP stream of STREAM_CHUNK-byte writes: ``warmup_s`` unmeasured, then ``seconds`` measured, ended when
    the server confirms it read every byte (so the measured time includes draining the socket buffers)."""
    with _connect(family, address, THROUGHPUT) as sock:
        view = memoryview(bytearray(b"\xa5" * STREAM_CHUNK))
        sendall, clock = sock.sendall, time.perf_counter
        sent_warmup = 0
        deadline = clock() + warmup_s
        while clock() < deadline:
            sendall(view)
            sent_warmup += STREAM_CHUNK
        sent = 0
        start = clock()
        deadline = start + seconds
        while True:
            sendall(view)
            sent += STREAM_CHUNK
            if clock() >= deadline:
                break
        sock.shutdown(socket.SHUT_WR)
        answer = bytearray(COUNT_BYTES)
        _recv_exact(sock, memoryview(answer))
        elapsed = clock() - start
    received = int.from_bytes(answer, "big")
    if received != sent_warmup + sent:
        raise BenchmarkError(f"the server read {received} bytes of {sent_warmup + sent}")
    return ThroughputRun(sent, elapsed)


def _one_connection(family: int, address: tuple[str, int], code: bytearray) -> None:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # Close with a reset: no TIME_WAIT left behind, so thousands of connections never run out of ports.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        sock.connect(address)
        sock.sendall(CONNECT)
        if sock.recv_into(code, 1) != 1:
            raise BenchmarkError("the server closed a new connection before answering")
    finally:
        sock.close()


def connections(family: int, address: tuple[str, int], warmup_s: float, seconds: float, max_count: int) -> ConnectRun:
    """Fresh connections, each connected, answered once (one byte each way) and closed: ``warmup_s`` unmeasured,
    then ``seconds`` or ``max_count`` connections."""
    code = bytearray(1)
    clock = time.perf_counter
    deadline = clock() + warmup_s
    warm = 0
    while clock() < deadline and warm < max_count:
        _one_connection(family, address, code)
        warm += 1
    count = 0
    start = clock()
    deadline = start + seconds
    end = start
    while count < max_count:
        _one_connection(family, address, code)
        count += 1
        end = clock()
        if end >= deadline:
            break
    return ConnectRun(count, end - start)


def quit_server(family: int, address: tuple[str, int]) -> None:
    with _connect(family, address, QUIT):
        pass
