"""The window's Measure view: one loopback measurement at a time, off the GUI thread, with progress and cancel."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.domain.measurements import Measurement, MeasurePlan
from app.domain.model import Family, LoopbackSettings
from app.usecases.measure import Progress, measure
from app.viewmodels.editing import PendingEditor
from app.viewmodels.tasks import gui_poster, in_thread

if TYPE_CHECKING:
    from app.viewmodels.compare_vm import CompareViewModel

MeasureFunction = Callable[..., Measurement]  # the use case's signature: app.usecases.measure.measure


@dataclass(frozen=True, slots=True)
class MeasureProgress:
    """Where a measurement is, for the progress line: run ``index`` of ``total`` on ``family``, about
    ``seconds_left`` to go (this run included)."""

    index: int
    total: int
    family: Family
    seconds_left: float

    def describe(self) -> str:
        return f"Run {self.index} of {self.total}: {self.family.label}, about {self.seconds_left:.0f} s left\u2026"


class MeasureViewModel(QObject):
    """Runs the measure use case in a worker thread; its worker processes are stopped by :meth:`cancel`."""

    progress = Signal(object)  # MeasureProgress
    finished = Signal(object)  # Measurement (a cancelled one too: what it has, each family saying it was stopped)
    failed = Signal(str)  # an unexpected error, in words
    runningChanged = Signal(bool)

    def __init__(
        self,
        editor: PendingEditor,
        *,
        simulated: bool,
        measure_function: MeasureFunction = measure,
        compare: Callable[[], CompareViewModel] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.editor, self.simulated, self._measure = editor, simulated, measure_function
        self._make_compare = compare
        self._compare_vm: CompareViewModel | None = None
        self._stop = threading.Event()
        self._running = False
        self._result: Measurement | None = None

    @property
    def running(self) -> bool:
        return self._running

    @property
    def compare(self) -> CompareViewModel | None:
        """The Measure view's comparison of configurations (None: measuring only); made when first asked for, so
        the window's start never loads the comparison's modules."""
        if self._compare_vm is None and self._make_compare is not None:
            self._compare_vm = self._make_compare()
        return self._compare_vm

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    @property
    def result(self) -> Measurement | None:
        return self._result

    def _settings(self, families: Sequence[Family]) -> Mapping[Family, LoopbackSettings]:
        """The active values the window last read (recorded with the results)."""
        state = self.editor.state
        return {f: s for f, s in state.settings().items() if f in families} if state is not None else {}

    def _set_running(self, running: bool) -> None:
        if running != self._running:
            self._running = running
            self.runningChanged.emit(running)

    async def start(self, families: Sequence[Family], plan: MeasurePlan) -> Measurement | None:
        """Measure ``families``; emits progress, then finished or failed. Ignored (None) while one is running."""
        if self._running:
            return None
        self._stop = threading.Event()
        stop = self._stop
        self._set_running(True)
        on_gui = gui_poster()
        chosen = tuple(dict.fromkeys(families))

        def report(p: Progress) -> None:  # on the worker thread: hand it to the GUI thread
            left = (p.total - p.index + 1) * plan.seconds_per_run
            on_gui(self.progress.emit, MeasureProgress(p.index, p.total, p.family, left))

        try:
            result = await in_thread(
                self._measure,
                chosen,
                plan,
                simulated=self.simulated,
                settings=self._settings(chosen),
                progress=report,
                should_stop=stop.is_set,
            )
        except Exception as exc:  # a bug or the machine refusing processes: said, never lost
            self._set_running(False)
            self.failed.emit(f"The measurement failed: {exc}")
            return None
        self._result = result
        self._set_running(False)
        self.finished.emit(result)
        return result

    def cancel(self) -> None:
        """Stop a running measurement (its worker processes are killed within a quarter of a second) and a running
        comparison (the original values come back): the window calls this when it closes."""
        if self._running:
            self._stop.set()
        if self._compare_vm is not None:
            self._compare_vm.cancel()
