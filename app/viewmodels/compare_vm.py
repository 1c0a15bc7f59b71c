"""The window's comparison of configurations: the compare use case in a worker thread (one administrator prompt),
typed progress, Cancel, and the user's answer (keep a configuration or put the original values back), for which
the worker thread waits on a threading primitive this view-model resolves."""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from app.domain.comparisons import ConfigurationResult, Goal, Recommendation
from app.domain.errors import LoopbackTunerError
from app.domain.machine_facts import CongestionReading, MachineInfo
from app.domain.measurements import MeasurePlan
from app.domain.model import Family, SettingsPatch
from app.domain.outcomes import Outcome
from app.usecases.compare import (
    ComparePlan,
    CompareProgress,
    ComparisonCancelledError,
    ComparisonReport,
    Stage,
    comparison_configurations,
    parse_workload,
    session_limit,
)
from app.viewmodels.chart_data import ChartData, chart_from_comparison
from app.viewmodels.editing import PendingEditor
from app.viewmodels.messages import Level, Message
from app.viewmodels.tasks import gui_poster, in_thread

__all__ = [
    "CompareProgress",
    "CompareRequest",
    "CompareViewModel",
    "ComparisonReport",
    "Phase",
    "Stage",
    "describe_progress",
]

CompareFunction = Callable[..., ComparisonReport]  # compare_under_lock with the machine's objects bound (wiring)
Facts = Callable[[], tuple[MachineInfo | None, CongestionReading | None]]

_STAGE_TEXT = {
    Stage.APPLYING: "applying",
    Stage.VERIFYING: "checking that it took",
    Stage.MEASURING: "measuring",
    Stage.WORKLOAD: "running your command",
}


class Phase(enum.Enum):
    IDLE = "idle"
    RUNNING = "running"  # waiting for the prompt, or trying the configurations
    DECIDING = "deciding"  # the figures are in: keep one or put the originals back
    FINISHING = "finishing"  # the answer is being carried out
    DONE = "done"  # ended (kept, put back, cancelled or failed): ``ending`` says how


@dataclass(frozen=True)
class CompareRequest:
    """What the user picked: presets by name ("latency", ...), an optional custom patch, and the plan's figures."""

    presets: tuple[str, ...] = ("latency", "throughput", "balanced")
    custom: SettingsPatch | None = None
    families: tuple[Family, ...] = tuple(Family)
    rounds: int = 3
    seconds: float = 1.0
    goal: Goal = Goal.BALANCED
    workload: tuple[str, ...] = ()
    measure: MeasurePlan | None = None  # tests: a shorter plan (warm-up); default: ``seconds``, one run per step


def describe_progress(progress: CompareProgress) -> str:
    return (
        f"Round {progress.round} of {progress.rounds}, configuration {progress.index + 1} of {progress.count} "
        f"({progress.label}): {_STAGE_TEXT[progress.stage]}\u2026 about {progress.seconds_left:.0f} s left"
    )


@dataclass
class _Answer:
    """The user's answer, given once on the GUI thread (Keep, Put back, Cancel, closing) and awaited by the worker
    thread in ``decide``; the first answer wins, and every way out of the dialog gives "put back" (None)."""

    event: threading.Event = field(default_factory=threading.Event)
    index: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def give(self, index: int | None) -> bool:
        with self._lock:
            if self.event.is_set():
                return False
            self.index = index
            self.event.set()
            return True

    def wait(self) -> int | None:
        self.event.wait()
        return self.index


