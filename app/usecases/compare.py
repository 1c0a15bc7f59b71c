"""The compare use case: several configurations tried under one elevated helper session (one prompt), each
verified by a fresh unelevated read and measured, in interleaved rounds; then one kept or the originals put back.
Synchronous and Qt-free (the command line calls it directly; the window would run it in a worker thread)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.domain.comparisons import (
    Configuration,
    ConfigurationResult,
    Goal,
    Recommendation,
    WorkloadRun,
    recommend,
)
from app.domain.errors import LoopbackTunerError
from app.domain.measurements import SIMULATED_CAVEAT, FamilyMeasurement, MeasurePlan, RunResult
from app.domain.model import Change, Family, FamilyChange, LoopbackSettings, Store
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

    from app.elevation.backend_args import HelperBackend
    from app.elevation.launchers import HelperLauncher, HelperProcess
    from app.runners.base import NetshRunner
    from app.storage.history import History

BEAT_EVERY_S = 1.0
STEP_TIMEOUT_S = 120.0
WORKLOAD_TIMEOUT_S = 600.0
MAX_SESSION_S = 3600
Decide = Callable[[Recommendation, Sequence[ConfigurationResult]], int | None]  # the index to keep, or None


class ComparisonStartError(LoopbackTunerError):
    """The helper could not read the values it would put back: nothing was changed."""


class ComparisonCancelledError(LoopbackTunerError):
    """The comparison was stopped (or the helper's heartbeat was lost): the original values are back."""


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


def run_workload(argv: Sequence[str], timeout_s: float = WORKLOAD_TIMEOUT_S) -> WorkloadRun:
    """Run the user's command (an argv, never a shell) with this process's rights and time it."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            timeout=timeout_s, check=False,
        )  # fmt: skip
        code: int | None = done.returncode
    except subprocess.TimeoutExpired:
        code = None
    except OSError:
        code = 127
    return WorkloadRun(time.perf_counter() - started, code)


def _session_limit(plan: ComparePlan, count: int) -> int:
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
    progress: Callable[[str], None] = lambda _t: None,
    measure_once: Callable[[Sequence[Family], MeasurePlan], list[FamilyMeasurement]] | None = None,
    workload_once: Callable[[Sequence[str]], WorkloadRun] = run_workload,
    history: History | None = None,
) -> ComparisonReport:
    """Run the comparison; configuration 0 must be the current values (the baseline every other is judged by).

    Raises ValidationError (fewer than 2 configurations), ElevationCancelledError, HelperStartError, HelperError,
    TransactionBusyError (another session holds the machine), ComparisonCancelledError (KeyboardInterrupt, or the
    channel broke: the helper puts the originals back on its own).
    """
    import secrets

    from app.domain.errors import ValidationError

    if not 2 <= len(configurations) <= 8:
        raise ValidationError("a comparison takes 2 to 8 configurations")
    started = time.perf_counter()
    authkey = secrets.token_bytes(32)
    listener = session.open_channel(authkey)
    args = [
        COMPARE_FLAG, *backend.args, "--address", listener.address, "--app-pid", str(os.getpid()),
        "--deadline-seconds", str(_session_limit(plan, len(configurations))), "--keep-store", "persistent",
    ]  # fmt: skip
    for configuration in configurations:
        args += ["--config", configuration.helper_argument()]
    process: HelperProcess | None = None
    try:
        process = launcher.launch(args, authkey)
        conn = session.connect(listener, process, 120.0)
    except BaseException:
        if process is not None:
            process.wait(10.0)
            process.close()
        raise
    finally:
        listener.close()
    channel = _Channel(conn)
    hooks = (measure_once, workload_once)
    try:
        report = _run(configurations, plan, channel, reader, simulated, decide, progress, started, *hooks)
    except KeyboardInterrupt:
        raise ComparisonCancelledError("Stopped: the helper puts the original values back.") from None
    except (session.HelperError, OSError) as exc:  # the helper ended the session (it reverts on its own)
        raise ComparisonCancelledError(f"The comparison ended early ({exc}); the original values are back.") from None
    finally:
        channel.stop()
        conn.close()
        process.wait(10.0)
        process.close()
    if history is not None and report.kept is not None:
        _record_kept(history, backend.name, report)
    return report


def _record_kept(history: History, backend_name: str, report: ComparisonReport) -> None:
    """This user's history gets the kept configuration as one finished change (so History can revert it)."""
    kept = report.results[report.kept or 0].configuration
    before = dict(report.results[0].configuration.settings)  # configuration 0 is the values found at the start
    change = Change(
        tuple(FamilyChange(f, before[f], s) for f, s in kept.settings.items() if f in before and before[f] != s)
    )
    if change.is_empty:
        return
    ident, _ = history.record_started(change, backend_name, Store.PERSISTENT)
    after: dict[str, object] = {f.value: s.to_json() for f, s in report.state_after.items()}
    history.record_finished(ident, HistoryOutcome(report.outcome.value), f"kept by a comparison ({kept.label})", after)


def _measure_default(families: Sequence[Family], plan: MeasurePlan) -> list[FamilyMeasurement]:
    return list(measure(families, plan, simulated=False).families)


def _run(
    configurations: Sequence[Configuration],
    plan: ComparePlan,
    channel: _Channel,
    reader: NetshRunner,
    simulated: bool,
    decide: Decide,
    progress: Callable[[str], None],
    started: float,
    measure_once: Callable[[Sequence[Family], MeasurePlan], list[FamilyMeasurement]] | None,
    workload_once: Callable[[Sequence[str]], WorkloadRun],
) -> ComparisonReport:
    ready = channel.receive(STEP_TIMEOUT_S)
    if not isinstance(ready, Ready) or not ready.ok:
        why = ready.message if isinstance(ready, Ready) else "it answered out of turn"
        raise ComparisonStartError(f"The helper could not start the comparison ({why}); nothing was changed.")
    measure_fn = measure_once or _measure_default
    runs: list[dict[Family, list[RunResult]]] = [{f: [] for f in plan.families} for _ in configurations]
    problems: list[list[str]] = [[] for _ in configurations]
    workload: list[list[WorkloadRun]] = [[] for _ in configurations]
    for round_index in range(plan.rounds):
        for index, configuration in enumerate(configurations):
            progress(f"round {round_index + 1} of {plan.rounds}: configuration {index + 1} ({configuration.label})")
            channel.send(NEXT_MESSAGE)
            step = channel.receive(STEP_TIMEOUT_S)
            if not isinstance(step, Step) or step.index != index:
                raise session.HelperError("The helper answered out of turn.")
            if not step.ok:
                problems[index].append(f"round {round_index + 1}: could not be applied: {step.message}")
                continue
            state = read_machine(reader)  # the truth is a fresh unelevated read
            found = list(mismatches(state, dict(configuration.settings)))
            if found:
                problems[index].append(
                    f"round {round_index + 1}: did not stick ({'; '.join(m.describe() for m in found)}); not measured"
                )
                continue
            for fm in measure_fn(plan.families, plan.measure):
                if fm.runs and fm.error is None:
                    runs[index][fm.family] += fm.runs
                elif fm.error:
                    problems[index].append(f"round {round_index + 1}: {fm.family.label} not measured: {fm.error}")
            for _ in range(plan.workload_runs if plan.workload else 0):
                workload[index].append(workload_once(plan.workload))
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
    return ComparisonReport(
        plan, results, recommendation, kept, done.outcome, done.reason, simulated, time.perf_counter() - started, after
    )
