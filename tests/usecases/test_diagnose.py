"""diagnose on the simulated machine in every situation, and its replay through --capture giving the same result."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.domain.capture import Capture, CongestionFacts, WindowsFacts
from app.domain.commands import Argv, show_global
from app.domain.model import Family, ReadProblem, Store
from app.domain.runs import CommandResult, NetshMissingError
from app.runners.factory import Backend, BackendKind, choose_backend, make_runner
from app.simulator.capture import load_capture
from app.simulator.facts import SimulatedMachineInfo
from app.simulator.machine import SIMULATED_INITIAL
from app.simulator.profile import Fault, SimProfile
from app.usecases.diagnose import REDACTED, MachineFacts, Redactor, capture_text, diagnose, private_names
from app.usecases.diagnose_sources import congestion_facts, machine_facts
from app.usecases.reading import read_machine
from tests.conftest import FIXTURES, MakeState

CAPTURES = FIXTURES / "captures"
WHEN = datetime(2026, 12, 6, tzinfo=UTC)
SITUATIONS: dict[str, SimProfile] = {
    "en-US": SimProfile(elevated=True),
    "zh-CN": SimProfile(language="zh-CN", elevated=True),
    "pre-1809": SimProfile(build=17134, elevated=True),
    "netsh-missing": SimProfile(faults=frozenset({Fault.NETSH_MISSING})),
    "netsh-failing": SimProfile(faults=frozenset({Fault.SHOW_FAILS})),
    "ipv6-unreadable": SimProfile(faults=frozenset({Fault.IPV6_UNREADABLE})),
    "not-elevated": SimProfile(elevated=False),
}
EXPECTED = {  # (ipv4 active, ipv6 active): settings or the problem
    "en-US": ("settings", "settings"),
    "zh-CN": (ReadProblem.UNRECOGNIZED, ReadProblem.UNRECOGNIZED),
    "pre-1809": (ReadProblem.UNSUPPORTED, ReadProblem.UNSUPPORTED),
    "netsh-missing": (ReadProblem.NETSH_MISSING, ReadProblem.NETSH_MISSING),
    "netsh-failing": (ReadProblem.NETSH_FAILED, ReadProblem.NETSH_FAILED),
    "ipv6-unreadable": ("settings", ReadProblem.UNRECOGNIZED),
    "not-elevated": ("settings", "settings"),
}


def _cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(args), out=out)
    return code, out.getvalue()


def _simulated(make_state: MakeState, profile: SimProfile) -> Backend:
    return Backend(BackendKind.SIMULATED, state=make_state(profile).path)


@pytest.mark.parametrize("situation", list(SITUATIONS))
def test_diagnose_records_each_situation(make_state: MakeState, situation: str) -> None:
    backend = _simulated(make_state, SITUATIONS[situation])
    capture = diagnose(make_runner(backend), machine_facts(backend, None), now=WHEN)
    assert [(r.family, r.store) for r in capture.runs] == [(f, s) for f in Family for s in Store]
    assert [tuple(r.argv) for r in capture.runs] == [show_global(f, s) for f in Family for s in Store]
    active = [capture.run_for(f, Store.ACTIVE) for f in Family]
    kinds = tuple("settings" if r and r.parsed.settings else (r.parsed.problem if r else None) for r in active)
    assert kinds == EXPECTED[situation]


@pytest.mark.parametrize("situation", list(SITUATIONS))
def test_the_corpus_capture_is_what_diagnose_makes_today(make_state: MakeState, situation: str) -> None:
    state = make_state(SITUATIONS[situation])
    backend = Backend(BackendKind.SIMULATED, state=state.path)
    made = diagnose(make_runner(backend), machine_facts(backend, SimulatedMachineInfo(state)), now=WHEN)
    recorded = load_capture(CAPTURES / f"sim-{situation}.json")
    # Only the notes and the version that wrote it may differ (a new version need not regenerate the corpus).
    assert replace(made, notes=recorded.notes, app_version=recorded.app_version) == recorded


@pytest.mark.parametrize("situation", list(SITUATIONS))
def test_a_capture_replays_to_the_same_result(make_state: MakeState, tmp_path: Path, situation: str) -> None:
    state = make_state(SITUATIONS[situation])
    file = tmp_path / "diag.json"
    assert _cli("--backend", "simulated", "--state", str(state.path), "diagnose", "--output", str(file)) == (0, "")
    for store in ("active", "persistent"):
        direct = _cli("--backend", "simulated", "--state", str(state.path), "show", "--json", "--store", store)
        replayed = _cli("--backend", "simulated", "--capture", str(file), "show", "--json", "--store", store)
        assert replayed == direct
    # The replay's own diagnosis holds the same runs, byte for byte, and the same facts.
    again_file = tmp_path / "again.json"
    assert _cli("--backend", "simulated", "--capture", str(file), "diagnose", "--output", str(again_file))[0] == 0
    first, again = load_capture(file), load_capture(again_file)
    assert again.runs == first.runs and again.windows == first.windows and again.congestion == first.congestion
    assert again.backend == "capture" and first.backend == "simulated"


def test_the_replay_reads_the_captured_machine_state(make_state: MakeState, tmp_path: Path) -> None:
    file = tmp_path / "d.json"
    state = make_state(SITUATIONS["ipv6-unreadable"])
    _cli("--backend", "simulated", "--state", str(state.path), "diagnose", "--output", str(file))
    backend = choose_backend(backend="simulated", capture=str(file))
    machine = read_machine(make_runner(backend))
    assert machine[Family.IPV4].active == SIMULATED_INITIAL
    assert machine[Family.IPV6].settings is None


class _Recorder:
    """A runner that records argv and answers from ``answers`` (or raises)."""

    def __init__(self, answer: CommandResult | Exception) -> None:
        self.answer, self.calls = answer, []  # type: ignore[var-annotated]

    @property
    def description(self) -> str:
        return "recorder"

    def run_blocking(self, argv: Argv) -> CommandResult:
        self.calls.append(tuple(argv))
        if isinstance(self.answer, Exception):
            raise self.answer
        return replace(self.answer, argv=argv)


FACTS = MachineFacts("custom", WindowsFacts(build=22631), 437, CongestionFacts())


def test_diagnose_runs_only_reads_and_changes_nothing(make_state: MakeState) -> None:
    state = make_state(SITUATIONS["en-US"])
    before = state.path.read_bytes()
    backend = Backend(BackendKind.SIMULATED, state=state.path)
    recorder = _Recorder(CommandResult((), 0, "x", raw_stdout=b"x", raw_stderr=b""))
    diagnose(recorder, machine_facts(backend, SimulatedMachineInfo(state)))
    assert recorder.calls == [show_global(f, s) for f in Family for s in Store]
    diagnose(make_runner(backend), machine_facts(backend, SimulatedMachineInfo(state)))
    assert state.path.read_bytes() == before


def test_names_are_redacted_from_text_bytes_and_messages() -> None:
    raw = "Querying active state...\r\nHost WS-ALICE-01 user alice in CORP\r\n".encode("cp437")
    text = raw.decode("cp437").replace("\r\n", "\n")
    recorder = _Recorder(CommandResult((), 0, text, raw_stdout=raw, raw_stderr=b""))
    capture = diagnose(recorder, FACTS, names=("ws-alice-01", "alice", "CORP"))
    written = capture_text(capture)
    for name in ("WS-ALICE-01", "alice", "CORP"):
        assert name.casefold() not in written.casefold()
    assert f"Host {REDACTED} user {REDACTED} in {REDACTED}" in capture.runs[0].stdout_text
    assert REDACTED.encode() in capture.runs[0].stdout
    missing = diagnose(
        _Recorder(NetshMissingError("netsh could not be started (/home/alice/n: gone)")), FACTS, names=("/home/alice",)
    )
    assert missing.runs[0].error == f"netsh could not be started ({REDACTED}/n: gone)"
    assert missing.runs[0].parsed.message == missing.runs[0].error and not missing.runs[0].started


def test_short_names_are_not_redacted_and_words_stay_whole() -> None:
    redact = Redactor(("al", "bob"))
    assert redact.text("al bobby bob") == f"al bobby {REDACTED}"


def test_the_simulated_file_holds_none_of_this_machines_names(make_state: MakeState) -> None:
    backend = _simulated(make_state, SITUATIONS["en-US"])
    names = private_names()
    written = capture_text(diagnose(make_runner(backend), machine_facts(backend, None), names=names))
    assert names and all(name.casefold() not in written.casefold() for name in names)
    assert '"computer"' not in written and '"user"' not in written


def test_private_names_come_from_the_environment() -> None:
    names = private_names({"USERNAME": "alice", "COMPUTERNAME": "WS-1234", "USERDOMAIN": "CORP", "USER": "x"})
    assert {"alice", "WS-1234", "CORP"} <= set(names) and "x" not in names


def test_the_file_round_trips_and_is_versioned(make_state: MakeState) -> None:
    backend = _simulated(make_state, SITUATIONS["zh-CN"])
    capture = diagnose(make_runner(backend), machine_facts(backend, None), now=WHEN)
    data = json.loads(capture_text(capture))
    assert (data["format"], data["version"]) == ("loopback-tuner-diagnostics", 1)
    assert Capture.from_json(data) == capture
    assert data["codepages"]["netsh_output"] == 936 and data["languages"]["user_ui"] == "zh-CN"


class _SyncInfo:
    def congestion(self) -> Any:
        return CongestionFacts({"Internet": "BBR2"})


def test_congestion_is_read_from_the_blocking_source() -> None:
    assert congestion_facts(_SyncInfo()) == CongestionFacts({"Internet": "BBR2"})  # type: ignore[arg-type]


def test_a_replay_never_applies_a_change(paths: Any) -> None:
    from app.domain.errors import LoopbackTunerError
    from app.domain.model import Change, ExecutionMode, FamilyChange, LoopbackSettings
    from app.wiring import build_services

    backend = choose_backend(backend="simulated", capture=str(CAPTURES / "sim-en-US.json"))
    services = build_services(backend, paths)
    before = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)
    change = Change((FamilyChange(Family.IPV4, before, replace(before, execution_mode=ExecutionMode.INLINE)),))
    with pytest.raises(LoopbackTunerError, match="nothing was changed"):
        services.transactions.begin(change, seconds=5)


def test_a_real_process_s_bytes_reach_the_file_unchanged(tmp_path: Path) -> None:
    # A program standing in for netsh (custom backend): the file holds exactly the bytes it wrote, and the replay
    # of that file reads what the program's own read gives.
    from tests.conftest import write_fake_netsh

    fixture = FIXTURES / "en-US-documented-order-crlf.txt"
    program = write_fake_netsh(tmp_path / "netsh", {"ipv4": fixture, "ipv6": FIXTURES / "zh-CN-fragment-cp936.txt"})
    file = tmp_path / "d.json"
    assert _cli("--netsh", str(program), "diagnose", "--output", str(file)) == (0, "")
    capture = load_capture(file)
    assert capture.backend == "custom" and capture.windows == WindowsFacts()
    ipv4 = capture.run_for(Family.IPV4, Store.ACTIVE)
    ipv6 = capture.run_for(Family.IPV6, Store.PERSISTENT)
    assert ipv4 is not None and ipv4.stdout == fixture.read_bytes() and ipv4.parsed.settings is not None
    assert ipv6 is not None and ipv6.stdout == (FIXTURES / "zh-CN-fragment-cp936.txt").read_bytes()
    direct = _cli("--netsh", str(program), "show", "--json")
    assert _cli("--backend", "simulated", "--capture", str(file), "show", "--json") == direct


def test_the_system_backend_off_windows_knows_only_what_it_can(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    if sys.platform == "win32":
        pytest.skip("off Windows only")
    facts = machine_facts(Backend(BackendKind.SYSTEM), None)
    assert facts.backend == "system" and facts.windows == WindowsFacts(elevated=False)
    assert facts.congestion == CongestionFacts(error="not read")
