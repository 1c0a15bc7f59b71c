"""Figures 9 and 10: the built-in loopback measurement against the established tools, in the same run, over
127.0.0.1 only: the p50 round trip against ``sockperf ping-pong`` (its one-way percentiles doubled) and one
stream's throughput against ``iperf3``. The runs are interleaved (built-in, sockperf, iperf3, built-in, ...) and
each ratio is taken within one round, so a noisy machine moves both sides of it alike: ratios only.

Nothing is installed here: a missing tool's figures are skipped with the command that installs it.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from figures import Budget, Figure, Stats, failed, progress

from app.benchmark.pair import run_pair
from app.domain.measurements import MeasurePlan
from app.domain.model import Family

HOST = "127.0.0.1"  # the only address either tool is ever pointed at
INSTALL = "sudo apt-get install sockperf iperf3 (Debian/Ubuntu)"
LATENCY_BUDGET = 1.25  # built-in p50 round trip at most 1.25x sockperf's
THROUGHPUT_BUDGET = 0.9  # built-in throughput at least 0.9x iperf3's
TOOL_TIMEOUT_S = 60.0
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_SOCKPERF_P50 = re.compile(r"percentile 50\.000 =\s*([0-9.]+)")


class ToolError(Exception):
    """An external tool failed, timed out or printed something we could not read."""


def _free_port() -> int:
    """A port that is free on 127.0.0.1 right now (the tools need a fixed one)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _lines(process: subprocess.Popen[str]) -> queue.Queue[str | None]:
    """A queue fed with ``process``'s output lines by a daemon thread (None at the end)."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(_ANSI.sub("", line))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _wait_for(lines: queue.Queue[str | None], marker: str, timeout_s: float, what: str) -> None:
    """Block until a line holding ``marker`` arrives (the server is listening); raises ToolError."""
    deadline = time.monotonic() + timeout_s
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise ToolError(f"{what} did not say it was ready within {timeout_s:.0f} s") from None
        if line is None:
            raise ToolError(f"{what} exited before it was ready: {''.join(seen)[-300:]}")
        seen.append(line)
        if marker in line:
            return


def _server_and_client(
    server_argv: Sequence[str], marker: str, client_argv: Callable[[int], list[str]], port: int, what: str
) -> str:
    """Start a tool's server, wait for its ready line, run its client to the end; the client's output."""
    server = subprocess.Popen(
        list(server_argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True
    )
    try:
        _wait_for(_lines(server), marker, TOOL_TIMEOUT_S, f"{what} server")
        try:
            done = subprocess.run(
                client_argv(port), capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise ToolError(f"{what} client did not finish within {TOOL_TIMEOUT_S:.0f} s") from exc
        if done.returncode != 0:
            raise ToolError(f"{what} client exited with {done.returncode}: {(done.stdout + done.stderr)[-300:]}")
        return _ANSI.sub("", done.stdout + done.stderr)
    finally:
        server.kill()
        server.wait(timeout=TOOL_TIMEOUT_S)


def sockperf_p50_rtt_us(sockperf: str, seconds: float) -> float:
    """``sockperf ping-pong`` over TCP with 64-byte messages for ``seconds``: its p50 one-way latency, doubled."""
    port = _free_port()
    server = [sockperf, "server", "--tcp", "-i", HOST, "-p", str(port)]
    output = _server_and_client(
        server,
        "to block on socket",
        lambda p: [sockperf, "ping-pong", "--tcp", "-i", HOST, "-p", str(p), "-m", "64", "-t", f"{seconds:g}"],
        port,
        "sockperf",
    )
    return 2 * parse_sockperf_p50(output)


def parse_sockperf_p50(output: str) -> float:
    """The one-way p50 in microseconds from sockperf's summary ("---> percentile 50.000 = 4.422")."""
    found = _SOCKPERF_P50.search(_ANSI.sub("", output))
    if not found:
        raise ToolError(f"no 'percentile 50.000' line in sockperf's output: {output[-300:]}")
    return float(found.group(1))


