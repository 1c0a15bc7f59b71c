"""The Measure view-model: a short real measurement off the GUI thread, its progress, cancel and failure."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from app.domain.measurements import SIMULATED_CAVEAT, Measurement, MeasurePlan
from app.domain.model import Family
from app.viewmodels.measure_vm import MeasureProgress, MeasureViewModel
from tests.viewmodels.conftest import Models

SHORT = MeasurePlan(seconds=0.1, warmup_s=0.02, runs=2)


def _recording(vm: MeasureViewModel) -> dict[str, list[Any]]:
    seen: dict[str, list[Any]] = {"progress": [], "finished": [], "failed": [], "running": []}
    vm.progress.connect(seen["progress"].append)
    vm.finished.connect(seen["finished"].append)
    vm.failed.connect(seen["failed"].append)
    vm.runningChanged.connect(seen["running"].append)
    return seen


def test_a_short_real_measurement_reports_progress_then_the_typed_result(
    models: Callable[..., Models], run: Callable[[Any], Any]
) -> None:
    m = models()
    vm = MeasureViewModel(m.main, simulated=True, parent=m.main)
    seen = _recording(vm)
    result = run(vm.start([Family.IPV4], SHORT))
    assert isinstance(result, Measurement) and seen["finished"] == [result] and vm.result is result
    assert result.ok and len(result[Family.IPV4].runs) == 2 and result[Family.IPV4].latency_samples > 0
    assert result.caveat == SIMULATED_CAVEAT  # the simulated machine says so on the result itself
    assert result[Family.IPV4].settings == m.main.family_view(Family.IPV4).machine  # the values read before
    assert [(p.index, p.total, p.family) for p in seen["progress"]] == [(1, 2, Family.IPV4), (2, 2, Family.IPV4)]
    first: MeasureProgress = seen["progress"][0]
    assert first.seconds_left == 2 * SHORT.seconds_per_run and "Run 1 of 2: IPv4" in first.describe()
    assert seen["running"] == [True, False] and not vm.running and not seen["failed"]


def test_cancel_stops_the_worker_processes_and_returns_what_was_taken(
    models: Callable[..., Models], run: Callable[[Any], Any]
) -> None:
    m = models()
    vm = MeasureViewModel(m.main, simulated=True, parent=m.main)
    seen = _recording(vm)
    vm.progress.connect(lambda _p: vm.cancel())  # as soon as the first run starts
    long = MeasurePlan(seconds=30.0, warmup_s=0.0, runs=3)  # only cancel ends this in time
    t0 = time.monotonic()
    result = run(vm.start([Family.IPV4, Family.IPV6], long))
    assert time.monotonic() - t0 < 20
    assert vm.cancelled and not vm.running and seen["finished"] == [result]
    assert result.order == () and all(f.error == "stopped before every run was taken" for f in result.families)
    assert len(seen["progress"]) == 1


def test_an_unexpected_error_is_failed_in_words_and_a_second_start_while_running_is_ignored(
    models: Callable[..., Models], run: Callable[[Any], Any]
) -> None:
    m = models()

    def broken(*_args: object, **_kwargs: object) -> Measurement:
        raise OSError("no more processes")

    vm = MeasureViewModel(m.main, simulated=False, measure_function=broken, parent=m.main)
    seen = _recording(vm)
    assert run(vm.start([Family.IPV4], SHORT)) is None
    assert seen["failed"] == ["The measurement failed: no more processes"] and not seen["finished"]
    assert not vm.running and vm.result is None

    async def twice() -> tuple[object, object]:
        first = asyncio.ensure_future(vm.start([Family.IPV4], SHORT))
        await asyncio.sleep(0)  # the first has started and waits on its thread
        second = await vm.start([Family.IPV4], SHORT)
        return await first, second

    assert run(twice()) == (None, None)
    assert seen["failed"] == ["The measurement failed: no more processes"] * 2  # the second start did nothing
