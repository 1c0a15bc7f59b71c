"""Figures 4 and 6, in this process with the simulated runner: read latency, and the work one change costs."""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from counting_helper import LOG_VARIABLE
from figures import Budget, Figure, Stats, progress
from sim_setup import other_mode, require_readable, simulated_backend

from app.domain.commands import Argv
from app.domain.model import Change, Family
from app.domain.outcomes import Outcome
from app.domain.runs import CommandResult
from app.elevation.launchers import SimulatedUacLauncher
from app.paths import AppPaths
from app.runners.base import NetshRunner
from app.runners.factory import make_runner, sim_state
from app.simulator.profile import SimProfile, UacAnswer
from app.storage.history import History
from app.usecases.reading import read_machine
from app.usecases.trials import TrialService
from app.wiring import helper_backend

HERE = Path(__file__).resolve().parent
READS_PER_FULL_READ = 2 * len(Family)  # both stores of every family


# --- 4. read latency ----------------------------------------------------------------------------------------
def read_latency(folder: Path, runs: int, latency_ms: int) -> list[Figure]:
    """``read_machine(runner)`` (2 families x 2 stores, in threads) while every simulated netsh run takes L."""
    progress(f"read latency, {runs} runs")
    runner = make_runner(simulated_backend(folder, SimProfile(latency_ms=latency_ms)))

    def measure() -> list[float]:
        require_readable(read_machine(runner))  # warm-up
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            state = read_machine(runner)
            samples.append((time.perf_counter() - started) * 1000)
            require_readable(state)
        return samples

    return [
        Figure(
            "read_ms",
            f"4 read_machine, 2 families x 2 stores, L = {latency_ms} ms",
            "ms",
            Stats.of(measure()),
            Budget(1.2 * latency_ms, f"1.2 x {latency_ms} ms: the {READS_PER_FULL_READ} reads run at once"),
        )
    ]


# --- 6. work per change -------------------------------------------------------------------------------------
class CountingRunner:
    """A NetshRunner that records every command before passing it on."""

    def __init__(self, inner: NetshRunner) -> None:
        self.inner = inner
        self.commands: list[Argv] = []

    @property
    def description(self) -> str:
        return self.inner.description

    def run_blocking(self, argv: Argv) -> CommandResult:
        self.commands.append(tuple(argv))
        return self.inner.run_blocking(argv)


def _verb_and_store(argv: Argv) -> tuple[str, str]:
    """("show" | "set", "active" | "persistent") of a ``netsh interface ipvN show|set global ...`` argv."""
    verb = argv[2] if len(argv) > 2 else "?"
    default = "persistent" if verb == "set" else "active"  # netsh's own defaults when store= is left out
    return verb, next((a.split("=", 1)[1] for a in argv if a.startswith("store=")), default)


@dataclass(frozen=True)
class WorkCounts:
    """What one apply-and-keep of a change to ``families`` families cost."""

    families: int
    prompts: int
    helpers_started: int
    app_reads_after_apply: int  # the app's fresh read while the trial runs
    app_reads_after_keep: int  # the app's fresh read after the helper kept the change
    helper_reads: int  # the helper's own reads of the values it may have to restore (active, then saved)
    sets_active: int
    sets_persistent: int
    sets_in_result: int  # set commands the TransactionResult reports (should be all the helper ran)
    other: tuple[str, ...] = ()  # any command not accounted for above

    @property
    def reads(self) -> int:
        return self.app_reads_after_apply + self.app_reads_after_keep + self.helper_reads

    def to_json(self) -> dict[str, object]:
        return {**dataclasses.asdict(self), "reads": self.reads}


