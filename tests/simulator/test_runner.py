"""The simulated machine as an in-process runner: blocking, the profile's code page, faults as data."""

from __future__ import annotations

from pathlib import Path

import pytest

import app.simulator.runner as runner_module
from app.domain.commands import set_global, show_global
from app.domain.model import ExecutionMode, Family, SettingsPatch, Store
from app.domain.runs import CommandResult
from app.simulator.machine import SIMULATED_INITIAL
from app.simulator.profile import Fault, SimProfile
from app.simulator.runner import SimulatedRunner
from app.simulator.store import SimStateFile
from tests.conftest import (
    MakeState,
    machine_values,
    parse_show_global,  # the parser with the installed language table
)

SET = set_global(Family.IPV4, SettingsPatch(ExecutionMode.WORKER), Store.ACTIVE)


def test_show_and_set(make_state: MakeState) -> None:
    state = make_state()
    runner = SimulatedRunner(state, as_admin=True)
    assert parse_show_global(runner.run_blocking(show_global(Family.IPV4)).stdout) == SIMULATED_INITIAL
    result = runner.run_blocking(SET)
    assert result.ok and result.stdout == "Ok.\n\n" and result.argv == SET
    assert machine_values(state)[0][Family.IPV4].execution_mode is ExecutionMode.WORKER
    assert str(state.path) in runner.description


def test_unelevated_runner_gets_the_elevation_error(make_state: MakeState) -> None:
    result = SimulatedRunner(make_state()).run_blocking(SET)
    assert result.exit_code == 1 and "requires elevation" in result.output


def test_zh_cn_text_survives_the_code_page_round_trip(make_state: MakeState) -> None:
    result = SimulatedRunner(make_state(language="zh-CN")).run_blocking(show_global(Family.IPV6))
    assert result.stdout.startswith("\u67e5\u8be2\u6d3b\u52a8\u72b6\u6001...\n\n\u5e38\u89c4\u5168\u5c40\u53c2\u6570")
    assert "\r" not in result.stdout


def test_a_hang_is_reported_as_timed_out_after_the_limit(make_state: MakeState) -> None:
    state = make_state(elevated=True, faults=frozenset({Fault.SET_HANGS_ONCE}))
    result = SimulatedRunner(state, timeout_s=0.2).run_blocking(SET)
    assert result.timed_out and result.exit_code is None and result.duration_s >= 0.2
    assert machine_values(state)[0][Family.IPV4] == SIMULATED_INITIAL


def test_latency_delays_the_run(make_state: MakeState) -> None:
    """The simulated netsh is as slow as the profile says (a face keeps its event loop free by running reads in a
    worker thread: tests/usecases/test_reading.py)."""
    result = SimulatedRunner(make_state(latency_ms=300)).run_blocking(show_global(Family.IPV4))
    assert result.duration_s >= 0.3 and result.exit_code == 0


class FakeClock:
    """time.monotonic and time.sleep for app.simulator.runner: every monotonic() call after ``load_at`` calls moves
    the clock on by ``load_s`` once (the state's load), and sleep() records what it was asked and moves it on."""

    def __init__(self, load_s: float) -> None:
        self.now, self.load_s, self.calls = 100.0, load_s, 0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        self.calls += 1
        if self.calls == 2:  # the first call is the run's start; the second is after the state was loaded
            self.now += self.load_s
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def _run_with_clock(monkeypatch: pytest.MonkeyPatch, state: SimStateFile, clock: FakeClock) -> CommandResult:
    monkeypatch.setattr(runner_module.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(runner_module.time, "sleep", clock.sleep)
    return SimulatedRunner(state).run_blocking(show_global(Family.IPV4))


def test_the_latency_counts_from_the_call_with_the_machines_own_work_inside_it(
    make_state: MakeState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a netsh process answers L after it was started: the simulated machine's load (and a first run's imports)
    is spent inside L, not before it (issue 16: an early read's runs start before the domain is imported)."""
    clock = FakeClock(load_s=0.1)
    result = _run_with_clock(monkeypatch, make_state(latency_ms=300), clock)
    assert clock.sleeps == [0.2] and result.exit_code == 0
    assert result.duration_s == pytest.approx(0.3)


def test_work_longer_than_the_latency_adds_no_sleep(make_state: MakeState, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock(load_s=0.5)
    result = _run_with_clock(monkeypatch, make_state(latency_ms=300), clock)
    assert clock.sleeps == [] and result.duration_s == pytest.approx(0.5)


def test_no_latency_no_sleep(make_state: MakeState, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock(load_s=0.0)
    _run_with_clock(monkeypatch, make_state(latency_ms=0), clock)
    assert clock.sleeps == []


def test_build_hint_reads_the_build_without_loading_the_machine(make_state: MakeState, tmp_path: Path) -> None:
    assert make_state(build=17134).build_hint() == 17134
    assert SimStateFile(tmp_path / "missing.json").build_hint() is None  # a fresh machine: its default build
    odd = tmp_path / "odd.json"
    for text in ('{"format": 1, "profile": {"build": "17134"}}', "[1, 2]", '{"profile": 5}', '{"profile": {}}'):
        odd.write_text(text, encoding="utf-8")
        assert SimStateFile(odd).build_hint() is None, text  # nothing it can trust: the read decides
        assert odd.exists()  # and nothing set aside: only a file that cannot be parsed at all is


def test_build_hint_on_a_corrupt_file_loads_it_the_full_way_and_notes_it(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{ not json", encoding="utf-8")
    state = SimStateFile(path)
    assert state.build_hint() == SimProfile().build  # the fresh machine that replaces it
    assert not path.exists() and any("unreadable" in notice for notice in state.notices)
