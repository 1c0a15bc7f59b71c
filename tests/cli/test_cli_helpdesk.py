"""Help-desk commands end to end: presets, undo commands, restore, report, export/import, logging."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from app.domain.model import ExecutionMode, Family, LoopbackSettings
from app.paths import AppPaths
from app.simulator.machine import SIMULATED_INITIAL
from app.simulator.store import SimStateFile
from tests.conftest import MakeState, RunCli, machine_values


def cli(run_cli: RunCli, state: SimStateFile, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli("--state", str(state.path), *args, input=input)


def active(state: SimStateFile) -> dict[Family, LoopbackSettings]:
    return machine_values(state)[0]


def test_preset_fills_in_the_values_it_implies(run_cli: RunCli, make_state: MakeState) -> None:
    state = make_state(elevated=True)
    done = cli(run_cli, state, "set", "--yes", "--family", "ipv6", "--preset", "latency")
    assert done.returncode == 0, done.stderr
    assert active(state)[Family.IPV6].execution_mode is ExecutionMode.INLINE
    assert active(state)[Family.IPV4] == SIMULATED_INITIAL


def test_a_preset_with_explicit_values_is_refused(run_cli: RunCli, make_state: MakeState) -> None:
    """Both given is usually a mistake (issue 13); it used to let the values override the preset."""
    state = make_state(elevated=True)
    for command in ("set", "commands"):
        done = cli(run_cli, state, command, "--family", "ipv6", "--preset", "latency", "--workers", "3")
        assert done.returncode == 2
        assert done.stderr.strip().splitlines() == [
            "loopback-tuner-cli: error: --preset sets every value itself: give a preset or --mode/--workers/"
            "--large-mtu, not both"
        ]
    assert machine_values(state) == (dict.fromkeys(Family, SIMULATED_INITIAL), dict.fromkeys(Family, SIMULATED_INITIAL))


def test_abbreviated_options_are_errors_not_other_options(run_cli: RunCli, make_state: MakeState) -> None:
    state = make_state(elevated=True)
    done = cli(run_cli, state, "set", "--fam", "ipv4", "--mo", "worker", "--dry")  # worked before, as --family...
    assert (done.returncode, done.stderr) == (
        2,
        "loopback-tuner-cli: error: the following arguments are required: --family\n",
    )
    done = cli(run_cli, state, "set", "--family", "ipv4", "--mo", "worker", "--dry")
    assert (done.returncode, done.stderr) == (
        2,
        "loopback-tuner-cli: error: unrecognized arguments: --mo worker --dry\n",
    )
    assert machine_values(state)[0] == dict.fromkeys(Family, SIMULATED_INITIAL)


def test_export_into_a_folder_that_does_not_exist_is_refused(run_cli: RunCli, make_state: MakeState) -> None:
    state = make_state(elevated=True)
    target = state.path.parent / "no-such-folder" / "profile.json"
    done = cli(run_cli, state, "export", str(target))
    assert done.returncode == 2 and "does not exist" in done.stderr
    assert not target.parent.exists()  # it used to create the folder


def test_set_needs_something_to_set(run_cli: RunCli, make_state: MakeState) -> None:
    state = make_state(elevated=True)
    done = cli(run_cli, state, "set", "--yes", "--family", "ipv4")
    assert done.returncode == 2 and "nothing to set" in done.stderr


def test_commands_undo_prints_the_inverse(run_cli: RunCli, make_state: MakeState) -> None:
    state = make_state(elevated=True)
    done = cli(run_cli, state, "commands", "--family", "ipv4", "--large-mtu", "off", "--undo")
    assert done.stdout.strip().endswith("netsh interface ipv4 set global loopbacklargemtu=enable store=persistent")
    assert active(state)[Family.IPV4] == SIMULATED_INITIAL


def test_restore_original_is_a_trial_and_no_answer_changes_nothing(run_cli: RunCli, make_state: MakeState) -> None:
    """Issue 13: no "Apply?" question any more; the trial is the confirmation, as for set."""
    state = make_state(elevated=True)
    assert cli(run_cli, state, "show").returncode == 0  # the first read saves the original values
    assert cli(run_cli, state, "set", "--yes", "--family", "both", "--mode", "worker").returncode == 0
    done = cli(run_cli, state, "restore", "original", input="")  # no terminal, no --yes: refused, nothing runs
    assert done.returncode == 2 and "add --yes" in done.stderr
    done = cli(run_cli, state, "restore", "original", "--trial", "5", input="")  # end of input reverts
    assert done.returncode == 7 and "Keep these settings?" in done.stdout
    assert active(state)[Family.IPV4].execution_mode is ExecutionMode.WORKER
    done = cli(run_cli, state, "restore", "original", "--family", "ipv4", "--trial", "5", input="y\n")
    assert done.returncode == 0, done.stderr
    assert active(state)[Family.IPV4] == SIMULATED_INITIAL
    assert active(state)[Family.IPV6].execution_mode is ExecutionMode.WORKER
    assert machine_values(state)[1][Family.IPV4] == SIMULATED_INITIAL  # saved too


def test_restore_original_without_originals_is_refused(run_cli: RunCli, make_state: MakeState, paths: AppPaths) -> None:
    state = make_state(elevated=True, build=17134)  # nothing readable: no originals are ever saved
    done = cli(run_cli, state, "restore", "original", "--yes")
    assert done.returncode == 2 and "no original values" in done.stderr


def test_restore_windows_defaults_uses_the_table_and_refuses_unknown_builds(
    run_cli: RunCli, make_state: MakeState
) -> None:
    state = make_state(elevated=True)
    assert cli(run_cli, state, "set", "--yes", "--family", "ipv6", "--workers", "9").returncode == 0
    done = cli(run_cli, state, "restore", "windows-defaults", "--family", "ipv6", "--trial", "5", "--yes")
    assert done.returncode == 0, done.stderr
    assert "source:" in done.stdout and active(state)[Family.IPV6] == SIMULATED_INITIAL
    unknown = make_state(elevated=True, build=17134, name="old.json")
    done = cli(run_cli, unknown, "restore", "windows-defaults", "--yes")
    assert done.returncode == 2 and "not known" in done.stderr


def test_report_text_and_markdown(run_cli: RunCli, make_state: MakeState) -> None:
    state = make_state(elevated=True, build=26100, congestion_provider="bbr2")
    assert cli(run_cli, state, "set", "--yes", "--family", "ipv4", "--workers", "6").returncode == 0
    text = cli(run_cli, state, "report").stdout
    for expected in (
        "(SIMULATED MACHINE)",
        "build 26100",
        "Display language:",
        "IPv6 saved (persistent):",
        "IPv4 worker count: 4 \u2192 6",
        "BBR2",
    ):
        assert expected in text, expected
    markdown = cli(run_cli, state, "report", "--markdown").stdout
    assert markdown.startswith("### Loopback Tuner") and "| Running as administrator | yes |" in markdown


def test_export_then_import(run_cli: RunCli, make_state: MakeState, tmp_path: Path) -> None:
    state = make_state(elevated=True)
    target = tmp_path / "profile.json"
    assert cli(run_cli, state, "export", str(target)).returncode == 0
    again = cli(run_cli, state, "export", str(target))
    assert again.returncode == 2 and "--force" in again.stderr
    data = json.loads(target.read_text())
    data["ipv4"] = {"execution_mode": "worker", "worker_count": 12, "large_mtu": False}
    target.write_text(json.dumps(data))
    done = cli(run_cli, state, "import", str(target), "--yes")
    assert done.returncode == 0, done.stderr
    assert active(state)[Family.IPV4] == LoopbackSettings(ExecutionMode.WORKER, 12, False)


def test_import_refuses_bad_files_before_anything_runs(run_cli: RunCli, make_state: MakeState, tmp_path: Path) -> None:
    state = make_state(elevated=True)
    before = state.path.read_bytes()
    for content, reason in (
        (b"\x00\x01\x02", "binary"),
        (b"{}", "not a Loopback Tuner profile"),
        (
            json.dumps(
                {
                    "format": "loopback-tuner-profile",
                    "version": 1,
                    "ipv4": {"execution_mode": "inline", "worker_count": 0, "large_mtu": True},
                }
            ).encode(),
            "1 to 16, got 0",
        ),
    ):
        bad = tmp_path / "bad.json"
        bad.write_bytes(content)
        done = cli(run_cli, state, "import", str(bad), "--yes")
        assert done.returncode == 2 and reason in done.stderr
        assert done.stderr.count("\n") == 1
    assert state.path.read_bytes() == before
    missing = cli(run_cli, state, "import", str(tmp_path / "nope.json"), "--yes")
    assert missing.returncode == 2 and "could not be read" in missing.stderr


def test_verbose_prints_netsh_runs_and_the_support_log_keeps_them(
    run_cli: RunCli, make_state: MakeState, paths: AppPaths
) -> None:
    state = make_state(elevated=True)
    done = cli(run_cli, state, "show")
    assert "netsh interface" not in done.stderr  # quiet without --verbose
    done = run_cli("--verbose", "--state", str(state.path), "show")
    assert "netsh interface ipv4 show global store=active -> exit 0" in done.stderr
    log = (paths.logs / "loopback-tuner.log").read_text(encoding="utf-8")
    assert "netsh interface ipv6 show global store=persistent -> exit 0" in log


def test_an_unfinished_transaction_is_reported_once(run_cli: RunCli, make_state: MakeState, paths: AppPaths) -> None:
    from app.domain.model import Change, FamilyChange
    from app.storage.history import History

    state = make_state(elevated=True)
    change = Change((FamilyChange(Family.IPV4, SIMULATED_INITIAL, LoopbackSettings(ExecutionMode.INLINE, 4, True)),))
    History(paths.history).record_started(change, "simulated")
    first = cli(run_cli, state, "show", "--json")
    assert first.returncode == 0 and "did not finish" in first.stderr
    assert json.loads(first.stdout)["ipv4"]["execution_mode"] == "adaptive"  # stdout stays pure JSON
    second = cli(run_cli, state, "show", "--json")
    assert "did not finish" not in second.stderr
    assert "interrupted" in cli(run_cli, state, "history").stdout


def _as_user(home: Path) -> dict[str, str]:
    import os

    return {**os.environ, "LOOPBACK_TUNER_HOME": str(home)}


def test_a_second_user_restores_the_machine_wide_originals(
    run_cli: RunCli, make_state: MakeState, tmp_path: Path
) -> None:
    state = make_state(elevated=True)
    first = cli(run_cli, state, "set", "--yes", "--family", "ipv4", "--mode", "worker", "--workers", "3")
    assert first.returncode == 0, first.stderr  # through the helper: it records the before-values for the machine
    machine = state.path.parent / "machine"
    recorded = json.loads((machine / "machine-originals.json").read_text())
    assert LoopbackSettings.from_json(recorded["ipv4"]["settings"]) == SIMULATED_INITIAL
    history = [json.loads(line) for line in (machine / "machine-history.jsonl").read_text().splitlines()]
    assert [h["outcome"] for h in history] == ["applied", "kept"] and history[0]["family"] == "ipv4"
    events = [json.loads(line) for line in (machine / "event-log.jsonl").read_text().splitlines()]
    assert [e["event_id"] for e in events] == [101, 102]
    # A second change does not overwrite the machine's originals.
    assert cli(run_cli, state, "set", "--yes", "--family", "ipv4", "--mode", "inline").returncode == 0
    assert json.loads((machine / "machine-originals.json").read_text()) == recorded
    # Another user (own per-user folder) first reads the machine now: their own "first read" is the changed value.
    other = _as_user(tmp_path / "bob")
    done = run_cli("--state", str(state.path), "restore", "original", "--family", "ipv4", "--yes", env=other)
    assert done.returncode == 0, done.stderr
    assert "IPv4 original values, recorded for this machine on " in done.stdout
    assert active(state)[Family.IPV4] == SIMULATED_INITIAL


def test_restore_says_when_it_uses_this_users_originals(run_cli: RunCli, make_state: MakeState) -> None:
    state = make_state(elevated=True)
    assert cli(run_cli, state, "show").returncode == 0  # no change was ever made: no machine-wide record
    done = cli(run_cli, state, "restore", "original", "--family", "ipv6", "--dry-run")
    assert done.returncode == 0 and "IPv6 original values, recorded by this user on " in done.stdout


def test_a_machine_folder_others_can_write_is_not_used(run_cli: RunCli, make_state: MakeState, tmp_path: Path) -> None:
    import sys

    import pytest

    if sys.platform == "win32":
        pytest.skip("the simulated folder check is POSIX ownership")
    state = make_state(elevated=True)
    assert cli(run_cli, state, "show").returncode == 0  # this user's first read: the real originals
    machine = state.path.parent / "machine"
    machine.mkdir(mode=0o777)
    machine.chmod(0o777)
    planted = LoopbackSettings(ExecutionMode.WORKER, 16, False)
    (machine / "machine-originals.json").write_text(
        json.dumps({"ipv4": {"settings": planted.to_json(), "saved_at": 1.0}})
    )
    done = cli(run_cli, state, "set", "--yes", "--family", "ipv4", "--workers", "5")
    assert done.returncode == 0, done.stderr  # the change still works; the folder is not written
    assert sorted(p.name for p in machine.iterdir()) == ["machine-originals.json"]
    assert "not used" in done.stderr
    done = cli(run_cli, state, "restore", "original", "--family", "ipv4", "--yes")
    assert done.returncode == 0, done.stderr
    assert "were not used" in done.stderr and "recorded by this user on" in done.stdout
    assert active(state)[Family.IPV4] == SIMULATED_INITIAL  # never the planted values
