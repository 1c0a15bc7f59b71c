"""The command line end to end, as a child process on the simulated machine (``--state`` in a temporary folder)."""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.domain.model import ExecutionMode, Family, LoopbackSettings
from app.paths import AppPaths
from app.simulator.machine import SIMULATED_INITIAL
from app.simulator.profile import Fault, SimProfile
from app.simulator.store import SimStateFile
from app.storage.files import InterProcessLock
from app.storage.history import History
from tests.conftest import REPO, SUBPROCESS_TIMEOUT_S, MakeState, RunCli, machine_values

INITIAL_JSON = {"execution_mode": "adaptive", "worker_count": 4, "large_mtu": True}


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "state.json"


def cli(run_cli: RunCli, state: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli("--state", str(state), *args, input=input)


def values(state: Path) -> tuple[dict[Family, LoopbackSettings], dict[Family, LoopbackSettings]]:
    return machine_values(SimStateFile(state))


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr.strip()


# --- show ---


def test_show_json_contract(run_cli: RunCli, state_path: Path) -> None:
    done = cli(run_cli, state_path, "show", "--json")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.count("\n") == 1
    data = json.loads(done.stdout)
    assert data == {"ipv4": INITIAL_JSON, "ipv6": INITIAL_JSON}
    assert list(data) == ["ipv4", "ipv6"] and list(data["ipv4"]) == ["execution_mode", "worker_count", "large_mtu"]
    assert isinstance(data["ipv4"]["large_mtu"], bool) and isinstance(data["ipv4"]["worker_count"], int)


def test_show_runs_each_read_once_and_logs_every_run(run_cli: RunCli, state_path: Path, paths: AppPaths) -> None:
    """Issue 16: show starts its four netsh runs before the rest of the command line is imported; each is still run
    once, and each is in the support log (written when the read takes it, once logging is set up)."""
    done = cli(run_cli, state_path, "show", "--json")
    assert (done.returncode, done.stderr) == (0, "")
    log = (paths.logs / "loopback-tuner.log").read_text(encoding="utf-8")
    runs = [line.split("netsh: ", 1)[1] for line in log.splitlines() if " netsh: " in line]
    assert sorted(run.split(" (")[0] for run in runs) == sorted(
        f"netsh interface {family} show global store={store} -> exit 0"
        for family in ("ipv4", "ipv6")
        for store in ("active", "persistent")
    )


def test_main_called_with_argv_leaves_the_garbage_collector_alone(state_path: Path) -> None:
    """Only the command line's own process (argv from sys.argv, exiting next) freezes its objects out of the
    interpreter's last collections; a caller in the same process (tests, the frozen helper) keeps them collected."""
    import gc
    import io

    from app.cli import main

    before = gc.get_freeze_count()
    assert main(["--state", str(state_path), "show", "--json"], out=io.StringIO()) == 0
    assert gc.get_freeze_count() == before


def test_show_json_persistent_store(run_cli: RunCli, make_state: MakeState) -> None:
    state = make_state(elevated=True)
    state.update(lambda m: m.execute(["interface", "ipv6", "set", "global", "loopbackworkercount=2", "store=active"]))
    active = json.loads(cli(run_cli, state.path, "show", "--json").stdout)
    persistent = json.loads(cli(run_cli, state.path, "show", "--json", "--store", "persistent").stdout)
    assert active["ipv6"]["worker_count"] == 2 and persistent["ipv6"]["worker_count"] == 4


def test_show_text(run_cli: RunCli, make_state: MakeState) -> None:
    state = make_state(elevated=True)
    state.update(
        lambda m: m.execute(["interface", "ipv4", "set", "global", "loopbacklargemtu=disable", "store=active"])
    )
    done = cli(run_cli, state.path, "show")
    assert done.returncode == 0
    assert done.stdout.splitlines()[:4] == [
        "IPv4 (active)",
        "  execution mode : adaptive",
        "  worker count   : 4",
        "  large MTU      : off",
    ]
    assert "large MTU differ from the saved values (lost at reboot)" in done.stdout


def test_show_unrecognized_output_is_an_error_object_and_exit_3(run_cli: RunCli, make_state: MakeState) -> None:
    state = make_state(language="zh-CN")
    done = cli(run_cli, state.path, "show", "--json")
    assert done.returncode == 3
    data = json.loads(done.stdout)
    assert set(data) == {"ipv4", "ipv6"} and set(data["ipv4"]) == {"error"}
    assert "nothing was guessed" in data["ipv4"]["error"]


def test_show_on_a_pre_1809_build_exits_4(run_cli: RunCli, make_state: MakeState) -> None:
    done = cli(run_cli, make_state(build=17134).path, "show", "--json")
    assert done.returncode == 4
    assert "1809" in json.loads(done.stdout)["ipv6"]["error"]


def test_show_with_a_failing_netsh_exits_3(run_cli: RunCli, make_state: MakeState) -> None:
    done = cli(run_cli, make_state(faults=frozenset({Fault.SHOW_FAILS})).path, "show")
    assert done.returncode == 3 and "cannot be read : netsh exited with code 1" in done.stdout


def test_show_with_a_corrupt_state_file_tells_the_user(run_cli: RunCli, state_path: Path) -> None:
    state_path.write_text("{ not json", encoding="utf-8")
    done = cli(run_cli, state_path, "show", "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout) == {"ipv4": INITIAL_JSON, "ipv6": INITIAL_JSON}  # stdout stays pure JSON
    assert done.stderr.startswith("note: The simulated machine's state file was unreadable")
    assert list(state_path.parent.glob("state.json.corrupt-*"))


def test_missing_netsh_through_the_option(run_cli: RunCli, tmp_path: Path) -> None:
    done = run_cli("--netsh", str(tmp_path / "nope"), "show", "--json")
    assert done.returncode == 3
    assert "could not be started" in json.loads(done.stdout)["ipv4"]["error"]
    refused = run_cli("--netsh", str(tmp_path / "nope"), "set", "--yes", "--family", "ipv4", "--mode", "inline")
    assert refused.returncode == 3 and "Traceback" not in refused.stderr
    assert refused.stderr.splitlines()[-1].startswith("loopback-tuner-cli: error: IPv4: netsh could not be started")


# --- set: validation first ---


@pytest.mark.parametrize(
    "args",
    [
        ("--family", "ipv4", "--mode", "fast"),
        ("--family", "ipv4", "--workers", "17"),
        ("--family", "ipv4", "--workers", "0"),
        ("--family", "ipv4", "--workers", "four"),
        ("--family", "ipv4", "--large-mtu", "maybe"),
        ("--family", "ipv4"),
        ("--family", "ipv5", "--mode", "inline"),
        ("--mode", "inline"),
        ("--family", "ipv4", "--mode", "inline", "--store", "everywhere"),
        ("--family", "ipv4", "--mode", "inline", "--trial", "0"),
        ("--family", "ipv4", "--mode", "inline", "--trial", "3601"),
        ("--family", "ipv4", "--preset", "latency", "--mode", "inline"),  # a preset and explicit values (issue 13)
    ],
)
def test_bad_input_exits_2_with_one_line_and_runs_nothing(
    run_cli: RunCli, state_path: Path, paths: AppPaths, args: tuple[str, ...]
) -> None:
    done = cli(run_cli, state_path, "set", "--yes", *args)  # --yes: the input is refused, not the terminal
    assert done.returncode == 2
    assert one_line_error(done).startswith("loopback-tuner-cli: error:")
    assert done.stdout == ""
    assert not state_path.exists()  # not even a read touched the simulated machine
    assert not paths.history.exists() and not paths.transaction_lock.exists()


def test_validation_messages_are_for_people(run_cli: RunCli, state_path: Path) -> None:
    assert (
        "worker count must be 1 to 16, got 17"
        in cli(run_cli, state_path, "set", "--yes", "--family", "ipv4", "--workers", "17").stderr
    )
    assert "nothing to set" in cli(run_cli, state_path, "set", "--yes", "--family", "both").stderr


def test_bad_input_leaves_an_existing_state_file_unchanged(run_cli: RunCli, make_state: MakeState) -> None:
    state = make_state(elevated=True)
    before = state.path.read_bytes()
    assert cli(run_cli, state.path, "set", "--yes", "--family", "both", "--workers", "99").returncode == 2
    assert state.path.read_bytes() == before


# --- set, dry run and commands ---


def test_dry_run_and_commands_change_nothing(run_cli: RunCli, make_state: MakeState, paths: AppPaths) -> None:
    state = make_state(elevated=True)
    expected = (
        "netsh interface ipv4 set global loopbackexecutionmode=inline loopbackworkercount=2 store=active\n"
        "netsh interface ipv6 set global loopbackexecutionmode=inline loopbackworkercount=2 store=active\n"
    )
    for args in (("set", "--dry-run"), ("commands",)):
        done = cli(
            run_cli, state.path, *args, "--family", "both", "--mode", "inline", "--workers", "2", "--store", "active"
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.endswith(expected)
        assert "IPv4 execution mode: adaptive \u2192 inline" in done.stdout
    assert values(state.path) == (dict.fromkeys(Family, SIMULATED_INITIAL), dict.fromkeys(Family, SIMULATED_INITIAL))
    assert not paths.history.exists()


def test_commands_carry_only_the_tags_that_change(run_cli: RunCli, state_path: Path) -> None:
    done = cli(
        run_cli,
        state_path,
        "commands",
        "--family",
        "ipv6",
        "--mode",
        "adaptive",
        "--workers",
        "4",
        "--large-mtu",
        "off",
    )
    assert done.stdout.splitlines()[-1] == "netsh interface ipv6 set global loopbacklargemtu=disable store=persistent"


def test_nothing_to_change(run_cli: RunCli, state_path: Path, paths: AppPaths) -> None:
    done = cli(run_cli, state_path, "set", "--yes", "--family", "both", "--mode", "adaptive")
    assert done.returncode == 0 and "already has these values" in done.stdout
    assert not paths.history.exists()


# --- set: applying ---


def test_set_applies_and_the_persistent_store_holds_it(run_cli: RunCli, state_path: Path) -> None:
    done = cli(run_cli, state_path, "set", "--yes", "--family", "both", "--mode", "worker", "--large-mtu", "off")
    assert done.returncode == 0, done.stderr
    assert "Kept: saved (persistent)." in done.stdout
    want = LoopbackSettings(ExecutionMode.WORKER, 4, False)
    assert values(state_path) == (dict.fromkeys(Family, want), dict.fromkeys(Family, want))
    assert cli(run_cli, state_path, "simulate", "reboot").returncode == 0
    assert json.loads(cli(run_cli, state_path, "show", "--json").stdout)["ipv6"] == want.to_json()


def test_set_store_active_leaves_persistent_untouched_and_a_reboot_drops_it(run_cli: RunCli, state_path: Path) -> None:
    done = cli(run_cli, state_path, "set", "--yes", "--family", "ipv4", "--workers", "6", "--store", "active")
    assert done.returncode == 0 and "active until reboot" in done.stdout
    active, persistent = values(state_path)
    assert active[Family.IPV4].worker_count == 6 and persistent[Family.IPV4] == SIMULATED_INITIAL
    cli(run_cli, state_path, "simulate", "reboot")
    assert values(state_path)[0][Family.IPV4] == SIMULATED_INITIAL


def test_set_verbose_shows_every_netsh_run(run_cli: RunCli, state_path: Path) -> None:
    done = cli(run_cli, state_path, "--verbose", "set", "--yes", "--family", "ipv4", "--workers", "3")
    assert "ran: netsh interface ipv4 set global loopbackworkercount=3 store=active -> exit 0" in done.stdout
    assert "ran: netsh interface ipv4 set global loopbackworkercount=3 store=persistent -> exit 0" in done.stdout


def test_uac_cancel_exits_5_and_changes_nothing(run_cli: RunCli, state_path: Path, paths: AppPaths) -> None:
    assert cli(run_cli, state_path, "simulate", "profile", "--uac", "cancel").returncode == 0
    done = cli(run_cli, state_path, "set", "--yes", "--family", "ipv4", "--mode", "inline")
    assert done.returncode == 5
    assert "cancelled" in one_line_error(done)
    assert values(state_path) == (dict.fromkeys(Family, SIMULATED_INITIAL), dict.fromkeys(Family, SIMULATED_INITIAL))
    assert [e.outcome for e in History(paths.history).load()[0]] == ["cancelled"]


def test_elevated_session_gets_no_prompt(run_cli: RunCli, state_path: Path) -> None:
    # A prompt would be cancelled; an elevated session needs none, so the change goes through.
    assert cli(run_cli, state_path, "simulate", "profile", "--elevated", "on", "--uac", "cancel").returncode == 0
    done = cli(run_cli, state_path, "set", "--yes", "--family", "ipv4", "--mode", "inline")
    assert done.returncode == 0, done.stderr
    assert values(state_path)[1][Family.IPV4].execution_mode is ExecutionMode.INLINE


def test_busy_when_another_transaction_holds_the_lock(run_cli: RunCli, state_path: Path, paths: AppPaths) -> None:
    with InterProcessLock(paths.transaction_lock).hold():
        done = cli(run_cli, state_path, "set", "--yes", "--family", "ipv4", "--mode", "inline")
    assert done.returncode == 6 and "finish it there first" in one_line_error(done)
    assert values(state_path)[0][Family.IPV4] == SIMULATED_INITIAL


def test_netsh_failing_exits_3(run_cli: RunCli, make_state: MakeState) -> None:
    state = make_state(faults=frozenset({Fault.SET_FAILS}))
    done = cli(run_cli, state.path, "set", "--yes", "--family", "ipv4", "--mode", "inline")
    assert done.returncode == 3 and "The parameter is incorrect." in one_line_error(done)


def test_a_value_that_does_not_stick_exits_3(run_cli: RunCli, make_state: MakeState) -> None:
    state = make_state(faults=frozenset({Fault.SET_IGNORED}))
    done = cli(run_cli, state.path, "set", "--yes", "--family", "ipv4", "--workers", "9")
    assert done.returncode == 3
    assert "IPv4 worker count did not stick: expected 9, the machine shows 4" in done.stdout


def test_set_on_a_pre_1809_build_exits_4(run_cli: RunCli, make_state: MakeState) -> None:
    done = cli(run_cli, make_state(build=17134).path, "set", "--yes", "--family", "ipv4", "--mode", "inline")
    assert done.returncode == 4 and "1809" in one_line_error(done)


def test_history_lists_entries(run_cli: RunCli, state_path: Path) -> None:
    assert "No changes recorded yet." in cli(run_cli, state_path, "history").stdout
    cli(run_cli, state_path, "set", "--yes", "--family", "ipv4", "--workers", "5")
    cli(run_cli, state_path, "simulate", "profile", "--uac", "cancel")
    cli(run_cli, state_path, "set", "--yes", "--family", "ipv6", "--mode", "inline")
    lines = cli(run_cli, state_path, "history").stdout.splitlines()
    assert "kept" in lines[0] and "IPv4 worker count: 4 \u2192 5" in lines[0]
    assert "cancelled" in lines[1] and "IPv6 execution mode: adaptive \u2192 inline" in lines[1]
    assert "reason: The administrator prompt was cancelled" in lines[2]


def test_history_with_a_corrupt_file_still_works(run_cli: RunCli, state_path: Path, paths: AppPaths) -> None:
    cli(run_cli, state_path, "set", "--yes", "--family", "ipv4", "--workers", "5")
    with open(paths.history, "ab") as handle:
        handle.write(b"\xff\x00 not json\n")
    done = cli(run_cli, state_path, "history")
    assert done.returncode == 0 and "note: The history file had 1 unreadable line(s)" in done.stdout
    assert "kept" in done.stdout


# --- simulate ---


def test_simulate_profile_show_and_reset(run_cli: RunCli, state_path: Path) -> None:
    done = cli(
        run_cli,
        state_path,
        "simulate",
        "profile",
        "--build",
        "17134",
        "--language",
        "zh-CN",
        "--latency",
        "5",
        "--fault",
        "set-fails",
        "--fault",
        "show-fails",
    )
    assert done.returncode == 0, done.stderr
    assert SimStateFile(state_path).load().profile == SimProfile(
        build=17134, language="zh-CN", latency_ms=5, faults=frozenset({Fault.SET_FAILS, Fault.SHOW_FAILS})
    )
    cli(run_cli, state_path, "simulate", "profile", "--fault", "none")
    assert SimStateFile(state_path).load().profile.faults == frozenset()
    assert '"build": 17134' in cli(run_cli, state_path, "simulate", "show").stdout
    assert cli(run_cli, state_path, "simulate", "reset").returncode == 0
    assert not state_path.exists()


@pytest.mark.parametrize("args", [("--build", "99"), ("--latency", "-5"), ("--language", "de-DE")])
def test_simulate_profile_refuses_bad_values(run_cli: RunCli, state_path: Path, args: tuple[str, ...]) -> None:
    done = cli(run_cli, state_path, "simulate", "profile", *args)
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_simulate_needs_the_simulated_backend(run_cli: RunCli, tmp_path: Path) -> None:
    done = run_cli("--netsh", str(tmp_path / "n"), "simulate", "show")
    assert done.returncode == 2


def test_conflicting_backend_options_exit_2(run_cli: RunCli, tmp_path: Path) -> None:
    assert run_cli("--backend", "simulated", "--netsh", str(tmp_path / "n"), "show").returncode == 2
    if sys.platform != "win32":
        assert run_cli("--backend", "netsh", "show").returncode == 2


def test_default_state_is_in_the_per_user_folder(run_cli: RunCli, paths: AppPaths) -> None:
    assert run_cli("set", "--yes", "--family", "ipv4", "--mode", "inline").returncode == 0
    assert SimStateFile(paths.simulated_state).load().persistent[Family.IPV4].execution_mode is ExecutionMode.INLINE


# --- no Qt ---


def test_the_command_line_never_imports_qt(state_path: Path) -> None:
    code = (
        "import sys, app.cli\n"
        f"code = app.cli.main(['--state', {str(state_path)!r}, 'show'])\n"
        "assert code == 0, code\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'qasync')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"
    assert "IPv4 (active)" in done.stdout


@pytest.mark.parametrize(
    "argv",
    [["show", "--json"], ["report"], ["commands", "--family", "ipv4", "--mode", "inline"], ["diagnose"], ["history"]],
)
def test_a_read_imports_no_event_loop_no_trial_machinery_and_no_other_command(
    state_path: Path, argv: list[str]
) -> None:
    """Issue 16: only the command run is parsed and imported; reads never load asyncio or the trials."""
    code = (
        "import sys, io, app.cli\n"
        f"app.cli.main(['--state', {str(state_path)!r}, *{argv!r}], out=io.StringIO())\n"
        "print(sorted(sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=SUBPROCESS_TIMEOUT_S
    )
    assert done.returncode == 0, done.stderr
    loaded = set(ast.literal_eval(done.stdout.splitlines()[-1]))
    never = {"asyncio", "qasync", "PySide6", "app.usecases.trials", "app.elevation.session", "app.cli_parts.apply"}
    others = {"app.cli_parts.measure", "app.cli_parts.compare", "app.cli_parts.fleet", "app.cli_parts.save"}
    assert sorted(loaded & (never | others)) == []


def test_the_parser_of_one_command_has_only_that_command() -> None:
    from app.cli_parts.parser import build_parser

    parser = build_parser(["--backend", "simulated", "--state", "show", "show", "--json"])  # a file named show
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(sub.choices) == ["show"]
    assert parser.parse_args(["--backend", "simulated", "--state", "show", "show", "--json"]).json
    everything = next(a for a in build_parser(["--help"])._actions if isinstance(a, argparse._SubParsersAction))
    assert list(everything.choices) == list(
        next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    )
    assert {"show", "set", "measure", "compare", "check", "deploy", "diagnose"} <= set(everything.choices)


def test_show_says_what_changed_outside_and_what_a_restart_dropped(run_cli: RunCli, make_state: MakeState) -> None:
    """Issue 13: a store that no longer holds what the app left; an active-only change a restart dropped."""
    import json

    state = make_state(elevated=True)
    assert (
        cli(run_cli, state.path, "set", "--yes", "--family", "ipv4", "--workers", "6", "--store", "active").returncode
        == 0
    )
    assert cli(run_cli, state.path, "set", "--yes", "--family", "ipv6", "--mode", "inline").returncode == 0
    assert "outside" not in cli(run_cli, state.path, "show").stdout
    state.reboot()
    state.update(lambda m: m.execute(["interface", "ipv6", "set", "global", "loopbackworkercount=2"]))
    text = cli(run_cli, state.path, "show").stdout
    assert "IPv4: the change of " in text and "was lost at restart: worker count is 4 (Loopback Tuner left 6)" in text
    assert "IPv6 (active values) changed outside Loopback Tuner since " in text
    document = json.loads(cli(run_cli, state.path, "show", "--json").stdout)
    assert set(document) == {"ipv4", "ipv6"}  # no new top-level key
    assert [c["kind"] for c in document["ipv4"]["changed_outside"]] == ["lost-at-restart"]
    assert {(c["kind"], c["store"]) for c in document["ipv6"]["changed_outside"]} == {
        ("changed-outside", "active"),
        ("changed-outside", "persistent"),
    }
