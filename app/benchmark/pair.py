"""The app's side of one benchmark run: start a server and a client worker (each its own process, started with
``sys.executable``), collect the client's result over a loopback control connection, and leave no process behind.
Blocking; every wait has a time limit."""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

from app.benchmark.entry import WORKER_FLAG
from app.benchmark.worker import CONTROL_HOST
from app.domain.measurements import MeasurePlan, RunResult
from app.domain.model import Family

_CREATE_NO_WINDOW = 0x08000000  # no console window flashes when the windowed app starts a worker
START_TIMEOUT_S = 30.0  # a worker's interpreter start-up on a loaded machine, with room to spare
EXIT_TIMEOUT_S = 10.0
MAX_REPORT_BYTES = 64 * 1024
POLL_S = 0.25  # how often a wait for a report looks whether the worker died (a bounded accept, not a sleep)


class MeasureError(Exception):
    """One run could not be measured; the message says which process failed and why."""


class MeasureStoppedError(MeasureError):
    """The run was stopped on request; its processes were killed."""


def _never() -> bool:
    return False


def worker_command(*, frozen: bool | None = None, executable: str | None = None) -> tuple[str, ...]:
    """How to start a worker: the frozen exe with WORKER_FLAG (``sys.executable`` is the app's own exe there),
    else this interpreter running the worker module."""
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    executable = sys.executable if executable is None else executable
    return (executable, WORKER_FLAG) if frozen else (executable, "-m", "app.benchmark.worker")


def _tests_time(plan: MeasurePlan) -> float:
    return 3 * (plan.warmup_s + plan.seconds)


def _read_line(conn: socket.socket, deadline: float, should_stop: Callable[[], bool] = _never) -> bytes:
    """One line from ``conn``; raises MeasureStoppedError when ``should_stop`` says so (asked every POLL_S: a
    client connects at its start and reports at its end)."""
    data = bytearray()
    while b"\n" not in data:
        if should_stop():
            raise MeasureStoppedError("stopped on request")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no complete report in time")
        conn.settimeout(min(POLL_S, remaining))
        try:
            chunk = conn.recv(4096)
        except TimeoutError:
            continue
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_REPORT_BYTES:
            raise ValueError("report too long")
    return bytes(data).split(b"\n", 1)[0]


def _await_report(
    listener: socket.socket,
    token: str,
    role: str,
    process: subprocess.Popen[bytes],
    timeout_s: float,
    should_stop: Callable[[], bool] = _never,
) -> dict[str, object]:
    """The first report from ``role`` that carries ``token``; raises MeasureError when the process exits first or
    the time runs out, MeasureStoppedError as soon as ``should_stop`` says so (asked every POLL_S). A connection
    with a wrong token (another local program) is dropped and the wait goes on."""
    deadline = time.monotonic() + timeout_s
    while True:
        if should_stop():
            raise MeasureStoppedError("stopped on request")
        if process.poll() is not None:
            raise MeasureError(f"the benchmark {role} exited with code {process.returncode} before reporting")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise MeasureError(f"the benchmark {role} did not report within {timeout_s:.0f} s")
        listener.settimeout(min(POLL_S, remaining))
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        with conn:
            try:
                report = json.loads(_read_line(conn, deadline, should_stop))
            except (OSError, ValueError):
                continue
        if isinstance(report, dict) and report.get("token") == token and report.get("role") == role:
            return report


def _start(argv: Sequence[str]) -> subprocess.Popen[bytes]:
    flags = _CREATE_NO_WINDOW if sys.platform == "win32" else 0
    try:
        return subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            creationflags=flags,
        )  # fmt: skip
    except OSError as exc:
        raise MeasureError(f"could not start a benchmark process ({argv[0]}): {exc}") from exc


def _finish(process: subprocess.Popen[bytes], *, kill: bool) -> str:
    """Wait for ``process`` to exit (kill it first when asked, or when it does not exit in time); its stderr."""
    if kill and process.poll() is None:
        process.kill()
    try:
        _, err = process.communicate(timeout=EXIT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return (err or b"").decode("utf-8", "replace").strip()


def run_pair(
    family: Family,
    plan: MeasurePlan,
    *,
    command: Sequence[str] | None = None,
    should_stop: Callable[[], bool] = _never,
) -> RunResult:
    """One run of the three tests on ``family``'s loopback address, server and client in their own processes.

    Raises MeasureError when a worker cannot start, fails, or overruns its time (both are then killed), and
    MeasureStoppedError within POLL_S of ``should_stop`` returning True (both are then killed too).
    """
    base = tuple(command) if command is not None else worker_command()
    token = secrets.token_hex(16)
    time_limit = START_TIMEOUT_S + _tests_time(plan) + 30
    processes: list[subprocess.Popen[bytes]] = []
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind((CONTROL_HOST, 0))
        listener.listen(4)
        common = [
            "--family", family.value, "--control", str(listener.getsockname()[1]), "--token", token,
            "--time-limit", f"{time_limit:.0f}",
        ]  # fmt: skip
        try:
            server = _start([*base, "server", *common])
            processes.append(server)
            ready = _await_report(listener, token, "server", server, START_TIMEOUT_S, should_stop)
            port = ready.get("port")
            if not isinstance(port, int) or isinstance(port, bool):
                raise MeasureError(f"the benchmark server reported no port: {ready.get('error', ready)}")
            client = _start(
                [
                    *base, "client", *common, "--port", str(port), "--seconds", repr(plan.seconds),
                    "--warmup", repr(plan.warmup_s), "--max-round-trips", str(plan.max_round_trips),
                    "--max-connections", str(plan.max_connections),
                ]
            )  # fmt: skip
            processes.append(client)
            report = _await_report(listener, token, "client", client, START_TIMEOUT_S + _tests_time(plan), should_stop)
            if "error" in report:
                raise MeasureError(f"the benchmark client failed: {report['error']}")
            try:
                result = RunResult.from_json(report.get("result"))
            except ValueError as exc:
                raise MeasureError(str(exc)) from None
        except BaseException as exc:
            errors = [text for text in (_finish(p, kill=True) for p in reversed(processes)) if text]
            if isinstance(exc, MeasureError) and not isinstance(exc, MeasureStoppedError) and errors:
                raise MeasureError(f"{exc} ({errors[0].splitlines()[-1]})") from None
            raise
        for process in reversed(processes):  # the client has asked the server to quit: both end by themselves
            _finish(process, kill=False)
    return result
