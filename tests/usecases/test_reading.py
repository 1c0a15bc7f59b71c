"""Reading both families from both stores at once, mapping failures to values, and spotting mismatches."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from app.domain.commands import Argv, show_global
from app.domain.model import ExecutionMode, Family, LoopbackSettings, ReadFailure, ReadProblem, Setting, Store
from app.domain.outcomes import mismatches
from app.domain.runs import CommandResult, NetshMissingError
from app.runners.subprocess_runner import SubprocessRunner
from app.simulator.machine import SIMULATED_INITIAL
from app.simulator.profile import Fault
from app.simulator.runner import SimulatedRunner
from app.usecases.reading import read_machine, read_one, reading_from
from tests.conftest import FIXTURES, MakeState

GOOD = (FIXTURES / "en-US-documented-order-crlf.txt").read_text(encoding="cp437").replace("\r\n", "\n")
GOOD_SETTINGS = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)


class FakeRunner:
    """Answers every run with ``output``; with ``together`` > 1 each run waits until that many run at once (a
    barrier, so reads one after the other fail instead of passing slowly), counting how many ran at once."""

    description = "fake"

    def __init__(self, output: str = GOOD, together: int = 1) -> None:
        self.output = output
        self.barrier = threading.Barrier(together, timeout=10) if together > 1 else None
        self.calls: list[Argv] = []
        self.running = self.max_running = 0
        self.lock = threading.Lock()

    def run_blocking(self, argv: Argv) -> CommandResult:
        with self.lock:
            self.calls.append(argv)
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            if self.barrier is not None:
                self.barrier.wait()
        finally:
            with self.lock:
                self.running -= 1
        return CommandResult(argv, 0, self.output)


def test_reads_both_families_from_both_stores_concurrently() -> None:
    runner = FakeRunner(together=4)
    state = read_machine(runner)
    assert sorted(runner.calls) == sorted(show_global(f, s) for f in Family for s in Store)
    assert len(runner.calls) == 4
    assert runner.max_running == 4  # all four at once, not one after the other
    for family in Family:
        assert state[family].active == state[family].persistent == GOOD_SETTINGS


def test_one_family_reads_two_runs() -> None:
    runner = FakeRunner(together=2)
    state = read_machine(runner, (Family.IPV6,))
    assert len(runner.calls) == 2 and runner.max_running == 2
    assert list(state.families) == [Family.IPV6]


def test_simulated_latency_is_paid_once_not_four_times(make_state: MakeState) -> None:
    latency = 0.4
    runner = SimulatedRunner(make_state(latency_ms=int(latency * 1000)))
    started = time.monotonic()
    state = read_machine(runner)
    elapsed = time.monotonic() - started
    assert elapsed < 2 * latency, elapsed
    assert state.settings() == dict.fromkeys(Family, SIMULATED_INITIAL)


class ScriptedRunner:
    description = "scripted"

    def __init__(self, result: CommandResult | Exception) -> None:
        self.result = result

    def run_blocking(self, argv: Argv) -> CommandResult:
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def _read(result: CommandResult | Exception) -> object:
    return read_one(ScriptedRunner(result), Family.IPV4, Store.ACTIVE)


ARGV = show_global(Family.IPV4)


@pytest.mark.parametrize(
    ("fixture", "problem"),
    [
        ("en-US-pre1809.txt", ReadProblem.UNRECOGNIZED),  # no rows, build unknown: never "unsupported"
        ("en-US-mode-fast.txt", ReadProblem.UNRECOGNIZED),
        ("empty.txt", ReadProblem.UNRECOGNIZED),
    ],
)
def test_parser_failures_become_read_failures(fixture: str, problem: ReadProblem) -> None:
    text = (FIXTURES / fixture).read_text(encoding="cp437")
    reading = _read(CommandResult(ARGV, 0, text))
    assert isinstance(reading, ReadFailure) and reading.problem is problem
    assert reading.raw == text and reading.message


# --- "unsupported" comes from the build number alone (issue 18) ---

NO_ROWS = {  # tables without any loopback row: a whole English one, and the zh-CN header and title
    "en-US-pre1809.txt": (FIXTURES / "en-US-pre1809.txt").read_text(encoding="cp437"),
    "zh-CN-pre1809-cp936.txt": (FIXTURES / "zh-CN-pre1809-cp936.txt").read_text(encoding="cp936"),
}


class BuildRunner(FakeRunner):
    """A FakeRunner that knows the Windows build behind it (as the wired reader does)."""

    def __init__(self, build: int | None, output: str = GOOD) -> None:
        super().__init__(output)
        self.build = build

    def windows_build(self) -> int | None:
        return self.build


@pytest.mark.parametrize("fixture", sorted(NO_ROWS))
@pytest.mark.parametrize("build", [17134, 10240, 17762])
def test_a_build_before_17763_is_unsupported_and_says_which(fixture: str, build: int) -> None:
    reading = reading_from(CommandResult(ARGV, 0, NO_ROWS[fixture]), build)
    assert isinstance(reading, ReadFailure) and reading.problem is ReadProblem.UNSUPPORTED
    assert reading.build == build and f"({build})" in reading.message and "17763" in reading.message


@pytest.mark.parametrize("fixture", sorted(NO_ROWS))
@pytest.mark.parametrize("build", [17763, 19045, 22631, 26100])
def test_a_build_from_17763_without_loopback_rows_is_unrecognized_with_the_raw_text(fixture: str, build: int) -> None:
    reading = reading_from(CommandResult(ARGV, 0, NO_ROWS[fixture]), build)
    assert isinstance(reading, ReadFailure) and reading.problem is ReadProblem.UNRECOGNIZED
    assert reading.raw == NO_ROWS[fixture] and reading.build == build


@pytest.mark.parametrize("fixture", sorted(NO_ROWS))
def test_an_unknown_build_without_loopback_rows_is_never_unsupported(fixture: str) -> None:
    reading = reading_from(CommandResult(ARGV, 0, NO_ROWS[fixture]), None)
    assert isinstance(reading, ReadFailure) and reading.problem is ReadProblem.UNRECOGNIZED
    assert reading.raw == NO_ROWS[fixture] and reading.build is None
    state = read_machine(BuildRunner(None, NO_ROWS[fixture]))  # a runner that cannot tell
    assert {fs.failure.problem for fs in state.families.values() if fs.failure} == {ReadProblem.UNRECOGNIZED}
    plain = read_machine(FakeRunner(NO_ROWS[fixture]))  # a runner that does not say
    assert {fs.failure.problem for fs in plain.families.values() if fs.failure} == {ReadProblem.UNRECOGNIZED}


def test_an_old_build_never_runs_netsh_to_read() -> None:
    runner = BuildRunner(17134)  # netsh would answer with good values: it must not be asked
    state = read_machine(runner)
    assert runner.calls == []
    for fs in state.families.values():
        for reading in (fs.active, fs.persistent):
            assert isinstance(reading, ReadFailure) and reading.problem is ReadProblem.UNSUPPORTED
            assert reading.build == 17134 and reading.raw == ""


def test_a_build_from_17763_reads_as_before() -> None:
    runner = BuildRunner(17763)
    state = read_machine(runner)
    assert len(runner.calls) == 4 and all(fs.settings == GOOD_SETTINGS for fs in state.families.values())


def test_a_failing_build_lookup_counts_as_unknown() -> None:
    class Broken(BuildRunner):
        def windows_build(self) -> int | None:
            raise OSError("state file unreadable")

    state = read_machine(Broken(None, NO_ROWS["en-US-pre1809.txt"]))
    assert {fs.failure.problem for fs in state.families.values() if fs.failure} == {ReadProblem.UNRECOGNIZED}


def test_missing_netsh_becomes_a_read_failure() -> None:
    reading = _read(NetshMissingError("netsh could not be started (x: No such file)"))
    assert reading == ReadFailure(ReadProblem.NETSH_MISSING, "netsh could not be started (x: No such file)")


def test_missing_executable_through_a_real_runner(tmp_path: Path) -> None:
    state = read_machine(SubprocessRunner([str(tmp_path / "nope")]))
    for family in Family:
        reading = state[family].active
        assert isinstance(reading, ReadFailure) and reading.problem is ReadProblem.NETSH_MISSING
        assert state[family].settings is None


def test_non_zero_exit_and_time_out_are_netsh_failures() -> None:
    failed = reading_from(CommandResult(ARGV, 1, "The parameter is incorrect.\n"))
    assert isinstance(failed, ReadFailure) and failed.problem is ReadProblem.NETSH_FAILED
    assert failed.message == "netsh exited with code 1: The parameter is incorrect."
    timed_out = reading_from(CommandResult(ARGV, None, "", "", 15.0, timed_out=True))
    assert isinstance(timed_out, ReadFailure) and timed_out.problem is ReadProblem.NETSH_FAILED
    assert "15 s" in timed_out.message


def test_a_non_zero_exit_is_never_parsed_even_with_good_output() -> None:
    reading = reading_from(CommandResult(ARGV, 2, GOOD))
    assert isinstance(reading, ReadFailure) and reading.problem is ReadProblem.NETSH_FAILED


def test_show_fails_fault_through_the_simulator(make_state: MakeState) -> None:
    state = read_machine(SimulatedRunner(make_state(faults=frozenset({Fault.SHOW_FAILS}))))
    assert all(
        fs.failure is not None and fs.failure.problem is ReadProblem.NETSH_FAILED for fs in state.families.values()
    )


def test_pre_1809_and_zh_cn_through_the_simulator(make_state: MakeState) -> None:
    old = read_machine(SimulatedRunner(make_state(build=17134, name="old.json")))
    assert {fs.failure.problem for fs in old.families.values() if fs.failure} == {ReadProblem.UNSUPPORTED}
    zh = read_machine(SimulatedRunner(make_state(language="zh-CN", name="zh.json")))
    assert {fs.failure.problem for fs in zh.families.values() if fs.failure} == {ReadProblem.UNRECOGNIZED}


def test_mismatches() -> None:
    state = read_machine(FakeRunner())
    assert mismatches(state, {Family.IPV4: GOOD_SETTINGS}) == []
    want = LoopbackSettings(ExecutionMode.INLINE, 4, False)
    found = mismatches(state, {Family.IPV6: want})
    assert [(m.family, m.setting, m.expected, m.actual) for m in found] == [
        (Family.IPV6, Setting.EXECUTION_MODE, ExecutionMode.INLINE, ExecutionMode.ADAPTIVE),
        (Family.IPV6, Setting.LARGE_MTU, False, True),
    ]
    assert found[0].describe() == ("IPv6 execution mode did not stick: expected inline, the machine shows adaptive")


def test_mismatches_when_the_family_cannot_be_read_back() -> None:
    state = read_machine(FakeRunner(output=""))
    found = mismatches(state, {Family.IPV4: GOOD_SETTINGS}, Store.PERSISTENT)
    assert len(found) == 3 and all(m.actual is None for m in found)
    assert found[0].describe() == "IPv4 execution mode: could not be read back to check"


# --- the build travels with the wired reader: the profile in simulation, nothing for a custom netsh ---


def test_the_wired_reader_takes_the_build_from_the_simulated_profile(make_state: MakeState, tmp_path: Path) -> None:
    from app.paths import AppPaths
    from app.runners.factory import Backend, BackendKind
    from app.wiring import build_services

    old = make_state(build=17134, name="old.json")
    services = build_services(
        Backend(BackendKind.SIMULATED, state=old.path), AppPaths(data=tmp_path / "data", logs=tmp_path / "logs")
    )
    state = read_machine(services.reader)
    assert {fs.failure.problem for fs in state.families.values() if fs.failure} == {ReadProblem.UNSUPPORTED}
    assert all(fs.failure and fs.failure.build == 17134 for fs in state.families.values())
    new = make_state(build=17763, name="new.json")
    services = build_services(
        Backend(BackendKind.SIMULATED, state=new.path), AppPaths(data=tmp_path / "data", logs=tmp_path / "logs")
    )
    assert all(fs.settings == SIMULATED_INITIAL for fs in read_machine(services.reader).families.values())


@pytest.mark.skipif(sys.platform == "win32", reason="a #! script stands in for netsh")
def test_a_custom_netsh_has_no_known_build_so_a_table_without_rows_is_unrecognized(tmp_path: Path) -> None:
    from app.paths import AppPaths
    from app.runners.factory import Backend, BackendKind, windows_build_source
    from app.wiring import build_services
    from tests.conftest import write_fake_netsh

    netsh = write_fake_netsh(tmp_path / "netsh", FIXTURES / "en-US-pre1809.txt")
    backend = Backend(BackendKind.CUSTOM, netsh=netsh)
    assert windows_build_source(backend)() is None
    state = read_machine(build_services(backend, AppPaths(data=tmp_path / "data", logs=tmp_path / "logs")).reader)
    for fs in state.families.values():
        assert fs.failure is not None and fs.failure.problem is ReadProblem.UNRECOGNIZED
        assert "Loopback" not in fs.failure.raw and "Minimum Mtu" in fs.failure.raw  # the raw text travels
