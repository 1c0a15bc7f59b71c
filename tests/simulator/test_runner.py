"""The simulated machine as an in-process runner: async, the profile's code page, faults as data."""

from __future__ import annotations

import asyncio

from app.domain.commands import set_global, show_global
from app.domain.model import ExecutionMode, Family, SettingsPatch, Store
from app.domain.parser import parse_show_global
from app.simulator.machine import SIMULATED_INITIAL
from app.simulator.profile import Fault
from app.simulator.runner import SimulatedRunner
from tests.conftest import MakeState, machine_values

SET = set_global(Family.IPV4, SettingsPatch(ExecutionMode.WORKER), Store.ACTIVE)


def test_show_and_set(make_state: MakeState) -> None:
    state = make_state()
    runner = SimulatedRunner(state, as_admin=True)
    assert parse_show_global(asyncio.run(runner.run(show_global(Family.IPV4))).stdout) == SIMULATED_INITIAL
    result = asyncio.run(runner.run(SET))
    assert result.ok and result.stdout == "Ok.\n\n" and result.argv == SET
    assert machine_values(state)[0][Family.IPV4].execution_mode is ExecutionMode.WORKER
    assert str(state.path) in runner.description


def test_unelevated_runner_gets_the_elevation_error(make_state: MakeState) -> None:
    result = asyncio.run(SimulatedRunner(make_state()).run(SET))
    assert result.exit_code == 1 and "requires elevation" in result.output


def test_zh_cn_text_survives_the_code_page_round_trip(make_state: MakeState) -> None:
    result = asyncio.run(SimulatedRunner(make_state(language="zh-CN")).run(show_global(Family.IPV6)))
    assert result.stdout.startswith("\u67e5\u8be2\u6d3b\u52a8\u72b6\u6001...\n\n\u5e38\u89c4\u5168\u5c40\u53c2\u6570")
    assert "\r" not in result.stdout


def test_a_hang_is_reported_as_timed_out_after_the_limit(make_state: MakeState) -> None:
    state = make_state(elevated=True, faults=frozenset({Fault.SET_HANGS_ONCE}))
    result = asyncio.run(SimulatedRunner(state, timeout_s=0.2).run(SET))
    assert result.timed_out and result.exit_code is None and result.duration_s >= 0.2
    assert machine_values(state)[0][Family.IPV4] == SIMULATED_INITIAL


def test_latency_delays_without_blocking_the_loop(make_state: MakeState) -> None:
    runner = SimulatedRunner(make_state(latency_ms=300))
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1

    async def main() -> float:
        task = asyncio.ensure_future(ticker())
        result = await runner.run(show_global(Family.IPV4))
        task.cancel()
        return result.duration_s

    assert asyncio.run(main()) >= 0.3
    assert ticks > 10  # the loop kept running while netsh "worked"
