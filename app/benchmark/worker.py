"""A benchmark worker process: ``python -m app.benchmark.worker server|client ...`` (or either frozen exe with
``--benchmark-worker``). It reports to the app over a loopback control connection, one JSON line, never through
its standard streams (a windowed exe has none); a watchdog ends it at its time limit whatever happens."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import sys
import threading
from collections.abc import Callable, Sequence

from app.benchmark import loops
from app.domain.measurements import ADDRESSES, RunResult
from app.domain.model import Family

CONTROL_HOST = "127.0.0.1"
WATCHDOG_EXIT = 124  # the worker ran out of its time limit
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 3, 2
SOCKET_FAMILY = {Family.IPV4: socket.AF_INET, Family.IPV6: socket.AF_INET6}


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(message)


def _positive(kind: Callable[[str], float], limit: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = kind(text)
        if not 0 <= value <= limit:
            raise argparse.ArgumentTypeError(f"must be 0 to {limit}, got {text}")
        return value

    return parse


def build_parser() -> _Parser:
    p = _Parser(prog="benchmark-worker", allow_abbrev=False, add_help=False)
    p.add_argument("role", choices=("server", "client"))
    p.add_argument("--family", choices=[f.value for f in Family], required=True)
    p.add_argument("--control", type=_positive(int, 65535), required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--time-limit", type=_positive(float, 3600), required=True)
    p.add_argument("--port", type=_positive(int, 65535), default=0)
    p.add_argument("--seconds", type=_positive(float, 600), default=1.0)
    p.add_argument("--warmup", type=_positive(float, 60), default=0.2)
    p.add_argument("--max-round-trips", type=_positive(int, 100_000_000), default=2_000_000)
    p.add_argument("--max-connections", type=_positive(int, 1_000_000), default=20_000)
    return p


def _say(text: str) -> None:
    """A line on stderr when there is one (a windowed exe may have none)."""
    if sys.stderr is not None:
        print(f"benchmark-worker: {text}", file=sys.stderr, flush=True)


def start_watchdog(seconds: float) -> threading.Timer:
    """End this process at ``seconds``, whatever it is doing (a blocked accept or recv included)."""
    timer = threading.Timer(seconds, os._exit, args=(WATCHDOG_EXIT,))
    timer.daemon = True
    timer.start()
    return timer


def _report(control: socket.socket, token: str, role: str, **fields: object) -> None:
    line = json.dumps({"token": token, "role": role, **fields}) + "\n"
    control.sendall(line.encode("utf-8"))


def run_client(family: Family, port: int, options: argparse.Namespace) -> RunResult:
    """The three tests against the server at ``port``, then tell it to quit."""
    af, address = SOCKET_FAMILY[family], (ADDRESSES[family], port)
    latency = loops.ping_pong(af, address, options.warmup, options.seconds, max(1, options.max_round_trips))
    throughput = loops.bulk_stream(af, address, options.warmup, options.seconds)
    connect = loops.connections(af, address, options.warmup, options.seconds, max(1, options.max_connections))
    loops.quit_server(af, address)
    return RunResult(latency, throughput, connect)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one worker; returns its exit code (0 done, 2 bad arguments, 3 failed, 124 out of time)."""
    try:
        options = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except _UsageError as exc:
        _say(f"error: {exc}")
        return EXIT_USAGE
    start_watchdog(options.time_limit)
    family = Family(options.family)
    role, token = options.role, options.token
    try:
        control = socket.create_connection((CONTROL_HOST, options.control), timeout=30)
    except OSError as exc:
        _say(f"cannot reach the app's control port: {exc}")
        return EXIT_FAILED
    try:
        if role == "server":
            listener = socket.socket(SOCKET_FAMILY[family], socket.SOCK_STREAM)
            with listener:
                listener.bind((ADDRESSES[family], 0))
                listener.listen(128)
                _report(control, token, role, port=listener.getsockname()[1])
                control.close()
                loops.serve(listener)
        else:
            result = run_client(family, options.port, options)
            _report(control, token, role, result=result.to_json())
    except (OSError, loops.BenchmarkError, ValueError) as exc:
        message = f"{type(exc).__name__}: {exc}" if isinstance(exc, OSError) else str(exc)
        _say(f"{role} failed: {message}")
        with contextlib.suppress(OSError):
            _report(control, token, role, error=message)
        return EXIT_FAILED
    finally:
        control.close()
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
