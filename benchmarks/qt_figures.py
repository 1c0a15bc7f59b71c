"""Figure 5 (event-loop gaps while reading, applying, counting down, keeping) and the widget census, with Qt.

The window and view-models are built by tests/ui/conftest.make_rig, the tests' copy of the composition root,
which is kept in step with MainWindow's constructor; if it cannot be used (changed, or pytest missing), the
view-models are built without a window and the figure says so.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from figures import Budget, Figure, Stats, progress
from sim_setup import other_mode, require_readable, simulated_backend

from app.domain.model import Family
from app.domain.outcomes import Outcome
from app.simulator.profile import SimProfile

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication, QMainWindow

    from app.viewmodels.main_vm import MainViewModel
    from app.viewmodels.simulation_vm import SimulationViewModel

TICK_MS = 5
COUNTDOWN_S, KEEP_AT = (
    100,
    50,
)  # make_rig ticks every 10 ms: 1 s, kept after 0.5 s (apply() returns after its verify read, L)


def qt_application() -> QApplication:
    """The one QApplication, with the offscreen plugin's harmless size-hint warning dropped (as pytest does)."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing

    def handler(_kind: QtMsgType, _context: object, text: str) -> None:
        if "propagateSizeHints" not in text:
            print(f"Qt: {text}", file=sys.stderr)

    qInstallMessageHandler(handler)
    return QApplication([sys.argv[0]])


@dataclass
class _Subjects:
    vm: MainViewModel
    sim_vm: SimulationViewModel
    window: QMainWindow | None
    setting: str

    def dispose(self) -> None:
        self.vm.countdown.stop()
        if self.window is not None:
            self.window.hide()
            self.window.deleteLater()
        self.vm.deleteLater()
        self.sim_vm.deleteLater()


class _NoQtBot:
    """Stands in for pytest-qt's qtbot in make_rig, which only calls addWidget."""

    def addWidget(self, widget: object) -> None:  # noqa: N802 - pytest-qt's name
        pass


def _build(folder: Path, profile: SimProfile, countdown_s: int) -> _Subjects:
    try:
        from tests.ui.conftest import make_rig

        rig = make_rig(_NoQtBot(), folder, profile, countdown_s)
        return _Subjects(rig.vm, rig.sim_vm, rig.window, "window shown")
    except Exception as exc:  # the fallback still measures the view-model's own work
        setting = f"headless: make_rig failed ({type(exc).__name__}: {exc})"
    from app.paths import AppPaths
    from app.runners.factory import sim_state
    from app.storage.originals import OriginalsStore
    from app.viewmodels.countdown import Countdown
    from app.viewmodels.main_vm import MainViewModel
    from app.viewmodels.simulation_vm import SimulationViewModel
    from app.wiring import build_services

    paths = AppPaths(data=folder / "data", logs=folder / "logs")
    backend = simulated_backend(folder, profile)
    services = build_services(backend, paths)
    vm = MainViewModel(
        services.reader,
        lambda: services.transactions,
        services.history,
        OriginalsStore(paths.originals("simulated")),
        countdown_s=countdown_s,
        countdown=Countdown(tick_ms=10),
    )
    return _Subjects(vm, SimulationViewModel(sim_state(backend)), None, setting)


# --- 5. event-loop gaps -------------------------------------------------------------------------------------
@dataclass
class _Ticks:
    """When each timer tick arrived, and when each phase of the scenario began."""

    ticks: list[float] = field(default_factory=list)
    phases: list[tuple[str, float]] = field(default_factory=list)

    def tick(self) -> None:
        self.ticks.append(time.perf_counter())

    def phase(self, name: str) -> None:
        self.phases.append((name, time.perf_counter()))

    def longest_gaps_ms(self) -> dict[str, float]:
        """The longest gap between ticks in each phase (a gap belongs to the phase in which it ends)."""
        gaps: dict[str, float] = {}
        for (name, start), (_, end) in zip(self.phases, self.phases[1:], strict=False):
            previous = max((t for t in self.ticks if t <= start), default=start)
            longest = 0.0
            for t in (t for t in self.ticks if start < t <= end):
                longest, previous = max(longest, t - previous), t
            gaps[name] = longest * 1000
        return gaps


class _StallSampler(threading.Thread):
    """--diagnose only: samples the GUI thread's Python stack whenever a tick is more than 12 ms late."""

    def __init__(self, ticks: _Ticks, threshold_s: float = 0.012) -> None:
        super().__init__(name="stall-sampler", daemon=True)
        self.ticks, self.threshold_s = ticks, threshold_s
        self.main_id = threading.main_thread().ident or 0
        self.stop = threading.Event()
        self.samples: list[tuple[float, str]] = []

    def run(self) -> None:
        sampled_after: float | None = None
        while not self.stop.wait(0.002):
            last = self.ticks.ticks[-1] if self.ticks.ticks else None
            if last is None or last == sampled_after or time.perf_counter() - last < self.threshold_s:
                continue
            frame = sys._current_frames().get(self.main_id)
            if frame is not None:  # a stack ending in qasync's run_forever means Qt itself (C++) was busy
                stack = "".join(traceback.format_stack(frame)[-8:])
                self.samples.append(((time.perf_counter() - last) * 1000, stack))
                sampled_after = last


async def _until_ticked(vm: MainViewModel, left: int, timeout_s: float = 30.0) -> None:
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def ticked(seconds: int) -> None:
        if seconds <= left and not done.done():
            done.set_result(None)

    vm.trialTick.connect(ticked)
    try:
        await asyncio.wait_for(done, timeout_s)
    finally:
        vm.trialTick.disconnect(ticked)


