"""make bench's readers of sockperf's and iperf3's output (benchmarks/loopback_figures.py), on fixed outputs."""

from __future__ import annotations

import importlib
import json
import sys
from types import ModuleType

import pytest

from tests.conftest import REPO

# sockperf 3.7's ping-pong summary (Debian 12), color codes and all, as captured on this project's machine.
SOCKPERF_OUTPUT = (
    "sockperf: [Valid Duration] RunTime=1.550 sec; SentMessages=151951; ReceivedMessages=151951\n"
    "sockperf: \x1b[2;35m====> avg-latency=5.076 (std-dev=36.552)\x1b[0m\n"
    "sockperf: ---> <MAX> observation = 8408.845\n"
    "sockperf: ---> percentile 99.000 =    9.546\n"
    "sockperf: ---> percentile 90.000 =    4.758\n"
    "sockperf: ---> percentile 50.000 =    4.422\n"
    "sockperf: ---> percentile 25.000 =    4.130\n"
    "sockperf: ---> <MIN> observation =    3.128\n"
)


@pytest.fixture
def figures_module(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    monkeypatch.delitem(sys.modules, "loopback_figures", raising=False)
    return importlib.import_module("loopback_figures")


def test_sockperf_p50_is_read_from_its_percentile_line(figures_module: ModuleType) -> None:
    assert figures_module.parse_sockperf_p50(SOCKPERF_OUTPUT) == pytest.approx(4.422)


def test_sockperf_output_without_percentiles_is_a_tool_error(figures_module: ModuleType) -> None:
    with pytest.raises(figures_module.ToolError, match=r"percentile 50\.000"):
        figures_module.parse_sockperf_p50("sockperf: ERROR: connect failed\n")


def test_iperf3_throughput_is_what_the_receiver_got_in_gb_per_s(figures_module: ModuleType) -> None:
    report = {"start": {}, "end": {"sum_sent": {"bits_per_second": 9e10}, "sum_received": {"bits_per_second": 2.4e10}}}
    assert figures_module.parse_iperf3_gb_per_s("warning: x\n" + json.dumps(report)) == pytest.approx(3.0)


@pytest.mark.parametrize("output", ["", "{}", '{"end": {"sum_received": {}}}', "not json {"])
def test_iperf3_output_without_a_received_sum_is_a_tool_error(figures_module: ModuleType, output: str) -> None:
    with pytest.raises(figures_module.ToolError, match="sum_received"):
        figures_module.parse_iperf3_gb_per_s(output)
