"""The benchmark's server and client processes, for real on this machine's loopback, in short bounded runs."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest

from app.benchmark.entry import WORKER_FLAG, run_worker_if_asked, worker_arguments
from app.benchmark.pair import MeasureError, MeasureStoppedError, run_pair, worker_command
from app.benchmark.worker import WATCHDOG_EXIT
from app.domain.measurements import MeasurePlan, RunResult
from app.domain.model import Family
from tests.conftest import REPO, SUBPROCESS_TIMEOUT_S

SHORT = MeasurePlan(seconds=0.1, warmup_s=0.02, runs=1)


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


def _check_sane(result: RunResult) -> None:
    lat = result.latency
    assert lat.samples > 0
    assert 0 < lat.p50_us <= lat.p90_us <= lat.p99_us <= lat.max_us
    assert result.throughput.bytes > 0 and result.throughput.seconds > 0
    assert result.connect.connections > 0 and result.connect.seconds > 0


@pytest.mark.parametrize(
    "family",
    [
        Family.IPV4,
        pytest.param(Family.IPV6, marks=pytest.mark.skipif(not _ipv6_loopback(), reason="no ::1 on this machine")),
    ],
)
def test_a_short_run_measures_all_three_tests(family: Family) -> None:
    _check_sane(run_pair(family, SHORT))


def test_every_test_stops_at_its_count_before_its_time() -> None:
    # Throughput has no count, only its time; the other two stop at theirs long before 1 s (a few ms here).
    plan = MeasurePlan(seconds=1.0, warmup_s=0.0, runs=1, max_round_trips=50, max_connections=7)
    result = run_pair(Family.IPV4, plan)
    assert result.latency.samples == 50
    assert result.connect.connections == 7


def test_the_frozen_command_is_the_exe_with_the_worker_flag() -> None:
    assert worker_command(frozen=True, executable="/opt/lt/loopback-tuner") == ("/opt/lt/loopback-tuner", WORKER_FLAG)
    assert worker_command(frozen=False, executable="/usr/bin/python3") == (
        "/usr/bin/python3",
        "-m",
        "app.benchmark.worker",
    )
    assert worker_command()[0] == sys.executable


def test_the_worker_flag_is_recognized_only_first() -> None:
    assert worker_arguments([WORKER_FLAG, "server", "--family", "ipv4"]) == ["server", "--family", "ipv4"]
    assert worker_arguments(["show", WORKER_FLAG]) is None
    assert worker_arguments([]) is None
    assert run_worker_if_asked(["show"]) is None
    assert run_worker_if_asked([WORKER_FLAG, "nonsense"]) == 2  # the worker's own usage error


@pytest.mark.parametrize("entry", [("-m", "app.cli"), ("-m", "app")], ids=["cli", "gui"])
def test_both_entry_points_run_a_worker_as_the_frozen_exes_would(entry: tuple[str, ...]) -> None:
    # The frozen exes are these two mains: each answers the worker flag before anything else (no Qt for the GUI's).
    result = run_pair(Family.IPV4, SHORT, command=(sys.executable, *entry, WORKER_FLAG))
    _check_sane(result)


def test_a_program_that_is_not_a_worker_is_a_measure_error() -> None:
    with pytest.raises(MeasureError, match="server exited with code 0 before reporting"):
        run_pair(Family.IPV4, SHORT, command=(sys.executable, "-c", "pass"))


def test_a_worker_that_fails_says_why() -> None:
    script = "import sys; sys.stderr.write('benchmark-worker: no luck\\n'); sys.exit(3)"
    with pytest.raises(MeasureError, match=r"exited with code 3 before reporting \(benchmark-worker: no luck\)"):
        run_pair(Family.IPV4, SHORT, command=(sys.executable, "-c", script))


def test_a_client_that_cannot_reach_the_server_reports_its_error() -> None:
    # The server starts normally; the client is given a closed port by a wrapper that rewrites --port.
    wrapper = (
        "import sys\n"
        "from app.benchmark.worker import main\n"
        "args = sys.argv[1:]\n"
        "if args[0] == 'client':\n"
        "    args[args.index('--port') + 1] = '1'\n"
        "sys.exit(main(args))\n"
    )
    with pytest.raises(MeasureError, match="the benchmark client failed: ConnectionRefusedError"):
        run_pair(Family.IPV4, SHORT, command=(sys.executable, "-c", wrapper))


def test_a_server_nobody_connects_to_ends_by_itself() -> None:
    with socket.socket() as control:
        control.bind(("127.0.0.1", 0))
        control.listen(1)
        control.settimeout(SUBPROCESS_TIMEOUT_S)
        argv = [
            *worker_command(), "server", "--family", "ipv4", "--control", str(control.getsockname()[1]),
            "--token", "t", "--time-limit", "1",
        ]  # fmt: skip
        with subprocess.Popen(argv, cwd=REPO, stderr=subprocess.PIPE) as server:
            conn, _ = control.accept()
            with conn:
                report = json.loads(conn.makefile().readline())
            assert report["role"] == "server" and report["token"] == "t" and report["port"] > 0
            assert server.wait(timeout=SUBPROCESS_TIMEOUT_S) == WATCHDOG_EXIT


def test_a_worker_with_bad_arguments_exits_2() -> None:
    done = subprocess.run(
        [*worker_command(), "client", "--family", "ipv5"],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("benchmark-worker: error:")


def test_a_run_asked_to_stop_kills_its_processes_at_once() -> None:
    # 30 s per test: only the stop can end this run in time; both processes are gone when it returns.
    plan = MeasurePlan(seconds=30.0, warmup_s=0.0, runs=1)
    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def recording_popen(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        process = real_popen(*args, **kwargs)  # type: ignore[call-overload]
        started.append(process)
        return process

    asked = iter(range(1_000_000))
    stop_after_client = lambda: len(started) == 2 and next(asked) > 2  # noqa: E731  (the client is measuring)
    t0 = time.monotonic()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(subprocess, "Popen", recording_popen)
        with pytest.raises(MeasureStoppedError):
            run_pair(Family.IPV4, plan, should_stop=stop_after_client)
    assert time.monotonic() - t0 < 20
    assert len(started) == 2 and all(p.poll() is not None for p in started)
