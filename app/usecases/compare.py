"""The compare use case: several configurations tried under one elevated helper session (one prompt), each
verified by a fresh unelevated read and measured, in interleaved rounds; then one kept or the originals put back.
Synchronous and Qt-free (the command line calls it directly; the window runs it in a worker thread). Progress
is a typed value (CompareProgress); a cancel event, checked between steps, puts the original values back."""

from __future__ import annotations

import dataclasses
import enum
import os
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.domain.comparisons import (
    Configuration,
    ConfigurationResult,
    Goal,
    Recommendation,
    WorkloadRun,
    recommend,
)
from app.domain.errors import LoopbackTunerError, ValidationError
from app.domain.history import ComparisonStart
from app.domain.measurements import SIMULATED_CAVEAT, FamilyMeasurement, MeasurePlan, RunResult
from app.domain.model import Change, Family, FamilyChange, LoopbackSettings, SettingsPatch, Store
from app.domain.outcomes import HistoryOutcome, Outcome, mismatches
from app.elevation import session
from app.elevation.compare_protocol import (
    NEXT_MESSAGE,
    REVERT_MESSAGE,
    Ready,
    Step,
    keep_message,
    parse_session_message,
)
from app.elevation.helper import COMPARE_FLAG
from app.elevation.protocol import BEAT_MESSAGE, MAX_MESSAGE_BYTES, Done, ProtocolError
from app.usecases.measure import measure
from app.usecases.reading import read_machine

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from pathlib import Path

    from app.domain.machine_facts import CongestionReading, MachineInfo
    from app.elevation.backend_args import HelperBackend
    from app.elevation.launchers import HelperLauncher, HelperProcess
    from app.runners.base import NetshRunner
    from app.storage.history import History

BEAT_EVERY_S = 1.0
STEP_TIMEOUT_S = 120.0
WORKLOAD_TIMEOUT_S = 600.0
MAX_SESSION_S = 3600
STEP_OVERHEAD_S = 1.0  # applying and re-reading one configuration, before any step has been timed
MAX_CONFIGURATIONS = 8
Decide = Callable[[Recommendation, Sequence[ConfigurationResult]], int | None]  # the index to keep, or None
MeasureOnce = Callable[[Sequence[Family], MeasurePlan], list[FamilyMeasurement]]


class ComparisonStartError(LoopbackTunerError):
    """The helper could not read the values it would put back: nothing was changed."""


class ComparisonCancelledError(LoopbackTunerError):
    """The comparison was stopped (cancelled, or the helper's heartbeat was lost): the original values are back,
    unless ``outcome`` is REVERT_FAILED (the helper said putting them back failed)."""

    def __init__(self, message: str, outcome: Outcome = Outcome.REVERTED) -> None:
        super().__init__(message)
        self.outcome = outcome


class Stage(enum.StrEnum):
    """What one step of a comparison is doing."""

    APPLYING = "applying"  # the helper sets the configuration (active store)
    VERIFYING = "verifying"  # a fresh unelevated read checks that it took
    MEASURING = "measuring"  # the loopback tests
    WORKLOAD = "workload"  # the user's own command


@dataclass(frozen=True, slots=True)
class CompareProgress:
    """Where a comparison is: round ``round`` of ``rounds`` (from 1), configuration ``index`` (from 0) of ``count``,
    at ``stage``, with about ``seconds_left`` to go (from the steps timed so far)."""

    round: int
    rounds: int
    index: int
    count: int
    label: str
    stage: Stage
    seconds_left: float

    def step(self) -> str:
        """Which step: "round 1 of 3: configuration 2 (latency)"."""
        return f"round {self.round} of {self.rounds}: configuration {self.index + 1} ({self.label})"

    def describe(self) -> str:
        return f"{self.step()}: {self.stage.value}, about {self.seconds_left:.0f} s left"


@dataclass(frozen=True)
class ComparePlan:
    goal: Goal = Goal.BALANCED
    measure: MeasurePlan = field(default_factory=lambda: MeasurePlan(seconds=1.0, runs=1))
    rounds: int = 3
    families: tuple[Family, ...] = tuple(Family)
    workload: tuple[str, ...] = ()  # an argv, run with this process's rights; () for none
    workload_runs: int = 1  # per configuration and round


