"""The measure use case: run the loopback benchmark on each family asked for, runs interleaved (ipv4 ipv6 ipv4
...), and return a typed Measurement. Synchronous and Qt-free: the command line calls it directly, the window
would run it with asyncio.to_thread. Each run starts its own server and client processes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from app.domain.measurements import FamilyMeasurement, Measurement, MeasurePlan, RunResult, interleaved
from app.domain.model import Family, LoopbackSettings

RunOnce = Callable[[Family, MeasurePlan], RunResult]
STOPPED = "stopped before every run was taken"


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a measurement is: run ``index`` (from 1) of ``total``, on ``family``."""

    index: int
    total: int
    family: Family


def _default_run(family: Family, plan: MeasurePlan, should_stop: Callable[[], bool]) -> RunResult:
    from app.benchmark.pair import run_pair

    return run_pair(family, plan, should_stop=should_stop)


def measure(
    families: Sequence[Family],
    plan: MeasurePlan,
    *,
    simulated: bool,
    settings: Mapping[Family, LoopbackSettings] | None = None,
    run_once: RunOnce | None = None,
    progress: Callable[[Progress], None] = lambda _p: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> Measurement:
    """Measure ``families`` with ``plan``: ``plan.runs`` runs each, interleaved so drift spreads over all of them.

    A family whose run fails keeps the runs it completed and the error, and is not run again; the others go on.
    ``settings`` are the active values read just before (recorded with the results); ``simulated`` marks the
    result as taken on the simulated machine, whose settings do not affect this computer's loopback.
    ``should_stop`` is asked before each run and, by the real workers, during it (their processes are then killed
    within a quarter of a second): a stopped measurement returns what it has, with an error saying so.
    ``run_once`` replaces the real pair of processes (tests). Raises nothing for a failed run (see ``error``).
    """
    from app.benchmark.pair import MeasureError

    run = run_once or (lambda family, plan: _default_run(family, plan, should_stop))
    chosen = tuple(dict.fromkeys(families))
    order = [Family(label) for label in interleaved([f.value for f in chosen], plan.runs)]
    runs: dict[Family, list[RunResult]] = {f: [] for f in chosen}
    errors: dict[Family, str] = {}
    taken: list[Family] = []
    for index, family in enumerate(order, start=1):
        if family in errors:
            continue
        if should_stop():
            for f in chosen:
                errors.setdefault(f, STOPPED)
            break
        progress(Progress(index, len(order), family))
        try:
            runs[family].append(run(family, plan))
            taken.append(family)
        except MeasureError as exc:
            if should_stop():
                for f in chosen:
                    errors.setdefault(f, STOPPED)
                break
            errors[family] = str(exc)
    known = settings or {}
    results = tuple(FamilyMeasurement(f, tuple(runs[f]), errors.get(f), known.get(f)) for f in chosen)
    return Measurement(plan, results, tuple(taken), simulated)
