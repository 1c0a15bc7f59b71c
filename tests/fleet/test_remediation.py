"""import PROFILE --yes as the remediation (issue 17): both stores end up matching, exit 0 when they do, 3 when a value
did not stick, never 8; a second run changes nothing and says 'already compliant', saved-only drift included."""

from __future__ import annotations

from pathlib import Path

from app.domain.model import ExecutionMode, Family, LoopbackSettings
from app.simulator.profile import Fault
from tests.conftest import MakeState, RunCli, machine_values
from tests.fleet.test_check import check, drift, profile

WANT = LoopbackSettings(ExecutionMode.WORKER, 8, True)


def remediate(run_cli: RunCli, state_path: Path, file: Path) -> tuple[int, str, str]:
    done = run_cli("--state", str(state_path), "import", str(file), "--yes")
    return done.returncode, done.stdout, done.stderr


def test_remediation_makes_both_stores_match_and_a_second_run_is_already_compliant(
    run_cli: RunCli, make_state: MakeState, tmp_path: Path
) -> None:
    state = make_state(elevated=True)
    file = profile(tmp_path, dict.fromkeys(Family, WANT))
    assert check(run_cli, state, str(file)).returncode == 8
    code, _, err = remediate(run_cli, state.path, file)
    assert code == 0, err
    assert machine_values(state) == (dict.fromkeys(Family, WANT), dict.fromkeys(Family, WANT))
    assert check(run_cli, state, str(file)).returncode == 0
    code, out, _ = remediate(run_cli, state.path, file)
    assert code == 0 and "Already compliant" in out and "Applied" not in out


def test_saved_only_drift_is_remediated_too(run_cli: RunCli, make_state: MakeState, tmp_path: Path) -> None:
    state = make_state(elevated=True)
    file = profile(tmp_path)  # the machine's own values
    drift(state, Family.IPV4, active=False, persistent=True)
    assert check(run_cli, state, str(file)).returncode == 8
    code, _, err = remediate(run_cli, state.path, file)
    assert code == 0, err
    assert check(run_cli, state, str(file)).returncode == 0
    assert "Already compliant" in remediate(run_cli, state.path, file)[1]


def test_a_value_that_does_not_stick_is_exit_3_never_8(run_cli: RunCli, make_state: MakeState, tmp_path: Path) -> None:
    state = make_state(elevated=True, faults=frozenset({Fault.SET_IGNORED}))
    code, _, _ = remediate(run_cli, state.path, profile(tmp_path, dict.fromkeys(Family, WANT)))
    assert code == 3
