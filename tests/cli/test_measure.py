"""``loopback-tuner-cli measure``: real short runs through the installed command, the JSON contract, the caveat on the
simulated machine, validation (exit 2) and a family that cannot be measured (exit 9)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from app import cli
from app.benchmark import pair
from app.benchmark.pair import MeasureError
from app.cli_parts.measure import EXIT_MEASURE_FAILED
from app.domain.measurements import SIMULATED_CAVEAT, ConnectRun, LatencyRun, MeasurePlan, RunResult, ThroughputRun
from app.domain.model import Family
from tests.conftest import FIXTURES, RunCli, write_fake_netsh

QUICK = ("--seconds", "0.1", "--runs", "1")


def test_measure_json_on_the_simulated_machine(run_cli: RunCli, tmp_path: Path) -> None:
    done = run_cli(
        "--backend", "simulated", "--state", str(tmp_path / "s.json"), "measure", "--family", "ipv4", *QUICK, "--json"
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"schema", "simulated", "caveat", "plan", "ipv4"}
    assert data["schema"] == 1 and data["simulated"] is True and data["caveat"] == SIMULATED_CAVEAT
    assert data["plan"] == {"seconds": 0.1, "warmup_seconds": 0.2, "runs": 1, "order": ["ipv4"]}
    v4 = data["ipv4"]
    assert v4["address"] == "127.0.0.1"
    assert v4["settings"] == {"execution_mode": "adaptive", "worker_count": 4, "large_mtu": True}
    p50 = v4["latency_us"]["p50"]
    assert p50["runs"] == 1 and p50["median"] == p50["min"] == p50["max"] > 0
    assert v4["latency_us"]["samples"] > 0
    assert v4["throughput_gb_per_s"]["median"] > 0 and v4["connections_per_s"]["median"] > 0
    assert len(v4["runs"]) == 1 and "error" not in v4


def test_measure_text_says_plainly_that_the_simulated_settings_do_not_change_the_figures(
    run_cli: RunCli, tmp_path: Path
) -> None:
    done = run_cli("--backend", "simulated", "--state", str(tmp_path / "s.json"), "measure", *QUICK)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.count("Simulated machine: these are real measurements of this computer's loopback") == 2
    assert "IPv4 (127.0.0.1), simulated settings: adaptive, 4 workers, large MTU on" in text
    assert "IPv6 (::1), simulated settings:" in text
    assert "round trip p50 (64 bytes)" in text and "GB/s" in text and "/s" in text
    assert "run 1 of 2: IPv4" in done.stderr and "run 2 of 2: IPv6" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--seconds", "0"), "argument --seconds: --seconds takes 0.1 to 60 seconds, got 0"),
        (("--seconds", "nan"), "--seconds takes 0.1 to 60 seconds, got nan"),
        (("--seconds", "soon"), "--seconds takes a number (0.1 to 60), got 'soon'"),
        (("--runs", "21"), "--runs takes 1 to 20 runs, got 21"),
        (("--runs", "2.5"), "--runs takes a whole number (1 to 20), got '2.5'"),
        (("--family", "ipv5"), "argument --family: invalid choice: 'ipv5'"),
        (("--sec", "1"), "unrecognized arguments: --sec"),  # never abbreviated
    ],
)
def test_bad_measure_options_exit_2_with_one_line(
    args: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_a: object, **_k: object) -> RunResult:
        raise AssertionError("nothing may run")

    monkeypatch.setattr(pair, "run_pair", never)
    assert cli.main(["--backend", "simulated", "measure", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("loopback-tuner-cli: error: ") and message in err
    assert len(err.strip().splitlines()) == 1


def _fake_run(family: Family, plan: MeasurePlan, **_hooks: object) -> RunResult:  # should_stop: never asked here
    if family is Family.IPV6:
        raise MeasureError("the benchmark server exited with code 3 before reporting")
    return RunResult(LatencyRun(100, 10.0, 12.0, 20.0, 90.0), ThroughputRun(3_000_000_000, 1.0), ConnectRun(9000, 1.0))


def test_a_family_that_cannot_be_measured_exits_9_and_the_other_is_still_shown(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pair, "run_pair", _fake_run)
    code = cli.main(["--backend", "simulated", "--state", str(tmp_path / "s.json"), "measure", "--runs", "3", "--json"])
    assert code == EXIT_MEASURE_FAILED == 9
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["plan"]["order"] == ["ipv4", "ipv4", "ipv4"]  # the runs taken: ipv6 is not tried again after it failed
    assert data["ipv4"]["latency_us"]["p50"] == {"median": 10.0, "min": 10.0, "max": 10.0, "runs": 3}
    assert data["ipv6"]["error"] == "the benchmark server exited with code 3 before reporting"
    assert data["ipv6"]["runs"] == []
    error = "loopback-tuner-cli: error: IPv6 could not be measured: the benchmark server exited with code 3"
    assert captured.err.strip().splitlines()[-1] == f"{error} before reporting"


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in netsh is a script with a #! line")
def test_on_a_real_machine_there_is_no_caveat(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pair, "run_pair", _fake_run)
    netsh = write_fake_netsh(tmp_path / "netsh", FIXTURES / "en-US-shuffled.txt")
    assert cli.main(["--netsh", str(netsh), "measure", "--family", "ipv4", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "Simulated" not in out and "simulated" not in out
    assert "IPv4 (127.0.0.1), " in out and "10.0 us" in out and "3.00 GB/s" in out and "9,000/s" in out
    assert cli.main(["--netsh", str(netsh), "measure", "--family", "ipv4", "--runs", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["simulated"] is False and data["caveat"] is None
    assert data["ipv4"]["settings"] is not None