@dataclass(frozen=True)
class ComparisonReport:
    """The whole comparison: each configuration's figures, the recommendation, what was kept, and how it ended."""

    plan: ComparePlan
    results: tuple[ConfigurationResult, ...]
    recommendation: Recommendation
    kept: int | None
    outcome: Outcome
    reason: str
    simulated: bool
    seconds: float
    state_after: dict[Family, LoopbackSettings]

    def to_json(self) -> dict[str, object]:
        return {
            "schema": 1,
            "simulated": self.simulated,
            "caveat": SIMULATED_CAVEAT if self.simulated else None,
            "goal": self.plan.goal.value,
            "rounds": self.plan.rounds,
            "seconds_per_test": self.plan.measure.seconds,
            "configurations": [r.to_json() for r in self.results],
            "recommendation": self.recommendation.to_json(),
            "kept": self.kept,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "after": {f.value: s.to_json() for f, s in self.state_after.items()},
            "elapsed_seconds": round(self.seconds, 1),
        }


class _Channel:
    """Beats from a thread while the app measures, decisions from the caller; never interleaved."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="compare-beat", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(BEAT_EVERY_S):
            self.send(BEAT_MESSAGE)

    def send(self, data: bytes) -> None:
        with self._lock:
            self.conn.send_bytes(data)

    def receive(self, timeout_s: float) -> Ready | Step | Done:
        if not self.conn.poll(timeout_s):
            raise session.HelperError("The helper stopped answering.")
        try:
            return parse_session_message(self.conn.recv_bytes(MAX_MESSAGE_BYTES))
        except EOFError:
            raise session.HelperError("The helper ended without reporting; re-read to see the values.") from None
        except (ProtocolError, OSError) as exc:
            raise session.HelperError(f"The helper sent something unexpected ({exc}).") from None

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_workload(
    argv: Sequence[str], timeout_s: float = WORKLOAD_TIMEOUT_S, should_stop: Callable[[], bool] = lambda: False
) -> WorkloadRun:
    """Run the user's command (an argv, never a shell) with this process's rights and time it; it is killed at
    ``timeout_s`` or, within a tenth of a second, once ``should_stop`` says so (exit code None: stopped)."""
    started = time.perf_counter()
    try:
        process = subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )  # fmt: skip
    except OSError:
        return WorkloadRun(time.perf_counter() - started, 127)
    while True:
        left = started + timeout_s - time.perf_counter()
        try:
            code = process.wait(max(0.0, min(0.1, left)))
            return WorkloadRun(time.perf_counter() - started, code)
        except subprocess.TimeoutExpired:
            if left <= 0 or should_stop():
                process.kill()
                process.wait()
                return WorkloadRun(time.perf_counter() - started, None)


def parse_workload(text: str) -> tuple[str, ...]:
    """A command line typed as one string, split into an argv as a POSIX shell would quote it, but with
    backslashes kept (Windows paths); nothing is ever run through a shell. Raises ValidationError."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=False)
    lexer.whitespace_split = True
    lexer.escape = ""
    lexer.commenters = ""
    try:
        return tuple(lexer)
    except ValueError as exc:
        raise ValidationError(f"the command cannot be split into arguments ({exc})") from None


def runs_elevated() -> bool:
    """Whether this process runs as administrator (root elsewhere): the workload would run with those rights.
    Windows' answer fails safe (cannot tell: True), as process_is_elevated's does."""
    if sys.platform == "win32":
        from app.runners.factory import process_is_elevated

        return process_is_elevated()
    return hasattr(os, "geteuid") and os.geteuid() == 0


def comparison_configurations(
    current: Mapping[Family, LoopbackSettings],
    presets: Sequence[str],
    custom: Sequence[SettingsPatch] = (),
    *,
    info: MachineInfo | None,
    congestion: CongestionReading | None,
) -> list[Configuration]:
    """The configurations to compare: the current values first (the baseline), then each preset filled in as the
    window's preset buttons fill it (the configured machine's processors, the BBR2 rule), then each ``custom``
    patch over the current values ("custom 1", ...); duplicates are tried once. Raises ValidationError (nothing
    to compare, more than 8, an unknown preset)."""
    from app.usecases.helpdesk import fill_preset

    found = [Configuration("current", dict(current))]  # the baseline, always first
    for name in presets:
        if name == "current":
            continue
        try:
            found.append(Configuration(name, fill_preset(name, current, info, congestion).targets))
        except ValueError:
            raise ValidationError(f"no preset is called {name!r}") from None
    for number, patch in enumerate(custom, start=1):
        found.append(Configuration(f"custom {number}", {f: s.with_patch(patch) for f, s in current.items()}))
    unique: list[Configuration] = []
    for c in found:
        if all(dict(c.settings) != dict(u.settings) for u in unique):
            unique.append(c)
    if len(unique) < 2:
        raise ValidationError("nothing to compare: every configuration asked for equals the current values")
    if len(unique) > MAX_CONFIGURATIONS:
        raise ValidationError(f"a comparison takes at most {MAX_CONFIGURATIONS} configurations")
    return unique


