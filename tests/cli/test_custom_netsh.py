"""LOOPBACK_TUNER_NETSH end to end: a stand-in program prints recorded output; the CLI reads it as netsh's."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, RunCli, write_fake_netsh

pytestmark = pytest.mark.skipif(os.name == "nt", reason="a #! script stands in for netsh")


def env_with(netsh: Path) -> dict[str, str]:
    return {**os.environ, "LOOPBACK_TUNER_NETSH": str(netsh)}


def test_recorded_output_gives_the_right_values(run_cli: RunCli, tmp_path: Path) -> None:
    netsh = write_fake_netsh(
        tmp_path / "netsh",
        {"ipv4": FIXTURES / "en-US-documented-order-crlf.txt", "ipv6": FIXTURES / "en-US-shuffled.txt"},
    )
    done = run_cli("show", "--json", env=env_with(netsh))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "ipv4": {"execution_mode": "adaptive", "worker_count": 4, "large_mtu": True},
        "ipv6": {"execution_mode": "worker", "worker_count": 12, "large_mtu": False},
    }


def test_unrecognized_output_is_an_error_object_and_exit_3(run_cli: RunCli, tmp_path: Path) -> None:
    netsh = write_fake_netsh(
        tmp_path / "netsh",
        {"ipv4": FIXTURES / "en-US-letter-case.txt", "ipv6": FIXTURES / "de-DE-like-unknown-labels-cp850.txt"},
    )
    done = run_cli("show", "--json", env=env_with(netsh))
    assert done.returncode == 3
    data = json.loads(done.stdout)
    assert data["ipv4"] == {"execution_mode": "worker", "worker_count": 16, "large_mtu": True}
    assert list(data["ipv6"]) == ["error"] and "nothing was guessed" in data["ipv6"]["error"]


@pytest.mark.parametrize(
    "fixture", ["en-US-worker-count-17.txt", "en-US-duplicate-disagree.txt", "empty.txt", "zh-CN-fragment-cp936.txt"]
)
def test_output_that_cannot_be_trusted_is_a_clean_error(run_cli: RunCli, tmp_path: Path, fixture: str) -> None:
    netsh = write_fake_netsh(tmp_path / "netsh", FIXTURES / fixture)
    done = run_cli("show", "--json", env=env_with(netsh))
    assert done.returncode == 3 and "Traceback" not in done.stderr
    assert all(list(value) == ["error"] for value in json.loads(done.stdout).values())


def test_a_table_without_loopback_rows_from_a_custom_program_is_unrecognized_not_unsupported(
    run_cli: RunCli, tmp_path: Path
) -> None:
    # The machine behind a custom program is unknown, so its build is: "unsupported" (exit 4) needs a build number.
    netsh = write_fake_netsh(tmp_path / "netsh", FIXTURES / "en-US-pre1809.txt")
    done = run_cli("show", "--json", env=env_with(netsh))
    assert done.returncode == 3, done.stderr
    assert "1809" not in json.loads(done.stdout)["ipv4"]["error"]
    refused = run_cli("set", "--yes", "--family", "ipv4", "--mode", "inline", env=env_with(netsh))
    assert refused.returncode == 3


def test_a_failing_program_exits_3(run_cli: RunCli, tmp_path: Path) -> None:
    netsh = write_fake_netsh(tmp_path / "netsh", FIXTURES / "en-US-documented-order-crlf.txt", exit_code=1)
    done = run_cli("show", "--json", env=env_with(netsh))
    assert done.returncode == 3 and "netsh exited with code 1" in json.loads(done.stdout)["ipv4"]["error"]


def test_the_netsh_option_with_a_relative_path(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    write_fake_netsh(tmp_path / "bin" / "netsh", FIXTURES / "en-US-enable-token.txt")
    done = run_cli("--netsh", "bin/netsh", "show", "--json")  # run_cli runs in tmp_path
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ipv6"] == {"execution_mode": "inline", "worker_count": 1, "large_mtu": True}