def iperf3_gb_per_s(iperf3: str, seconds: float) -> float:
    """One ``iperf3`` TCP stream (its default 128 KiB writes) for ``seconds``: what the receiver got, GB/s."""
    port = _free_port()
    server = [iperf3, "-s", "-1", "--forceflush", "-B", HOST, "-p", str(port)]
    output = _server_and_client(
        server,
        "Server listening",
        lambda p: [iperf3, "-c", HOST, "-p", str(p), "-t", f"{seconds:g}", "-J"],
        port,
        "iperf3",
    )
    return parse_iperf3_gb_per_s(output)


def parse_iperf3_gb_per_s(output: str) -> float:
    """From iperf3's JSON (-J): end.sum_received.bits_per_second, in GB/s (10^9 bytes)."""
    try:
        bits = json.loads(output[output.index("{") :])["end"]["sum_received"]["bits_per_second"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ToolError(f"iperf3's JSON has no end.sum_received.bits_per_second: {output[-300:]}") from exc
    return float(bits) / 8 / 1e9


@dataclass
class _Samples:
    builtin_p50_us: list[float] = field(default_factory=list)
    builtin_gbps: list[float] = field(default_factory=list)
    sockperf_p50_us: list[float] = field(default_factory=list)
    iperf3_gbps: list[float] = field(default_factory=list)
    latency_ratio: list[float] = field(default_factory=list)
    throughput_ratio: list[float] = field(default_factory=list)
    builtin_run_s: list[float] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def _tool(samples: _Samples, name: str, measure: Callable[[], float]) -> float | None:
    """One tool's figure, or None (its first failure is kept and the tool is not run again)."""
    if name in samples.errors:
        return None
    try:
        return measure()
    except ToolError as exc:
        samples.errors[name] = str(exc)
        return None


def _round(
    samples: _Samples, plan: MeasurePlan, tools: dict[str, str | None], seconds: float, *, tools_first: bool
) -> None:
    """One round: the built-in run and each installed tool; the tools go first in every other round, so neither side
    always gets the same moment of a machine whose load drifts."""
    sockperf, iperf3 = tools["sockperf"], tools["iperf3"]
    rtt = gbps = None

    def run_tools() -> None:
        nonlocal rtt, gbps
        rtt = _tool(samples, "sockperf", lambda: sockperf_p50_rtt_us(sockperf, seconds)) if sockperf else None
        gbps = _tool(samples, "iperf3", lambda: iperf3_gb_per_s(iperf3, seconds)) if iperf3 else None

    if tools_first:
        run_tools()
    started = time.perf_counter()
    result = run_pair(Family.IPV4, plan)
    samples.builtin_run_s.append(time.perf_counter() - started)
    if not tools_first:
        run_tools()
    samples.builtin_p50_us.append(result.latency.p50_us)
    samples.builtin_gbps.append(result.throughput.gb_per_s)
    if rtt is not None:
        samples.sockperf_p50_us.append(rtt)
        samples.latency_ratio.append(result.latency.p50_us / rtt)
    if gbps is not None:
        samples.iperf3_gbps.append(gbps)
        samples.throughput_ratio.append(result.throughput.gb_per_s / gbps)


def _missing(key: str, label: str, unit: str, tool: str, why: str) -> Figure:
    return Figure(key, label, unit, None, skipped=why or f"{tool} is not installed: {INSTALL}; figure skipped")


def compare_time() -> Figure:
    """Figure 11: one comparison of four configurations (current and the three presets), both families, the
    defaults (3 interleaved rounds, 1 s per test), end to end through the command line on a simulated machine
    (no prompt): one run, as it takes minutes."""
    progress("one comparison of four configurations (about 2 minutes)")
    with tempfile.TemporaryDirectory(prefix="loopback-compare-") as folder:
        state = Path(folder) / "state.json"
        env = {**os.environ, "LOOPBACK_TUNER_HOME": folder}
        argv = [sys.executable, "-m", "app.cli", "--backend", "simulated", "--state", str(state)]
        started = time.perf_counter()
        done = subprocess.run(
            [*argv, "compare", "--keep", "none", "--json"], capture_output=True, text=True, env=env,
            timeout=900, check=False,
        )  # fmt: skip
        elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise ToolError(f"compare exited with {done.returncode}: {done.stderr[-300:]}")
    report = json.loads(done.stdout)
    steps = len(report["configurations"]) * report["rounds"]
    return Figure(
        "loopback_compare_s",
        "11 One comparison of four configurations, end to end",
        "s",
        Stats.of([elapsed]),
        note=f"{len(report['configurations'])} configurations x {report['rounds']} rounds = {steps} steps, both "
        f"families, {report['seconds_per_test']:g} s per test; one run",
    )


def accuracy(runs: int, seconds: float) -> list[Figure]:
    """Figures 9 and 10, ``runs`` interleaved rounds of ``seconds`` per test (our warm-up is 0.2 s; sockperf's own
    warm-up is excluded from its figures too; iperf3 counts from its first byte)."""
    tools = {name: shutil.which(name) for name in ("sockperf", "iperf3")}
    plan = MeasurePlan(seconds=seconds, warmup_s=0.2, runs=1)
    samples = _Samples()
    for index in range(runs):
        order = "sockperf, iperf3, built-in" if index % 2 else "built-in, sockperf, iperf3"
        progress(f"loopback accuracy, round {index + 1} of {runs} ({order})")
        _round(samples, plan, tools, seconds, tools_first=bool(index % 2))
    note = (
        f"127.0.0.1, 64-byte messages, TCP_NODELAY; {runs} interleaved rounds of {seconds:g} s per test "
        "(the tools first in every other round)"
    )
    figures = [
        Figure(
            "loopback_p50_builtin_us",
            "9 Loopback p50 round trip: built-in (measure)",
            "us",
            Stats.of(samples.builtin_p50_us),
            note=note,
        ),
    ]
    if samples.latency_ratio:
        figures += [
            Figure(
                "loopback_p50_sockperf_us",
                "  sockperf ping-pong p50 x 2 (one-way doubled)",
                "us",
                Stats.of(samples.sockperf_p50_us),
            ),
            Figure(
                "loopback_p50_ratio",
                "  ratio built-in / sockperf, per round",
                "x",
                Stats.of(samples.latency_ratio),
                Budget(LATENCY_BUDGET, "the built-in p50 round trip at most 1.25x sockperf's"),
            ),
        ]
    else:
        figures.append(
            _missing(
                "loopback_p50_ratio", "  ratio built-in / sockperf", "x", "sockperf", samples.errors.get("sockperf", "")
            )
        )
    figures.append(
        Figure(
            "loopback_gbps_builtin",
            "10 Loopback one-stream throughput: built-in (measure)",
            "GB/s",
            Stats.of(samples.builtin_gbps),
            note="127.0.0.1, 128 KiB writes, one stream",
        ),
    )
    if samples.throughput_ratio:
        figures += [
            Figure("loopback_gbps_iperf3", "  iperf3, one stream (received)", "GB/s", Stats.of(samples.iperf3_gbps)),
            Figure(
                "loopback_gbps_ratio",
                "  ratio built-in / iperf3, per round",
                "x",
                Stats.of(samples.throughput_ratio),
                Budget(THROUGHPUT_BUDGET, "the built-in throughput at least 0.9x iperf3's", at_least=True),
            ),
        ]
    else:
        figures.append(
            _missing(
                "loopback_gbps_ratio", "  ratio built-in / iperf3", "x", "iperf3", samples.errors.get("iperf3", "")
            )
        )
    figures.append(
        Figure(
            "loopback_run_s",
            "  one built-in run end to end (3 tests, 2 processes)",
            "s",
            Stats.of(samples.builtin_run_s),
            note=f"3 x ({plan.warmup_s:g} s warm-up + {seconds:g} s) plus two process start-ups",
        )
    )
    try:
        figures.append(compare_time())
    except (ToolError, subprocess.TimeoutExpired, ValueError, KeyError) as exc:
        figures.append(failed("loopback_compare_s", "11 One comparison of four configurations", "s", exc))
    return figures
