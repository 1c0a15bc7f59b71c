"""``check PROFILE`` on the simulated machine: compliant, drifted in one store or both, unreadable, before 1809,
not elevated; exit codes and the JSON contract (README, *Many machines*)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from app.domain.model import ExecutionMode, Family, LoopbackSettings
from app.domain.profile_file import dump_profile
from app.simulator.machine import SIMULATED_INITIAL
from app.simulator.profile import Fault
from app.simulator.store import SimStateFile
from tests.conftest import FIXTURES, MakeState, RunCli, machine_values, write_fake_netsh

INLINE = LoopbackSettings(ExecutionMode.INLINE, 4, True)


def profile(tmp_path: Path, settings: dict[Family, LoopbackSettings] | None = None) -> Path:
    path = tmp_path / "standard.json"
    path.write_text(dump_profile(settings or dict.fromkeys(Family, SIMULATED_INITIAL)), encoding="utf-8")
    return path


def check(run_cli: RunCli, state: SimStateFile, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("--state", str(state.path), "check", *args)


def drift(state: SimStateFile, family: Family, *, active: bool, persistent: bool) -> None:
    def change(machine: object) -> None:
        if active:
            machine.active[family] = INLINE  # type: ignore[attr-defined]
        if persistent:
            machine.persistent[family] = INLINE  # type: ignore[attr-defined]

    state.update(change)


def test_a_machine_with_the_profiles_values_is_compliant(
    run_cli: RunCli, make_state: MakeState, tmp_path: Path
) -> None:
    state = make_state()  # not elevated: reading needs no rights
    done = check(run_cli, state, str(profile(tmp_path)))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("Compliant: IPv4 and IPv6 match ")
    done = check(run_cli, state, str(profile(tmp_path)), "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout) == {
        "profile": str(tmp_path / "standard.json"),
        "compliant": True,
        "verdict": "compliant",
        "families": ["ipv4", "ipv6"],
        "stores": ["active", "persistent"],
        "differences": [],
        "unreadable": [],
    }


def test_drift_in_the_active_store_only_is_exit_8_and_each_difference_is_named(
    run_cli: RunCli, make_state: MakeState, tmp_path: Path
) -> None:
    state = make_state()
    drift(state, Family.IPV4, active=True, persistent=False)
    done = check(run_cli, state, str(profile(tmp_path)))
    assert done.returncode == 8, done.stderr
    assert done.stdout.splitlines()[1:] == ["  IPv4 active: execution mode is inline, the profile says adaptive"]
    done = check(run_cli, state, str(profile(tmp_path)), "--json")
    assert done.returncode == 8
    data = json.loads(done.stdout)
    assert (data["compliant"], data["verdict"]) == (False, "not-compliant")
    assert data["differences"] == [
        {"family": "ipv4", "store": "active", "setting": "execution_mode", "expected": "adaptive", "actual": "inline"}
    ]
    # The saved values alone still match: --store persistent says so.
    assert check(run_cli, state, str(profile(tmp_path)), "--store", "persistent").returncode == 0
    assert check(run_cli, state, str(profile(tmp_path)), "--store", "active").returncode == 8


def test_drift_in_the_saved_store_only_is_exit_8(run_cli: RunCli, make_state: MakeState, tmp_path: Path) -> None:
    state = make_state()
    drift(state, Family.IPV6, active=False, persistent=True)
    done = check(run_cli, state, str(profile(tmp_path)), "--json")
    assert done.returncode == 8
    assert [(d["family"], d["store"]) for d in json.loads(done.stdout)["differences"]] == [("ipv6", "persistent")]
    assert check(run_cli, state, str(profile(tmp_path)), "--store", "active").returncode == 0


def test_drift_in_both_stores_lists_both(run_cli: RunCli, make_state: MakeState, tmp_path: Path) -> None:
    state = make_state()
    drift(state, Family.IPV4, active=True, persistent=True)
    done = check(run_cli, state, str(profile(tmp_path)), "--json")
    assert done.returncode == 8
    differences = json.loads(done.stdout)["differences"]
    assert [(d["family"], d["store"], d["setting"]) for d in differences] == [
        ("ipv4", "active", "execution_mode"),
        ("ipv4", "persistent", "execution_mode"),
    ]


def test_check_changes_nothing(run_cli: RunCli, make_state: MakeState, tmp_path: Path) -> None:
    state = make_state()
    drift(state, Family.IPV4, active=True, persistent=True)
    before = machine_values(state)
    assert check(run_cli, state, str(profile(tmp_path))).returncode == 8
    assert machine_values(state) == before


def test_a_profile_for_one_family_checks_only_that_family(
    run_cli: RunCli, make_state: MakeState, tmp_path: Path
) -> None:
    state = make_state()
    drift(state, Family.IPV6, active=True, persistent=True)
    done = check(run_cli, state, str(profile(tmp_path, {Family.IPV4: SIMULATED_INITIAL})), "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout)["families"] == ["ipv4"]


def test_a_machine_that_cannot_be_read_is_never_compliant(
    run_cli: RunCli, make_state: MakeState, tmp_path: Path
) -> None:
    state = make_state(faults=frozenset({Fault.SHOW_FAILS}))
    done = check(run_cli, state, str(profile(tmp_path)), "--json")
    assert done.returncode == 3
    data = json.loads(done.stdout)
    assert (data["compliant"], data["verdict"]) == (False, "unreadable")
    assert {(u["family"], u["store"], u["problem"]) for u in data["unreadable"]} == {
        (f.value, s, "netsh-failed") for f in Family for s in ("active", "persistent")
    }
    assert "compliance unknown" in done.stderr


@pytest.mark.parametrize(("families", "code"), [((Family.IPV4, Family.IPV6), 3), ((Family.IPV4,), 0)])
def test_an_unrecognized_family_is_exit_3_unless_the_profile_leaves_it_out(
    run_cli: RunCli, tmp_path: Path, families: tuple[Family, ...], code: int
) -> None:
    netsh = write_fake_netsh(
        tmp_path / "netsh",
        {"ipv4": FIXTURES / "en-US-shuffled.txt", "ipv6": FIXTURES / "de-DE-like-unknown-labels-cp850.txt"},
    )
    shuffled = LoopbackSettings(ExecutionMode.WORKER, 12, False)  # what en-US-shuffled.txt shows
    path = profile(tmp_path, dict.fromkeys(families, shuffled))
    done = run_cli("--netsh", str(netsh), "check", str(path), "--json")
    assert done.returncode == code, done.stderr
    unreadable = json.loads(done.stdout)["unreadable"]
    assert [u["problem"] for u in unreadable] == (["unrecognized"] * 2 if code else [])


def test_a_build_before_1809_is_exit_4(run_cli: RunCli, make_state: MakeState, tmp_path: Path) -> None:
    state = make_state(build=17134)
    done = check(run_cli, state, str(profile(tmp_path)))
    assert done.returncode == 4
    assert done.stdout == ""
    assert done.stderr.count("loopback-tuner-cli: error: ") == 4


def test_an_elevated_session_checks_the_same(run_cli: RunCli, make_state: MakeState, tmp_path: Path) -> None:
    state = make_state(elevated=True)
    drift(state, Family.IPV4, active=False, persistent=True)
    assert check(run_cli, state, str(profile(tmp_path))).returncode == 8


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{", "is not a usable profile: the file is not valid JSON"),
        (b'{"format": "loopback-tuner-profile", "version": 1}', "the profile has neither ipv4 nor ipv6 settings"),
        (None, "could not be read"),
    ],
)
def test_a_bad_profile_is_exit_2_before_netsh_runs(
    run_cli: RunCli, make_state: MakeState, tmp_path: Path, content: bytes | None, message: str
) -> None:
    state = make_state(faults=frozenset({Fault.SHOW_FAILS}))  # netsh would fail: 2 shows it never ran
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_bytes(content)
    done = check(run_cli, state, str(path))
    assert done.returncode == 2
    assert done.stderr.startswith("loopback-tuner-cli: error: ") and message in done.stderr
    assert done.stderr.count("\n") == 1


def test_store_takes_only_the_documented_words(run_cli: RunCli, make_state: MakeState, tmp_path: Path) -> None:
    done = check(run_cli, make_state(), str(profile(tmp_path)), "--store", "all")
    assert done.returncode == 2
    assert done.stderr.startswith("loopback-tuner-cli: error: argument --store: invalid choice")
