"""The comparison view-model against the simulated machine and its real helper, with the measurement stood in: the
worker thread waits in ``decide`` for the answer this view-model resolves (keep, put back, cancel, closing), the
progress is typed, and the main view-model reads the machine again afterwards."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from typing import Any

from app.domain.comparisons import Goal
from app.domain.measurements import FamilyMeasurement, MeasurePlan
from app.domain.model import ExecutionMode, Family, LoopbackSettings, SettingsPatch
from app.simulator.machine import SIMULATED_INITIAL
from app.usecases.compare import compare_under_lock
from app.viewmodels.compare_vm import CompareProgress, CompareRequest, CompareViewModel, Phase, Stage
from app.viewmodels.messages import Level
from app.wiring import helper_backend
from tests.conftest import machine_values
from tests.usecases.test_compare import INLINE, FakeMeasure
from tests.viewmodels.conftest import Models

REQUEST = CompareRequest(
    presets=("latency",), families=(Family.IPV4,), rounds=2, goal=Goal.LATENCY, measure=MeasurePlan(0.1, 0.0, 1)
)


def _vm(m: Models, *, measure: Callable[..., list[FamilyMeasurement]] | None = None, **more: Any) -> CompareViewModel:
    services = m.services
    run = functools.partial(
        compare_under_lock,
        services.paths.transaction_lock,
        reader=services.reader,
        launcher=services.launcher,
        backend=helper_backend(services.backend),
        simulated=True,
        history=services.history,
        measure_once=measure or FakeMeasure(services),
    )
    return CompareViewModel(m.main, run, simulated=True, elevated=False, reread=m.main.refresh, parent=m.main, **more)


def _recording(vm: CompareViewModel) -> dict[str, list[Any]]:
    seen: dict[str, list[Any]] = {"progress": [], "phase": [], "deciding": [], "ended": []}
    vm.progress.connect(seen["progress"].append)
    vm.phaseChanged.connect(seen["phase"].append)
    vm.deciding.connect(lambda: seen["deciding"].append(vm.phase))
    vm.ended.connect(lambda: seen["ended"].append(vm.ending))
    return seen


def test_keep_resolves_the_waiting_worker_and_the_window_reads_the_kept_values(
    models: Callable[..., Models], run: Callable[[Any], Any]
) -> None:
    from app.usecases.compare import session_limit

    m = models()
    ticks = iter([100.0, 130.0])  # the start, then the question 30 s later
    vm = _vm(m, clock=lambda: next(ticks))
    seen = _recording(vm)
    waiting: list[bool] = []

    def answer() -> None:  # on the GUI thread, while the worker thread waits in decide
        assert vm.recommendation is not None and [r.configuration.label for r in vm.results] == ["current", "latency"]
        waiting.append(vm.running)
        assert vm.plan is not None and vm.answer_within_s == session_limit(vm.plan, 2) - 30.0  # the helper's cap
        vm.keep(1)

    vm.deciding.connect(answer)
    report = run(vm.start(REQUEST))
    assert waiting == [True] and seen["deciding"] == [Phase.DECIDING]
    assert seen["phase"] == [Phase.RUNNING, Phase.DECIDING, Phase.FINISHING, Phase.DONE]
    assert report is vm.report and report.kept == 1 and vm.ended_well
    assert seen["ended"] == ["Kept configuration 2 (latency): saved, as after a trial's Keep."]
    assert machine_values(m.state) == ({**dict.fromkeys(Family, SIMULATED_INITIAL), Family.IPV4: INLINE},) * 2
    assert m.main.family_view(Family.IPV4).machine == INLINE  # the window read the machine again
    assert [(x.level, x.text) for x in m.messages if x.text.startswith("Comparison:")] == [
        (Level.SUCCESS, "Comparison: Kept configuration 2 (latency): saved, as after a trial's Keep.")
    ]  # the window's status bar says it too: the dialog may have been closed
    assert vm.recommendation.best is None  # the simulated machine: nothing is recommended, the caveat says why


def test_progress_is_the_use_cases_typed_value_for_each_stage(
    models: Callable[..., Models], run: Callable[[Any], Any]
) -> None:
    from app.viewmodels.compare_vm import describe_progress

    m = models()
    vm = _vm(m)
    seen = _recording(vm)
    vm.deciding.connect(vm.put_back)
    run(vm.start(REQUEST))
    progress: list[CompareProgress] = seen["progress"]
    assert all(isinstance(p, CompareProgress) for p in progress)
    assert [(p.round, p.index) for p in progress if p.stage is Stage.APPLYING] == [(1, 0), (1, 1), (2, 0), (2, 1)]
    assert describe_progress(progress[0]).startswith("Round 1 of 2, configuration 1 of 2 (current): applying\u2026")


def test_put_back_restores_the_originals(models: Callable[..., Models], run: Callable[[Any], Any]) -> None:
    m = models()
    vm = _vm(m)
    vm.deciding.connect(vm.put_back)
    report = run(vm.start(REQUEST))
    assert report.kept is None and vm.ending == "The original values are back." and vm.ended_well
    assert machine_values(m.state) == (dict.fromkeys(Family, SIMULATED_INITIAL),) * 2


def test_closing_while_deciding_puts_the_originals_back_never_keeps(
    models: Callable[..., Models], run: Callable[[Any], Any]
) -> None:
    m = models()
    vm = _vm(m)
    vm.deciding.connect(vm.cancel)  # the dialog closed (Esc, X) or the window quit while the answer was awaited
    report = run(vm.start(REQUEST))
    assert report.kept is None and vm.phase is Phase.DONE
    vm.keep(1)  # too late: ignored
    assert machine_values(m.state) == (dict.fromkeys(Family, SIMULATED_INITIAL),) * 2


def test_cancel_while_measuring_stops_between_steps_and_puts_the_originals_back(
    models: Callable[..., Models], run: Callable[[Any], Any]
) -> None:
    m = models()
    fake = FakeMeasure(m.services)
    vm: CompareViewModel | None = None

    def measure(families: Sequence[Family], plan: MeasurePlan) -> list[FamilyMeasurement]:
        if fake.calls == 1:  # the latency configuration is in effect now
            assert vm is not None
            vm.cancel()  # from the worker thread here; the view calls it from the GUI thread: both only set events
        return fake(families, plan)

    vm = _vm(m, measure=measure)
    seen = _recording(vm)
    assert run(vm.start(REQUEST)) is None
    assert seen["deciding"] == [] and seen["ended"] == ["Cancelled: the original values are back."]
    assert vm.ended_well and vm.report is None and fake.calls == 2  # put back, as asked
    assert [x.level for x in m.messages if x.text.startswith("Comparison: Cancelled")] == [Level.INFO]
    assert machine_values(m.state) == (dict.fromkeys(Family, SIMULATED_INITIAL),) * 2
    entries, _ = m.services.history.load()
    assert [(e.outcome, e.reason) for e in entries] == [("reverted", "cancelled: asked")]


def test_a_custom_configuration_and_the_presets_are_filled_in_as_the_window_fills_them(
    models: Callable[..., Models], run: Callable[[Any], Any]
) -> None:
    m = models()
    vm = _vm(m, facts=lambda: (m.facts.info, m.facts.congestion))
    vm.deciding.connect(vm.put_back)
    custom = SettingsPatch(ExecutionMode.WORKER, 2, False)
    request = CompareRequest(
        ("throughput",), custom, (Family.IPV4,), 1, 0.1, Goal.BALANCED, (), MeasurePlan(0.1, 0.0, 1)
    )
    report = run(vm.start(request))
    labels = [r.configuration.label for r in report.results]
    assert labels == ["current", "throughput", "custom 1"]
    processors = m.facts.info.processors if m.facts.info else None
    assert report.results[1].configuration.settings[Family.IPV4].worker_count == min(16, max(1, processors or 4))
    assert report.results[2].configuration.settings[Family.IPV4] == LoopbackSettings(ExecutionMode.WORKER, 2, False)


def test_nothing_to_compare_and_a_busy_machine_end_in_words(
    models: Callable[..., Models], run: Callable[[Any], Any]
) -> None:
    from app.storage.files import InterProcessLock

    m = models()
    vm = _vm(m)
    assert run(vm.start(CompareRequest(presets=(), families=(Family.IPV4,)))) is None
    assert vm.ending.startswith("Nothing to compare: ") and vm.phase is Phase.DONE
    with InterProcessLock(m.services.paths.transaction_lock).hold():
        assert run(vm.start(REQUEST)) is None
    assert "finish it there first" in vm.ending and not vm.running


def test_the_worker_thread_never_blocks_the_event_loop_while_it_waits(
    models: Callable[..., Models], run: Callable[[Any], Any]
) -> None:
    import asyncio

    m = models()
    vm = _vm(m)
    ticks: list[int] = []
    answered = threading.Event()
    tasks: list[asyncio.Future[None]] = []

    async def meanwhile() -> None:  # the GUI thread's loop keeps turning during the whole comparison
        while not answered.is_set():
            ticks.append(1)
            await asyncio.sleep(0)

    def answer() -> None:
        before = len(ticks)

        async def later() -> None:
            while len(ticks) < before + 5:  # the loop turns while the worker waits for this answer
                await asyncio.sleep(0)
            answered.set()
            vm.put_back()

        tasks.append(asyncio.ensure_future(later()))

    vm.deciding.connect(answer)

    async def both() -> object:
        spinner = asyncio.ensure_future(meanwhile())
        report = await vm.start(REQUEST)
        await spinner
        return report

    assert run(both()) is not None and len(ticks) > 5