def session_limit(plan: ComparePlan, count: int) -> int:
    """The helper's cap on the whole session, in seconds (from its start): the steps with room to spare, plus
    time to answer; past it the helper puts the original values back on its own."""
    per_step = 3 * (plan.measure.warmup_s + plan.measure.seconds) * len(plan.families) + 30
    return min(MAX_SESSION_S, round(per_step * count * plan.rounds + 120))


def compare(
    configurations: Sequence[Configuration],
    plan: ComparePlan,
    *,
    reader: NetshRunner,
    launcher: HelperLauncher,
    backend: HelperBackend,
    simulated: bool,
    decide: Decide,
    progress: Callable[[CompareProgress], None] = lambda _p: None,
    cancel: threading.Event | None = None,
    measure_once: MeasureOnce | None = None,
    workload_once: Callable[[Sequence[str]], WorkloadRun] | None = None,
    history: History | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> ComparisonReport:
    """Run the comparison; configuration 0 must be the current values (the baseline every other is judged by).

    ``progress`` is told each stage of each step (from this thread); ``cancel`` is checked between steps and
    before the answer is asked: once set, the helper puts the original values back and ComparisonCancelledError is
    raised. ``decide`` may block (the window waits for the user there) while this thread's beats keep the helper's
    session alive. This user's ``history`` gets the comparison's start (the values found, each configuration)
    before the helper starts, and its end, so a comparison cut short by a crash is found at the next start.

    Raises ValidationError (fewer than 2 or more than 8 configurations), ElevationCancelledError,
    HelperStartError, HelperError, TransactionBusyError (another session holds the machine), ComparisonStartError,
    ComparisonCancelledError (cancel, KeyboardInterrupt, or the channel broke: the helper puts the originals back
    on its own).
    """
    import secrets

    if not 2 <= len(configurations) <= MAX_CONFIGURATIONS:
        raise ValidationError(f"a comparison takes 2 to {MAX_CONFIGURATIONS} configurations")
    started = clock()
    stop = cancel or threading.Event()
    record = _Record(history, backend.name, configurations)
    authkey = secrets.token_bytes(32)
    try:
        listener = session.open_channel(authkey)
    except Exception as exc:
        record.finish(HistoryOutcome.FAILED, f"the channel could not be opened ({exc}); nothing was changed")
        raise
    args = [
        COMPARE_FLAG, *backend.args, "--address", listener.address, "--app-pid", str(os.getpid()),
        "--deadline-seconds", str(session_limit(plan, len(configurations))), "--keep-store", "persistent",
    ]  # fmt: skip
    for configuration in configurations:
        args += ["--config", configuration.helper_argument()]
    process: HelperProcess | None = None
    try:
        process = launcher.launch(args, authkey)
        conn = session.connect(listener, process, 120.0)
    except BaseException as exc:
        if process is not None:
            process.wait(10.0)
            process.close()
        cancelled = isinstance(exc, LoopbackTunerError) and _is_prompt_refused(exc)
        reason = str(exc) or type(exc).__name__  # KeyboardInterrupt says nothing of itself
        record.finish(HistoryOutcome.CANCELLED if cancelled else HistoryOutcome.FAILED, reason)
        raise
    finally:
        listener.close()
    channel = _Channel(conn)
    measure_fn = measure_once or (lambda families, p: _measure_default(families, p, stop.is_set))
    workload_fn = workload_once or (lambda argv: run_workload(argv, should_stop=stop.is_set))
    steps = _Steps(plan, configurations, progress, clock)
    ended_early: str | None = None
    try:
        report = _run(configurations, plan, channel, reader, simulated, decide, steps, stop, measure_fn, workload_fn)
    except KeyboardInterrupt:
        ended_early = "Stopped: the helper puts the original values back."
    except (session.HelperError, OSError) as exc:  # the helper ended the session (it reverts on its own)
        ended_early = f"The comparison ended early ({exc}); the original values are back."
    except _Cancelled as done:
        record.finish(HistoryOutcome(done.outcome.value), f"cancelled: {done.reason}")
        raise ComparisonCancelledError(done.message(), done.outcome) from None
    except ComparisonStartError as exc:
        record.finish(HistoryOutcome.FAILED, str(exc))
        raise
    finally:
        channel.stop()
        conn.close()
        process.wait(10.0)
        process.close()
    if ended_early is not None:
        record.finish_if_back(reader, "stopped: the helper put the original values back (checked)")
        raise ComparisonCancelledError(ended_early)
    report = dataclasses.replace(report, seconds=clock() - started)
    record.finish_report(report)
    return report


def compare_under_lock(lock_path: Path, *args: Any, **kwargs: Any) -> ComparisonReport:
    """:func:`compare` holding the transaction lock, so no trial or other comparison (a window, the command line)
    starts meanwhile and the next start's recovery leaves this entry alone; raises TransactionBusyError when another
    holds it, and whatever compare raises."""
    from app.storage.files import InterProcessLock, LockBusyError

    lock = InterProcessLock(lock_path)
    try:
        lock.acquire()
    except LockBusyError:
        raise session.TransactionBusyError(
            "Another Loopback Tuner (a window or the command line) is trying a change; finish it there first."
        ) from None
    try:
        return compare(*args, **kwargs)
    finally:
        lock.release()


def _is_prompt_refused(exc: LoopbackTunerError) -> bool:
    from app.elevation.launchers import ElevationCancelledError

    return isinstance(exc, ElevationCancelledError)


class _Record:
    """This user's history entry for one comparison: started before the helper, finished once (or left unfinished
    when the ending could not be checked: the next start judges it, as it does an interrupted trial)."""

    def __init__(self, history: History | None, backend_name: str, configurations: Sequence[Configuration]) -> None:
        self.history, self.ident = history, ""
        self.originals = dict(configurations[0].settings)  # configuration 0 is the values found at the start
        if history is not None:
            start = ComparisonStart(self.originals, tuple((c.label, dict(c.settings)) for c in configurations))
            self.ident, _ = history.record_started(Change(), backend_name, Store.PERSISTENT, start)

    def finish(
        self, outcome: HistoryOutcome, reason: str, after: dict[str, object] | None = None, kept: Change | None = None
    ) -> None:
        if self.history is not None and self.ident:
            self.history.record_finished(self.ident, outcome, reason, after, requested=kept)
            self.ident = ""

    def finish_if_back(self, reader: NetshRunner, reason: str) -> None:
        """A session the helper ended on its own: recorded as reverted only when a fresh read shows the originals."""
        if self.history is None:
            return
        now = read_machine(reader).settings()
        if all(now.get(f) == s for f, s in self.originals.items()):
            self.finish(HistoryOutcome.REVERTED, reason, {f.value: s.to_json() for f, s in now.items()})

    def finish_report(self, report: ComparisonReport) -> None:
        after: dict[str, object] = {f.value: s.to_json() for f, s in report.state_after.items()}
        if report.kept is None:
            back = report.outcome is Outcome.REVERTED
            reason = f"the original values are back ({report.reason})" if back else report.reason
            self.finish(HistoryOutcome(report.outcome.value), reason, after)
            return
        kept = report.results[report.kept].configuration
        change = Change(
            tuple(FamilyChange(f, self.originals[f], s) for f, s in kept.settings.items() if f in self.originals)
        )
        self.finish(HistoryOutcome(report.outcome.value), f"kept by a comparison ({kept.label})", after, change)


def _measure_default(
    families: Sequence[Family], plan: MeasurePlan, should_stop: Callable[[], bool]
) -> list[FamilyMeasurement]:
    return list(measure(families, plan, simulated=False, should_stop=should_stop).families)


class _Steps:
    """Progress for each stage of each step, with the time left from the steps timed so far."""

    def __init__(
        self,
        plan: ComparePlan,
        configurations: Sequence[Configuration],
        report: Callable[[CompareProgress], None],
        clock: Callable[[], float],
    ) -> None:
        self.plan, self.configurations, self.report, self.clock = plan, configurations, report, clock
        self.total = plan.rounds * len(configurations)
        self.done = 0
        self.first_started: float | None = None
        self.step_started = 0.0
        self.position = (0, 0)

    def _per_step(self) -> float:
        if self.done and self.first_started is not None:
            return (self.step_started - self.first_started) / self.done
        return self.plan.measure.seconds_per_run * len(self.plan.families) + STEP_OVERHEAD_S

    def begin(self, round_index: int, index: int) -> None:
        now = self.clock()
        if self.first_started is None:
            self.first_started = now
        self.done = round_index * len(self.configurations) + index
        self.step_started, self.position = now, (round_index, index)
        self.stage(Stage.APPLYING, now)

    def stage(self, stage: Stage, now: float | None = None) -> None:
        round_index, index = self.position
        now = self.clock() if now is None else now
        left = self._per_step() * (self.total - self.done) - (now - self.step_started)
        label, count = self.configurations[index].label, len(self.configurations)
        self.report(CompareProgress(round_index + 1, self.plan.rounds, index, count, label, stage, max(0.0, left)))


class _Cancelled(Exception):  # noqa: N818 - internal: carries how the cancel ended to compare()
    def __init__(self, outcome: Outcome, reason: str) -> None:
        super().__init__(reason)
        self.outcome, self.reason = outcome, reason

    def message(self) -> str:
        if self.outcome is Outcome.REVERTED:
            return "Cancelled: the original values are back."
        return f"Cancelled, but putting the original values back failed ({self.reason}); check the values."


def _revert_on_cancel(channel: _Channel) -> _Cancelled:
    channel.send(REVERT_MESSAGE)
    done = channel.receive(STEP_TIMEOUT_S)
    if not isinstance(done, Done):
        raise session.HelperError("The helper answered out of turn.")
    return _Cancelled(done.outcome, done.reason)


def _run(
    configurations: Sequence[Configuration],
    plan: ComparePlan,
    channel: _Channel,
    reader: NetshRunner,
    simulated: bool,
    decide: Decide,
    steps: _Steps,
    stop: threading.Event,
    measure_fn: MeasureOnce,
    workload_fn: Callable[[Sequence[str]], WorkloadRun],
) -> ComparisonReport:
    ready = channel.receive(STEP_TIMEOUT_S)
    if not isinstance(ready, Ready) or not ready.ok:
        why = ready.message if isinstance(ready, Ready) else "it answered out of turn"
        raise ComparisonStartError(f"The helper could not start the comparison ({why}); nothing was changed.")
    runs: list[dict[Family, list[RunResult]]] = [{f: [] for f in plan.families} for _ in configurations]
    problems: list[list[str]] = [[] for _ in configurations]
    workload: list[list[WorkloadRun]] = [[] for _ in configurations]
    for round_index in range(plan.rounds):
        for index, configuration in enumerate(configurations):
            if stop.is_set():
                raise _revert_on_cancel(channel)
            steps.begin(round_index, index)
            channel.send(NEXT_MESSAGE)
            step = channel.receive(STEP_TIMEOUT_S)
            if not isinstance(step, Step) or step.index != index:
                raise session.HelperError("The helper answered out of turn.")
            if not step.ok:
                problems[index].append(f"round {round_index + 1}: could not be applied: {step.message}")
                continue
            steps.stage(Stage.VERIFYING)
            state = read_machine(reader)  # the truth is a fresh unelevated read
            found = list(mismatches(state, dict(configuration.settings)))
            if found:
                problems[index].append(
                    f"round {round_index + 1}: did not stick ({'; '.join(m.describe() for m in found)}); not measured"
                )
                continue
            steps.stage(Stage.MEASURING)
            measured = measure_fn(plan.families, plan.measure)
            if stop.is_set():  # what a cancel cut short is not a figure
                raise _revert_on_cancel(channel)
            for fm in measured:
                if fm.runs and fm.error is None:
                    runs[index][fm.family] += fm.runs
                elif fm.error:
                    problems[index].append(f"round {round_index + 1}: {fm.family.label} not measured: {fm.error}")
            for _ in range(plan.workload_runs if plan.workload else 0):
                steps.stage(Stage.WORKLOAD)
                workload[index].append(workload_fn(plan.workload))
                if stop.is_set():
                    raise _revert_on_cancel(channel)
    if stop.is_set():
        raise _revert_on_cancel(channel)
    results = tuple(
        ConfigurationResult(
            configuration,
            tuple(FamilyMeasurement(f, tuple(runs[i][f])) for f in plan.families if runs[i][f]),
            tuple(problems[i]),
            tuple(workload[i]),
        )
        for i, configuration in enumerate(configurations)
    )
    recommendation = recommend(results, plan.goal, simulated=simulated)
    chosen = decide(recommendation, results)
    channel.send(keep_message(chosen) if chosen is not None else REVERT_MESSAGE)
    done = channel.receive(STEP_TIMEOUT_S)
    if not isinstance(done, Done):
        raise session.HelperError("The helper answered out of turn.")
    after = read_machine(reader).settings()
    kept = chosen if done.outcome is Outcome.KEPT else None
    return ComparisonReport(plan, results, recommendation, kept, done.outcome, done.reason, simulated, 0.0, after)
