"""The simulated machine as an in-process runner: blocking, the profile's code page, faults as data."""

from __future__ import annotations

from app.domain.commands import set_global, show_global
from app.domain.model import ExecutionMode, Family, SettingsPatch, Store
from app.simulator.machine import SIMULATED_INITIAL
from app.simulator.profile import Fault
from app.simulator.runner import SimulatedRunner
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