def _count_changes(folder: Path, runs: int) -> list[WorkCounts]:
    """Apply-and-keep a change to both families through TrialService, ``runs`` times, counting everything.

    The session is not elevated and the simulated UAC approves, so the launcher has to prompt. The reader is
    wrapped to count the app's reads; the helper is started as counting_helper.py, which logs its commands, so
    its reads (which TransactionResult.results leaves out) are counted too.
    """
    paths = AppPaths(data=folder / "data", logs=folder / "logs")
    backend = simulated_backend(folder, SimProfile(elevated=False, uac=UacAnswer.APPROVE))
    log = folder / "helper-commands.log"
    reader = CountingRunner(make_runner(backend))
    helper_program = [sys.executable, "-I", str(HERE / "counting_helper.py")]
    launcher = SimulatedUacLauncher(sim_state(backend), program=helper_program)
    service = TrialService(reader, launcher, helper_backend(backend), History(paths.history), paths.transaction_lock)

    def one() -> WorkCounts:
        state = read_machine(reader)  # the window's own read before the user edits: not part of the change
        require_readable(state)
        now = state.settings()
        change = Change.between(
            now, {f: dataclasses.replace(s, execution_mode=other_mode(s.execution_mode)) for f, s in now.items()}
        )
        log.write_text("", encoding="utf-8")
        prompts, started, before = launcher.prompts, launcher.launched, len(reader.commands)
        trial = service.begin(change, seconds=5)
        trial.verify()  # what the window and the CLI do during the countdown
        after_apply = len(reader.commands)
        result = trial.keep()
        after_keep = len(reader.commands)
        if result.outcome is not Outcome.KEPT or result.mismatches:
            raise RuntimeError(f"the change was not kept cleanly: {result.outcome.value}: {result.reason}")
        helper = [tuple(line.split("\t")) for line in log.read_text(encoding="utf-8").splitlines() if line]
        kinds: Counter[tuple[str, str]] = Counter(_verb_and_store(argv) for argv in helper)
        other = [" ".join(a) for a in reader.commands[before:] if _verb_and_store(a)[0] != "show"]
        other += [" ".join(a) for a in helper if _verb_and_store(a)[0] not in ("show", "set")]
        return WorkCounts(
            families=len(change.families),
            prompts=launcher.prompts - prompts,
            helpers_started=launcher.launched - started,
            app_reads_after_apply=after_apply - before,
            app_reads_after_keep=after_keep - after_apply,
            helper_reads=kinds["show", "active"] + kinds["show", "persistent"],
            sets_active=kinds["set", "active"],
            sets_persistent=kinds["set", "persistent"],
            sets_in_result=sum(1 for r in result.results if _verb_and_store(r.argv)[0] == "set"),
            other=tuple(other),
        )

    os.environ[LOG_VARIABLE] = str(log)  # inherited by the helper process
    try:
        return [one() for _ in range(runs)]
    finally:
        os.environ.pop(LOG_VARIABLE, None)


def work_per_change(folder: Path, runs: int) -> list[Figure]:
    progress(f"work per change, {runs} runs")
    counts = _count_changes(folder, runs)
    first, families = counts[0], counts[0].families
    varied = any(c != first for c in counts)
    runs_json: dict[str, object] = {"runs": [c.to_json() for c in counts]}

    def row(key: str, label: str, values: Sequence[int], budget: Budget, note: str = "") -> Figure:
        return Figure(key, label, "", Stats.of(values), budget, note=note, details=runs_json if varied else {})

    unexpected = f"; unexpected commands: {', '.join(first.other)}" if first.other else ""
    return [
        row(
            "work_prompts",
            f"6 Work per change ({families} families): elevation prompts",
            [c.prompts for c in counts],
            Budget(1),
            f"helper processes started: {first.helpers_started}",
        ),
        row(
            "work_sets_active",
            "  netsh set, active store (the trial)",
            [c.sets_active for c in counts],
            Budget(families, "1 per changed family"),
        ),
        row(
            "work_sets_persistent",
            "  netsh set, persistent store (keep)",
            [c.sets_persistent for c in counts],
            Budget(families, "1 per changed family"),
            f"TransactionResult.results holds {first.sets_in_result} sets in all",
        ),
        row(
            "work_reads",
            "  netsh show (reads)",
            [c.reads for c in counts],
            Budget(
                2 * READS_PER_FULL_READ + 2 * families,
                f"{READS_PER_FULL_READ} to verify the trial + {READS_PER_FULL_READ} after keep"
                f" + {families} by the helper before the trial + {families} saved values it reads before the keep"
                " (to put them back if saving fails)",
            ),
            f"app {first.app_reads_after_apply} verifying the trial + {first.app_reads_after_keep} after keep, "
            f"helper {first.helper_reads}" + unexpected + ("; counts varied between runs" if varied else ""),
        ),
    ]