class CompareViewModel(QObject):
    """Runs one comparison at a time; the results and recommendation stay readable after it ends (a chart's
    builder takes ``results``, ``recommendation`` and ``simulated``)."""

    progress = Signal(object)  # CompareProgress
    deciding = Signal()  # the results are in: ``results`` and ``recommendation``; waiting for keep or put_back
    ended = Signal()  # DONE: ``ending`` (and ``report`` when it completed)
    phaseChanged = Signal(object)  # Phase

    def __init__(
        self,
        editor: PendingEditor,
        compare_function: CompareFunction,
        *,
        simulated: bool,
        elevated: bool,
        facts: Facts = lambda: (None, None),
        reread: Callable[[], Awaitable[None]] | None = None,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.editor, self._compare, self.simulated, self.elevated = editor, compare_function, simulated, elevated
        self._facts, self._reread, self._clock = facts, reread, clock
        self._answer_by = 0.0  # the helper's cap, by this clock (a little early: it starts after the prompt)
        self.answer_within_s = 0.0  # when the answer is asked: the time left to give it
        self._phase = Phase.IDLE
        self._stop = threading.Event()
        self._answer = _Answer()
        self.results: tuple[ConfigurationResult, ...] = ()
        self.recommendation: Recommendation | None = None
        self.report: ComparisonReport | None = None
        self.plan: ComparePlan | None = None  # the last comparison's plan (its goal names the recommendation)
        self.ending = ""  # how it ended, in a sentence
        self.ended_well = False  # completed as answered (kept, or put back as asked)

    @property
    def phase(self) -> Phase:
        return self._phase

    def chart(self) -> ChartData | None:
        """What the chart shows for the comparison's figures (None before any are in)."""
        if not self.results or self.recommendation is None:
            return None
        return chart_from_comparison(self.results, self.recommendation, self.simulated)

    @property
    def running(self) -> bool:
        return self._phase in (Phase.RUNNING, Phase.DECIDING, Phase.FINISHING)

    @property
    def workload_note(self) -> str:
        """Said before a workload runs when the app itself is elevated ("" otherwise)."""
        if not self.elevated:
            return ""
        return "This app runs as administrator, so your command runs with administrator rights too."

    def split_workload(self, text: str) -> tuple[tuple[str, ...], str]:
        """The user's command typed as one line, as the argv it runs as (never a shell), and why it cannot be
        split ("" when it can)."""
        try:
            return parse_workload(text), ""
        except LoopbackTunerError as exc:
            return (), str(exc)

    def _set_phase(self, phase: Phase) -> None:
        if phase is not self._phase:
            self._phase = phase
            self.phaseChanged.emit(phase)

    def _end(self, text: str, *, well: bool, kept: bool = False) -> None:
        """Say how it ended, in the dialog and in the window's one message channel (the dialog may be closed)."""
        text = text[:1].upper() + text[1:]  # the use case's sentences start lower-case (the CLI prefixes them)
        self.ending, self.ended_well = text, well
        level = Level.SUCCESS if kept else Level.INFO if well else Level.WARNING
        self.editor.post(Message(level, f"Comparison: {text}"))
        self._set_phase(Phase.DONE)
        self.ended.emit()

    async def start(self, request: CompareRequest) -> ComparisonReport | None:
        """Compare; emits progress, deciding (then waits for keep/put_back/cancel), then ended. Ignored while one
        runs. The machine is read again afterwards, whatever happened (its values may have changed)."""
        if self.running:
            return None
        state = self.editor.state
        current = {f: s for f, s in (state.settings().items() if state else ()) if f in request.families}
        info, congestion = self._facts()
        self.results, self.recommendation, self.report = (), None, None
        try:
            if len(current) != len(request.families):
                raise LoopbackTunerError("A family to compare could not be read; nothing was compared.")
            custom = [request.custom] if request.custom is not None else []
            configurations = comparison_configurations(
                current, ("current", *request.presets), custom, info=info, congestion=congestion
            )
        except LoopbackTunerError as exc:
            self._end(str(exc), well=False)
            return None
        measure = request.measure or MeasurePlan(seconds=request.seconds, runs=1)
        plan = ComparePlan(request.goal, measure, request.rounds, request.families, request.workload)
        self.plan = plan
        self._answer_by = self._clock() + session_limit(plan, len(configurations))
        self._stop, self._answer = threading.Event(), _Answer()
        self._set_phase(Phase.RUNNING)
        report = await self._run(configurations, plan)
        if self._reread is not None:
            await self._reread()
        return report

    async def _run(self, configurations: Sequence[object], plan: ComparePlan) -> ComparisonReport | None:
        answer, stop = self._answer, self._stop
        on_gui = gui_poster()

        def decide(recommendation: Recommendation, results: Sequence[ConfigurationResult]) -> int | None:
            # On the worker thread, while the use case's own thread keeps beating: wait for the user's answer.
            if not on_gui(self._ask, recommendation, tuple(results)):
                answer.give(None)
            return answer.wait()

        try:
            report = await in_thread(
                self._compare,
                configurations,
                plan,
                decide=decide,
                progress=lambda p: on_gui(self.progress.emit, p),
                cancel=stop,
            )
        except ComparisonCancelledError as exc:  # asked for (Cancel) and put back: as the user wanted
            self._end(str(exc), well=stop.is_set() and exc.outcome is Outcome.REVERTED)
            return None
        except LoopbackTunerError as exc:
            self._end(str(exc), well=False)
            return None
        except Exception as exc:  # a bug, said in words (the crash dialog is for the GUI thread's own errors)
            self._end(f"The comparison failed: {exc!r}", well=False)
            return None
        self.report, self.results, self.recommendation = report, report.results, report.recommendation
        text, well = _ending(report)
        self._end(text, well=well, kept=report.kept is not None)
        return report

    def _ask(self, recommendation: Recommendation, results: tuple[ConfigurationResult, ...]) -> None:
        self.results, self.recommendation = results, recommendation
        self.answer_within_s = max(0.0, self._answer_by - self._clock())
        if self._answer.event.is_set():  # cancelled while the last step ran: the answer is already "put back"
            self._set_phase(Phase.FINISHING)
            return
        self._set_phase(Phase.DECIDING)
        self.deciding.emit()

    def keep(self, index: int) -> None:
        """Keep configuration ``index`` (saved, as after a trial's Keep)."""
        if self._phase is Phase.DECIDING and 0 < index < len(self.results) and self._answer.give(index):
            self._set_phase(Phase.FINISHING)

    def put_back(self) -> None:
        """Put the original values back."""
        if self._phase is Phase.DECIDING and self._answer.give(None):
            self._set_phase(Phase.FINISHING)

    def cancel(self) -> None:
        """Cancel, Close, Esc or quitting: stop between steps and put the original values back; a pending answer
        becomes "put back". Never keeps."""
        if not self.running:
            return
        self._stop.set()
        if self._answer.give(None) and self._phase is Phase.DECIDING:
            self._set_phase(Phase.FINISHING)


def _ending(report: ComparisonReport) -> tuple[str, bool]:
    if report.kept is not None:
        label = report.results[report.kept].configuration.label
        return f"Kept configuration {report.kept + 1} ({label}): saved, as after a trial's Keep.", True
    if report.outcome is Outcome.REVERTED:
        return "The original values are back.", True
    return f"The comparison ended {report.outcome.value}: {report.reason}. Check the values shown.", False
