"""The simulated Windows machine's netsh ``interface ipv4|ipv6 show|set global``, as FACTS.md describes it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.errors import NoLoopbackRowsError, UnrecognizedOutputError, ValidationError
from app.domain.model import ExecutionMode, Family, LoopbackSettings
from app.domain.parser import decode_output
from app.simulator.machine import (
    HANG,
    MSG_BAD_VALUE,
    SIMULATED_INITIAL,
    SimulatedMachine,
)
from app.simulator.profile import Fault, SimProfile
from app.simulator.store import SimStateFile
from tests.conftest import (
    FIXTURES,
    MakeState,
    parse_show_global,  # the parser with the installed language table
)

ELEVATION = "The requested operation requires elevation (Run as administrator)."
ADA, INL, WRK = ExecutionMode.ADAPTIVE, ExecutionMode.INLINE, ExecutionMode.WORKER


def admin(**fields: object) -> SimulatedMachine:
    return SimulatedMachine(SimProfile(elevated=True, **fields))  # type: ignore[arg-type]


def answered(outcome: tuple[int, str] | str) -> tuple[int, str]:
    """The (exit code, text) of a command that did not hang."""
    assert not isinstance(outcome, str), outcome
    return outcome


def show(machine: SimulatedMachine, family: str = "ipv4", store: str | None = None) -> LoopbackSettings:
    argv = ["interface", family, "show", "global"] + ([f"store={store}"] if store else [])
    code, text = answered(machine.execute(argv))
    assert code == 0, text
    return parse_show_global(text)


def test_fresh_machine_shows_its_initial_values_in_both_stores() -> None:
    machine = SimulatedMachine()
    for family in ("ipv4", "ipv6"):
        assert show(machine, family) == SIMULATED_INITIAL
        assert show(machine, family, "persistent") == SIMULATED_INITIAL


def test_show_output_has_the_documented_layout() -> None:
    code, text = answered(SimulatedMachine().execute(["interface", "ipv4", "show", "global"]))
    lines = text.splitlines()
    assert code == 0
    assert lines[:2] == ["Querying active state...", ""]
    assert set(lines[3]) == {"-"}
    labels = [line.split(":")[0].strip() for line in lines[4:] if ":" in line]
    loopback = labels.index("Loopback Large Mtu")
    assert labels[loopback - 1] == "Flow Label" and labels[loopback + 3] == "Source Based ECMP"
    assert labels[loopback : loopback + 3] == ["Loopback Large Mtu", "Loopback Worker Count", "Loopback Execution Mode"]


@pytest.mark.parametrize(
    "words",
    [
        ["interface", "ipv4", "set", "global"],
        ["int", "ipv4", "se", "gl"],
        ["int", "ip", "set", "global"],
        ["i", "i", "se", "gl"],
        ["INT", "IP", "SE", "GL"],
        ["interface", "ipv", "set", "glob"],  # "ipv" is ambiguous, see below
    ],
)
def test_abbreviations(words: list[str]) -> None:
    machine = admin()
    outcome = machine.execute([*words, "loopbackexecutionmode=inline"])
    if words[1] == "ipv":
        assert outcome[0] == 1  # ipv4 or ipv6? netsh needs a unique prefix
        return
    assert outcome == (0, "Ok.\n\n")
    assert machine.active[Family.IPV4].execution_mode is INL
    assert machine.active[Family.IPV6] == SIMULATED_INITIAL


@pytest.mark.parametrize(
    "words", [["int", "ip", "sh", "gl"], ["i", "ipv6", "show", "global"], ["interface", "ipv4", "sho", "g" + "lobal"]]
)
def test_show_abbreviations(words: list[str]) -> None:
    code, text = answered(SimulatedMachine().execute(words))
    assert code == 0 and parse_show_global(text) == SIMULATED_INITIAL


@pytest.mark.parametrize(
    "words",
    [
        ["interface", "ipv4", "s", "global"],
        ["interface", "ipv4", "set", "g"],
        ["interface", "ipv4", "set"],
        ["interface", "tcp", "show", "global"],
        ["firewall", "ipv4", "show", "global"],
        [],
    ],
)
def test_unknown_or_ambiguous_commands_fail(words: list[str]) -> None:
    outcome = SimulatedMachine().execute(words)
    assert outcome != HANG and outcome[0] == 1


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("loopbackexecutionmode=inl", LoopbackSettings(INL, 4, True)),
        ("loopbackexecutionmode=w", LoopbackSettings(WRK, 4, True)),
        ("loopbackexecutionmode=ADAPTIVE", LoopbackSettings(ADA, 4, True)),
        ("loopbacklargemtu=dis", LoopbackSettings(ADA, 4, False)),
        ("loopbacklargemtu=disable", LoopbackSettings(ADA, 4, False)),
        ("loopbacklargemtu=disabled", LoopbackSettings(ADA, 4, False)),
        ("loopbackworkercount=16", LoopbackSettings(ADA, 16, True)),
    ],
)
def test_value_prefixes(tag: str, expected: LoopbackSettings) -> None:
    machine = admin()
    assert machine.execute(["interface", "ipv4", "set", "global", tag]) == (0, "Ok.\n\n")
    assert machine.active[Family.IPV4] == expected


def test_several_tags_in_one_command() -> None:
    machine = admin()
    argv = [
        "interface",
        "ipv6",
        "set",
        "global",
        "loopbackexecutionmode=worker",
        "loopbackworkercount=2",
        "loopbacklargemtu=disable",
        "store=persistent",
    ]
    assert machine.execute(argv) == (0, "Ok.\n\n")
    assert machine.active[Family.IPV6] == machine.persistent[Family.IPV6] == LoopbackSettings(WRK, 2, False)


def test_store_active_is_lost_at_reboot_and_persistent_is_the_default() -> None:
    machine = admin()
    machine.execute(["interface", "ipv4", "set", "global", "loopbackworkercount=8", "store=active"])
    assert show(machine) == LoopbackSettings(ADA, 8, True)
    assert show(machine, store="persistent") == SIMULATED_INITIAL
    machine.execute(["interface", "ipv6", "set", "global", "loopbackworkercount=2"])  # no store: persistent
    assert show(machine, "ipv6") == show(machine, "ipv6", "persistent") == LoopbackSettings(ADA, 2, True)
    machine.reboot()
    assert show(machine) == SIMULATED_INITIAL
    assert show(machine, "ipv6") == LoopbackSettings(ADA, 2, True)
    assert machine.boots == 2


def test_store_value_prefixes_and_show_store() -> None:
    machine = admin()
    assert machine.execute(["int", "ipv4", "set", "global", "loopbackworkercount=3", "store=act"])[0] == 0
    assert show(machine, store="pers") == SIMULATED_INITIAL
    assert show(machine, store="a") == LoopbackSettings(ADA, 3, True)


@pytest.mark.parametrize(
    "tag",
    [
        "loopbackworkercount=0",
        "loopbackworkercount=17",
        "loopbackworkercount=four",
        "loopbackworkercount=",
        "loopbackworkercount=\u00b2",
        "loopbackworkercount=-1",
        "loopbackexecutionmode=fast",
        "loopbackexecutionmode=",
        "loopbacklargemtu=maybe",
        "store=nowhere",
    ],
)
def test_bad_value_is_the_parameter_is_incorrect(tag: str) -> None:
    machine = admin()
    assert machine.execute(["interface", "ipv4", "set", "global", tag]) == (1, MSG_BAD_VALUE)
    assert machine.active[Family.IPV4] == SIMULATED_INITIAL


def test_bad_store_on_show() -> None:
    assert SimulatedMachine().execute(["interface", "ipv4", "show", "global", "store=x"]) == (1, MSG_BAD_VALUE)
    assert SimulatedMachine().execute(["interface", "ipv4", "show", "global", "level=verbose"]) == (
        1,
        "'level' is not a valid argument for this command.",
    )


@pytest.mark.parametrize("tag", ["mtu=1500", "loopbackworker=4", "Loopbackfoo=1"])
def test_unknown_tag_is_not_a_valid_argument(tag: str) -> None:
    name = tag.partition("=")[0]
    assert admin().execute(["interface", "ipv4", "set", "global", tag]) == (
        1,
        f"'{name}' is not a valid argument for this command.",
    )


def test_unelevated_set_is_refused_with_the_real_message() -> None:
    machine = SimulatedMachine()
    assert machine.execute(["interface", "ipv4", "set", "global", "loopbackworkercount=8"]) == (1, ELEVATION)
    assert machine.active[Family.IPV4] == SIMULATED_INITIAL
    assert machine.execute(["interface", "ipv4", "set", "global", "loopbackworkercount=8"], as_admin=True)[0] == 0


def test_pre_1809_build_rejects_the_loopback_tags_and_shows_no_loopback_rows() -> None:
    machine = admin(build=17134)
    for tag in ("loopbackexecutionmode=inline", "loopbackworkercount=2", "loopbacklargemtu=disable"):
        name = tag.partition("=")[0]
        assert machine.execute(["interface", "ipv4", "set", "global", tag]) == (
            1,
            f"'{name}' is not a valid argument for this command.",
        )
    code, text = answered(machine.execute(["interface", "ipv6", "show", "global"]))
    assert code == 0 and "Loopback" not in text
    with pytest.raises(NoLoopbackRowsError):  # a fact about the text; "unsupported" comes from the build alone
        parse_show_global(text)


def _cp936_show(machine: SimulatedMachine) -> str:
    code, text = answered(machine.execute(["interface", "ipv4", "show", "global"]))
    assert code == 0
    data = text.replace("\n", "\r\n").encode("cp936")  # what the console writes
    return decode_output(data, 936)


def test_zh_cn_output_decodes_from_cp936_and_is_unrecognized() -> None:
    machine = SimulatedMachine(SimProfile(language="zh-CN"))
    assert machine.profile.codepage == 936
    text = _cp936_show(machine)
    assert text.startswith("\u67e5\u8be2\u6d3b\u52a8\u72b6\u6001...")
    assert "\u73af\u56de\u5927 Mtu" in text
    with pytest.raises(UnrecognizedOutputError, match="recognized large MTU"):
        parse_show_global(text)


def test_zh_cn_pre_1809_table_is_unrecognized_not_guessed() -> None:
    """Without the zh-CN row labels there is no evidence of a whole table, so the parser will not say 'old build'."""
    text = _cp936_show(SimulatedMachine(SimProfile(language="zh-CN", build=17134)))
    with pytest.raises(UnrecognizedOutputError):
        parse_show_global(text)


def test_zh_cn_elevation_message_falls_back_to_english() -> None:
    machine = SimulatedMachine(SimProfile(language="zh-CN"))
    assert machine.execute(["interface", "ipv4", "set", "global", "loopbackworkercount=2"]) == (1, ELEVATION)


# --- faults ---


def test_fault_set_fails() -> None:
    machine = admin(faults=frozenset({Fault.SET_FAILS}))
    assert machine.execute(["interface", "ipv4", "set", "global", "loopbackworkercount=2"]) == (1, MSG_BAD_VALUE)
    assert machine.active[Family.IPV4] == SIMULATED_INITIAL


def test_fault_set_ignored_says_ok_but_changes_nothing() -> None:
    machine = admin(faults=frozenset({Fault.SET_IGNORED}))
    assert machine.execute(["interface", "ipv4", "set", "global", "loopbackworkercount=2"]) == (0, "Ok.\n\n")
    assert show(machine) == SIMULATED_INITIAL


def test_fault_show_fails() -> None:
    machine = admin(faults=frozenset({Fault.SHOW_FAILS}))
    assert machine.execute(["interface", "ipv4", "show", "global"])[0] == 1


def test_fault_set_hangs_once() -> None:
    machine = admin(faults=frozenset({Fault.SET_HANGS_ONCE}))
    argv = ["interface", "ipv4", "set", "global", "loopbackworkercount=2"]
    assert machine.execute(argv) == HANG
    assert machine.active[Family.IPV4] == SIMULATED_INITIAL
    assert machine.execute(argv) == (0, "Ok.\n\n")
    assert machine.active[Family.IPV4].worker_count == 2


def test_hang_once_is_remembered_in_the_state_file_and_reset_with_the_profile(make_state: MakeState) -> None:
    state = make_state(elevated=True, faults=frozenset({Fault.SET_HANGS_ONCE}))
    argv = ["interface", "ipv4", "set", "global", "loopbackworkercount=2"]
    assert state.update(lambda m: m.execute(argv)) == HANG
    assert state.update(lambda m: m.execute(argv)) == (0, "Ok.\n\n")
    state.set_profile(state.load().profile)
    assert state.update(lambda m: m.execute(argv)) == HANG


# --- state file ---


def test_machine_json_round_trip() -> None:
    machine = admin(language="zh-CN", faults=frozenset({Fault.SET_IGNORED}), latency_ms=5)
    machine.execute(["interface", "ipv4", "set", "global", "loopbackworkercount=2", "store=active"])
    machine.hung_once = True
    copy = SimulatedMachine.from_json(json.loads(json.dumps(machine.to_json())))
    assert copy == machine


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"format": 2},
        [],
        {"format": 1, "active": {}, "persistent": {}},
        {"format": 1, "active": {"ipv4": SIMULATED_INITIAL.to_json()}, "persistent": {}},
    ],
)
def test_machine_from_json_is_strict(data: object) -> None:
    with pytest.raises(ValueError):
        SimulatedMachine.from_json(data)


@pytest.mark.parametrize(
    "fields",
    [
        {"build": 9600},
        {"build": True},
        {"language": "de-DE"},
        {"latency_ms": -1},
        {"latency_ms": 60_001},
        {"elevated": 1},
        {"congestion_provider": "bbr3"},
    ],
)
def test_profile_validates(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SimProfile(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "data",
    [{"colour": "red"}, {"faults": "set-fails"}, {"faults": ["explode"]}, {"uac": "maybe"}, {"build": "22631"}, []],
)
def test_profile_from_json_is_strict(data: object) -> None:
    with pytest.raises(ValidationError):
        SimProfile.from_json(data)


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe", b'{"format": 1}', b"[]", b"x" * 70_000])
def test_corrupt_state_file_is_set_aside_with_a_notice(make_state: MakeState, content: bytes) -> None:
    state = make_state(elevated=True)
    state.path.write_bytes(content)
    machine = state.load()
    assert machine == SimulatedMachine()
    assert len(state.notices) == 1 and "unreadable" in state.notices[0]
    aside = list(state.path.parent.glob(state.path.name + ".corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == content
    assert aside[0].name in state.notices[0]


def test_missing_state_file_is_a_fresh_machine_without_a_notice(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    state = SimStateFile(tmp_path / "none.json")
    assert state.load() == SimulatedMachine() and state.notices == []
    assert not state.path.exists()


def test_state_file_persists_changes(make_state: MakeState) -> None:
    state = make_state(elevated=True)
    state.update(lambda m: m.execute(["interface", "ipv6", "set", "global", "loopbacklargemtu=disable"]))
    reloaded = SimStateFile(state.path).load()
    assert reloaded.persistent[Family.IPV6].large_mtu is False
    state.reboot()
    assert SimStateFile(state.path).load().boots == 2


tokens = st.sampled_from(
    [
        "interface",
        "int",
        "i",
        "ipv4",
        "ipv6",
        "ip",
        "set",
        "se",
        "show",
        "sh",
        "global",
        "gl",
        "store=active",
        "store=persistent",
        "store=",
        "loopbackworkercount=4",
        "loopbackworkercount=\u00b2",
        "loopbackworkercount=99999999999999999999",
        "loopbackexecutionmode=in",
        "loopbacklargemtu=e",
        "loopbacklargemtu=",
        "=",
        "==",
        "x=y",
    ]
)


@given(st.lists(st.one_of(tokens, st.text(max_size=12)), max_size=7), st.booleans())
def test_execute_never_raises(argv: list[str], as_admin: bool) -> None:
    machine = SimulatedMachine(SimProfile(faults=frozenset()))
    outcome = machine.execute(argv, as_admin=as_admin)
    assert outcome != HANG
    code, text = answered(outcome)
    assert code in (0, 1) and isinstance(text, str) and text
    # Whatever happened, the machine still holds valid settings.
    assert all(isinstance(s, LoopbackSettings) for s in (*machine.active.values(), *machine.persistent.values()))


# --- the simulator's text is its own, checked byte for byte against the golden files ---


@pytest.mark.parametrize(
    ("language", "golden"), [("en-US", "sim-en-US-show-global.txt"), ("zh-CN", "sim-zh-CN-show-global-cp936.txt")]
)
def test_the_in_process_output_is_the_golden_bytes(language: str, golden: str) -> None:
    machine = SimulatedMachine(SimProfile(language=language))
    for family in ("ipv4", "ipv6"):
        code, text = answered(machine.execute(["interface", family, "show", "global"]))
        data = text.replace("\n", "\r\n").encode(f"cp{machine.profile.codepage}")  # as netsh_sim writes it
        assert code == 0 and data == (FIXTURES / golden).read_bytes()


def test_the_simulator_never_reads_the_parsers_label_table() -> None:
    import ast
    from pathlib import Path

    import app.simulator

    folder = Path(app.simulator.__file__).parent
    for name in ("machine.py", "output.py", "profile.py", "store.py", "netsh.py"):
        tree = ast.parse((folder / name).read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
            alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names
        }
        assert "app.domain.netsh_text" not in imported and "app.domain.parser" not in imported, name
