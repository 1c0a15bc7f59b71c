"""The simulated machine as a stand-alone netsh-compatible program, run as a real child process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.domain.errors import UnrecognizedOutputError
from app.domain.model import ExecutionMode, Family, LoopbackSettings
from app.domain.parser import decode_output
from app.simulator.machine import SIMULATED_INITIAL
from app.simulator.profile import Fault
from tests.conftest import (
    FIXTURES,
    SUBPROCESS_TIMEOUT_S,
    MakeState,
    machine_values,
    parse_show_global,  # the parser with the installed language table
)

ELEVATION = b"The requested operation requires elevation (Run as administrator)."


def netsh_sim(
    state: Path | None, *args: str, timeout: float = SUBPROCESS_TIMEOUT_S
) -> subprocess.CompletedProcess[bytes]:
    options = ["--state", str(state)] if state is not None else []
    return subprocess.run(
        [sys.executable, "-m", "app.simulator.netsh", *options, *args],
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def test_show_prints_crlf_output_that_parses(make_state: MakeState) -> None:
    state = make_state()
    done = netsh_sim(state.path, "interface", "ipv4", "show", "global")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"Querying active state...\r\n\r\n")
    assert b"\n" not in done.stdout.replace(b"\r\n", b"")
    assert parse_show_global(decode_output(done.stdout, 437)) == SIMULATED_INITIAL


def test_abbreviated_set_as_admin_then_show_persistent(make_state: MakeState) -> None:
    state = make_state()
    done = netsh_sim(state.path, "--as-admin", "int", "ip", "se", "gl", "loopbackexecutionmode=inl", "store=active")
    assert (done.returncode, done.stdout) == (0, b"Ok.\r\n\r\n")
    active, persistent = machine_values(state)
    assert active[Family.IPV4].execution_mode is ExecutionMode.INLINE
    assert persistent[Family.IPV4] == SIMULATED_INITIAL
    shown = netsh_sim(state.path, "i", "ipv4", "sh", "gl", "store=persistent")
    assert parse_show_global(decode_output(shown.stdout, 437)) == SIMULATED_INITIAL


def test_reboot_drops_active_only_changes(make_state: MakeState) -> None:
    state = make_state()
    netsh_sim(state.path, "--as-admin", "interface", "ipv6", "set", "global", "loopbackworkercount=9", "store=active")
    assert machine_values(state)[0][Family.IPV6].worker_count == 9
    assert netsh_sim(state.path, "--reboot").returncode == 0
    assert machine_values(state)[0][Family.IPV6] == SIMULATED_INITIAL


def test_unelevated_set_exits_1_with_the_real_message(make_state: MakeState) -> None:
    state = make_state()
    done = netsh_sim(state.path, "interface", "ipv4", "set", "global", "loopbackworkercount=2")
    assert done.returncode == 1
    assert done.stdout.rstrip() == ELEVATION
    assert machine_values(state)[0][Family.IPV4] == SIMULATED_INITIAL


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("loopbackworkercount=17", b"The parameter is incorrect."),
        ("loopbackexecutionmode=fast", b"The parameter is incorrect."),
        ("mtu=1500", b"'mtu' is not a valid argument for this command."),
    ],
)
def test_bad_value_and_unknown_tag_exit_1(make_state: MakeState, tag: str, message: bytes) -> None:
    state = make_state(elevated=True)
    done = netsh_sim(state.path, "interface", "ipv4", "set", "global", tag)
    assert (done.returncode, done.stdout.rstrip()) == (1, message)


def test_pre_1809_rejects_the_tags(make_state: MakeState) -> None:
    state = make_state(elevated=True, build=17134)
    done = netsh_sim(state.path, "interface", "ipv4", "set", "global", "loopbacklargemtu=disable")
    assert (done.returncode, done.stdout.rstrip()) == (
        1,
        b"'loopbacklargemtu' is not a valid argument for this command.",
    )


def test_zh_cn_output_is_cp936_bytes(make_state: MakeState) -> None:
    state = make_state(language="zh-CN")
    done = netsh_sim(state.path, "interface", "ipv4", "show", "global")
    assert done.returncode == 0
    assert done.stdout.startswith("\u67e5\u8be2\u6d3b\u52a8\u72b6\u6001...".encode("cp936"))
    with pytest.raises(UnicodeDecodeError):
        done.stdout.decode("utf-8")
    with pytest.raises(UnrecognizedOutputError):
        parse_show_global(decode_output(done.stdout, 936))


def test_corrupt_state_file_is_set_aside_and_reported_not_a_crash(make_state: MakeState) -> None:
    state = make_state()
    state.path.write_text("{ broken", encoding="utf-8")
    done = netsh_sim(state.path, "interface", "ipv4", "show", "global")
    assert done.returncode == 0
    assert b"unreadable" in done.stderr and b"Traceback" not in done.stderr
    assert list(state.path.parent.glob("state.json.corrupt-*"))
    assert parse_show_global(decode_output(done.stdout, 437)) == SIMULATED_INITIAL


def test_faults_set_fails_and_show_fails(make_state: MakeState) -> None:
    state = make_state(elevated=True, faults=frozenset({Fault.SET_FAILS, Fault.SHOW_FAILS}))
    assert netsh_sim(state.path, "interface", "ipv4", "set", "global", "loopbackworkercount=2").returncode == 1
    assert netsh_sim(state.path, "interface", "ipv4", "show", "global").returncode == 1


def test_fault_set_ignored(make_state: MakeState) -> None:
    state = make_state(elevated=True, faults=frozenset({Fault.SET_IGNORED}))
    done = netsh_sim(state.path, "interface", "ipv4", "set", "global", "loopbackworkercount=2")
    assert (done.returncode, done.stdout) == (0, b"Ok.\r\n\r\n")
    assert machine_values(state)[0][Family.IPV4] == SIMULATED_INITIAL


def test_fault_set_hangs_once_then_answers(make_state: MakeState) -> None:
    state = make_state(elevated=True, faults=frozenset({Fault.SET_HANGS_ONCE}))
    argv = ("interface", "ipv4", "set", "global", "loopbackworkercount=2")
    with pytest.raises(subprocess.TimeoutExpired):
        netsh_sim(state.path, *argv, timeout=1.5)  # subprocess.run kills it at the limit
    assert state.load().hung_once  # it did reach the hang
    assert machine_values(state)[0][Family.IPV4] == SIMULATED_INITIAL
    done = netsh_sim(state.path, *argv)
    assert done.returncode == 0
    assert machine_values(state)[0][Family.IPV4] == LoopbackSettings(ExecutionMode.ADAPTIVE, 2, True)


def test_no_command_prints_usage(make_state: MakeState) -> None:
    done = netsh_sim(make_state().path)
    assert done.returncode == 2 and b"usage" in done.stderr.lower()


def test_default_state_lives_in_the_isolated_home(isolated_home: Path) -> None:
    done = netsh_sim(None, "interface", "ipv4", "show", "global")
    assert done.returncode == 0
    assert not (isolated_home / "data" / "simulated-machine.json").exists()  # a read writes nothing
    done = netsh_sim(None, "--as-admin", "interface", "ipv4", "set", "global", "loopbackworkercount=2")
    assert done.returncode == 0, done.stdout
    assert (isolated_home / "data" / "simulated-machine.json").is_file()


def test_state_option_with_equals_sign(make_state: MakeState) -> None:
    state = make_state(elevated=True)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.simulator.netsh",
            f"--state={state.path}",
            "interface",
            "ipv4",
            "set",
            "global",
            "loopbackworkercount=5",
        ],
        capture_output=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert machine_values(state)[0][Family.IPV4].worker_count == 5


# --- the simulator's own text, byte for byte (tests/fixtures/netsh/README.md: derived, not captures) ---

SIM_GOLDEN = {"en-US": "sim-en-US-show-global.txt", "zh-CN": "sim-zh-CN-show-global-cp936.txt"}


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
@pytest.mark.parametrize("language", sorted(SIM_GOLDEN))
def test_show_global_prints_exactly_the_golden_bytes(make_state: MakeState, language: str, family: str) -> None:
    state = make_state(language=language)  # build 22631, the simulation's starting values
    done = netsh_sim(state.path, "interface", family, "show", "global")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (FIXTURES / SIM_GOLDEN[language]).read_bytes()


def test_a_pre_1809_build_prints_the_golden_table_without_loopback_rows(make_state: MakeState) -> None:
    golden = (FIXTURES / SIM_GOLDEN["en-US"]).read_bytes().split(b"\r\n")
    expected = [line for line in golden if not line.startswith((b"Loopback ", b"Route Policies "))]
    done = netsh_sim(make_state(build=17134).path, "interface", "ipv4", "show", "global")
    assert done.returncode == 0 and done.stdout.split(b"\r\n") == expected
    assert len(golden) - len(expected) == 4


def test_the_golden_english_bytes_hold_what_facts_md_says() -> None:
    # Reviewed against FACTS.md: header, empty line, title, a 45-dash row (the ipv4/ipv6 contexts), then rows in
    # its order with the loopback labels spelled as netsh does ("Loopback Large Mtu", sic); cp437 and CRLF.
    lines = (FIXTURES / SIM_GOLDEN["en-US"]).read_bytes().decode("cp437").split("\r\n")
    assert lines[:4] == ["Querying active state...", "", "General Global Parameters", "-" * 45]
    labels = [line.partition(":")[0].rstrip() for line in lines[4:] if line]
    assert labels.index("Flow Label") + 1 == labels.index("Loopback Large Mtu")
    assert labels[labels.index("Loopback Large Mtu") :][:5] == [
        "Loopback Large Mtu",
        "Loopback Worker Count",
        "Loopback Execution Mode",
        "Source Based ECMP",
        "Reassembly Out Of Order Limit",
    ]
    assert lines[-2:] == ["", ""]  # the last row ends in CRLF, then netsh's empty line


def test_the_golden_zh_cn_bytes_hold_what_the_capture_shows() -> None:
    lines = (FIXTURES / SIM_GOLDEN["zh-CN"]).read_bytes().decode("cp936").split("\r\n")
    assert lines[:4] == [
        "\u67e5\u8be2\u6d3b\u52a8\u72b6\u6001...",
        "",
        "\u5e38\u89c4\u5168\u5c40\u53c2\u6570",
        "-" * 45,
    ]
    (mtu,) = [line for line in lines if line.startswith("\u73af\u56de\u5927 Mtu")]  # 环回大 Mtu
    assert mtu.partition(":")[2] == " enable"  # as printed in samples/win11-ipv4-zh-CN-fragment.txt
