"""Every error line of the command line starts with the program's name, so a script or a person can tell it
from netsh's own words (issue 13: some started with "error: IPv4: ...")."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import RunCli


def test_every_error_line_starts_with_the_programs_name(run_cli: RunCli, tmp_path: Path) -> None:
    state = str(tmp_path / "state.json")
    runs = [
        run_cli(
            "--netsh", str(tmp_path / "nope"), "set", "--yes", "--family", "ipv4", "--workers", "8"
        ),  # netsh missing
        run_cli("--state", state, "set", "--yes", "--family", "ipv4"),  # usage
    ]
    run_cli("--state", state, "simulate", "profile", "--uac", "cancel")
    runs.append(run_cli("--state", state, "set", "--yes", "--family", "ipv4", "--workers", "8"))  # cancelled prompt
    assert [run.returncode for run in runs] == [3, 2, 5]
    errors = [line for run in runs for line in run.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) >= 3, [run.stderr for run in runs]
    assert all(line.startswith("loopback-tuner-cli: error: ") for line in errors), errors