async def _scenario(subjects: _Subjects, ticks: _Ticks) -> None:
    vm, messages = subjects.vm, list[str]()
    vm.message.connect(lambda message: messages.append(message.text))
    ticks.phase("read")
    await subjects.sim_vm.load()
    await vm.start()
    if vm.state is None:
        raise RuntimeError(f"nothing was read: {messages}")
    require_readable(vm.state)
    for family in Family:
        machine = vm.family_view(family).machine
        assert machine is not None
        vm.set_mode(family, other_mode(machine.execution_mode))
    ticks.phase("apply")
    await vm.apply()
    if not vm.in_trial:
        raise RuntimeError(f"the trial did not start: {messages}")
    ticks.phase("countdown")
    await _until_ticked(vm, KEEP_AT)
    ticks.phase("keep")
    result = await vm.keep()
    ticks.phase("end")
    if result is None or result.outcome is not Outcome.KEPT:
        raise RuntimeError(f"the change was not kept: {messages}")


@dataclass(frozen=True)
class _GapRun:
    by_phase_ms: dict[str, float]
    stalls: tuple[tuple[float, str], ...]
    setting: str


def _one_gap_run(folder: Path, latency_ms: int, diagnose: bool) -> _GapRun:
    import qasync
    from PySide6.QtCore import Qt, QTimer

    app = qt_application()
    loop = qasync.QEventLoop(app, already_running=False)
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    asyncio.set_event_loop(loop)
    subjects = _build(folder, SimProfile(elevated=True, latency_ms=latency_ms), COUNTDOWN_S)
    ticks = _Ticks()
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)
    timer.timeout.connect(ticks.tick)
    sampler = _StallSampler(ticks) if diagnose else None
    try:
        timer.start()
        if sampler is not None:
            sampler.start()
        loop.run_until_complete(_scenario(subjects, ticks))
    finally:
        timer.stop()
        if sampler is not None:
            sampler.stop.set()
            sampler.join()
        subjects.dispose()  # on this thread, as the tests do: Qt cannot stop timers from the loop's workers
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()
        asyncio.set_event_loop(None)
        gc.collect()
        app.processEvents()
    if errors:
        raise RuntimeError(f"stray async exceptions: {[e.get('message') for e in errors]}")
    return _GapRun(ticks.longest_gaps_ms(), tuple(sampler.samples) if sampler else (), subjects.setting)


def responsiveness(folder: Path, runs: int, latency_ms: int, diagnose: bool) -> list[Figure]:
    """Longest gap between 5 ms timer ticks on the qasync loop while the view-model reads, applies (begins the
    trial), counts down and keeps, with every simulated netsh run taking L (elevated: no simulated UAC)."""
    gaps = []
    for run in range(runs):
        progress(f"responsiveness, run {run + 1}/{runs}")
        gaps.append(_one_gap_run(folder / f"run-{run}", latency_ms, diagnose))
    phases = {name: round(statistics.median(g.by_phase_ms[name] for g in gaps), 1) for name in gaps[0].by_phase_ms}
    details: dict[str, object] = {"median_longest_gap_by_phase_ms": phases, "setting": gaps[0].setting}
    if diagnose:
        details["stalls"] = [{"late_ms": round(late, 1), "stack": stack} for g in gaps for late, stack in g.stalls]
    return [
        Figure(
            "loop_gap_ms",
            f"5 Longest event-loop gap (read, apply, countdown, keep; L = {latency_ms} ms)",
            "ms",
            Stats.of(max(g.by_phase_ms.values()) for g in gaps),
            Budget(16.0, "one frame at 60 Hz"),
            note=f"{gaps[0].setting}; median by phase: " + ", ".join(f"{k} {v:.1f}" for k, v in phases.items()),
            details=details,
        )
    ]


# --- widget census ------------------------------------------------------------------------------------------
def _qt_class(obj: object) -> str:
    """The nearest PySide6 class: FamilyPanel counts as a QWidget, _Marker as a QLabel."""
    return next(k.__name__ for k in type(obj).__mro__ if k.__module__.startswith("PySide6"))


def widget_census() -> list[Figure]:
    """The real window's widgets by Qt class (findChildren) against the bare window's, which should match."""
    import bare_window
    from PySide6.QtWidgets import QWidget

    app = qt_application()
    with tempfile.TemporaryDirectory(prefix="loopback-bench-census-") as tmp:
        subjects = _build(Path(tmp), SimProfile(), 15)
        if subjects.window is None:
            subjects.dispose()
            raise RuntimeError(subjects.setting)
        real = Counter(_qt_class(w) for w in subjects.window.findChildren(QWidget))
        subjects.dispose()
    bare = bare_window.build_window()
    bare.show()  # as the real window is: showing creates the menu bar's overflow menu
    baseline = Counter(_qt_class(w) for w in bare.findChildren(QWidget))
    bare.hide()
    bare.deleteLater()
    app.processEvents()
    diff = [f"bare lacks {n} {k}" for k, n in (real - baseline).items()]
    diff += [f"bare has {n} more {k}" for k, n in (baseline - real).items()]
    note = f"bare window {sum(baseline.values())}; " + (", ".join(diff) or "same Qt classes and counts")
    return [
        Figure(
            "widgets_app",
            "  widgets in the window (app)",
            "",
            Stats.of([sum(real.values())]),
            note=note,
            details={"app": dict(real), "bare": dict(baseline)},
        )
    ]
