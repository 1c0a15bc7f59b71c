"""Runs started before the read that takes them (issue 16, the command line's show): the same runs, the same
results, each taken once; and the composition root starts them only when a read would run them."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.domain.commands import Argv, machine_read
from app.domain.model import Family, Store
from app.domain.runs import CommandResult, NetshMissingError
from app.runners.early import start_read
from app.runners.factory import Backend, BackendKind
from app.runners.prefetch import PrefetchingRunner
from app.simulator.profile import SimProfile
from app.simulator.store import SimStateFile
from app.usecases.reading import read_machine
from app.wiring import logged_reader
from tests.conftest import SUBPROCESS_TIMEOUT_S, MakeState

A: Argv = ("interface", "ipv4", "show", "global", "store=active")
B: Argv = ("interface", "ipv6", "show", "global", "store=active")


class GatedRunner:
    """Records every run as it starts, and answers only once ``gate`` is open (no sleeps: events)."""

    description = "gated"

    def __init__(self, failing: Argv | None = None) -> None:
        self.started: list[Argv] = []
        self.gate = threading.Event()
        self.all_started = threading.Event()
        self.expected = 0
        self.failing = failing
        self._lock = threading.Lock()

    def run_blocking(self, argv: Argv) -> CommandResult:
        with self._lock:
            self.started.append(argv)
            if len(self.started) >= self.expected:
                self.all_started.set()
        assert self.gate.wait(SUBPROCESS_TIMEOUT_S)
        if argv == self.failing:
            raise NetshMissingError("netsh could not be started (test)")
        return CommandResult(argv, 0, f"run {len(self.started)}", "", 0.0)


def test_the_runs_start_when_made_and_each_result_is_taken_once() -> None:
    inner = GatedRunner()
    inner.expected = 2
    runner = PrefetchingRunner(inner, [A, B])
    assert inner.all_started.wait(SUBPROCESS_TIMEOUT_S)  # both running before anyone asked
    assert sorted(inner.started) == sorted([A, B])
    inner.gate.set()
    first = runner.run_blocking(A)
    assert first.argv == A and first.exit_code == 0
    assert len(inner.started) == 2  # the started run's result, not a new run
    again = runner.run_blocking(A)  # taken already: asking again runs it again
    assert inner.started.count(A) == 2 and again.argv == A
    other: Argv = ("interface", "ipv4", "show", "global", "store=persistent")
    assert runner.run_blocking(other).argv == other  # never started early: run now
    assert runner.run_blocking(B).argv == B and inner.started.count(B) == 1
    assert runner.description == "gated"


def test_a_run_that_raised_raises_for_whoever_takes_it() -> None:
    inner = GatedRunner(failing=A)
    inner.gate.set()
    runner = PrefetchingRunner(inner, [A])
    with pytest.raises(NetshMissingError, match="could not be started"):
        runner.run_blocking(A)


def test_a_read_through_the_started_runs_runs_netsh_four_times_with_the_same_values(
    make_state: MakeState,
) -> None:
    state = make_state()
    from app.simulator.runner import SimulatedRunner

    real = SimulatedRunner(state)

    class Counting(GatedRunner):
        def run_blocking(self, argv: Argv) -> CommandResult:
            super().run_blocking(argv)
            return real.run_blocking(argv)

    counting = Counting()
    counting.gate.set()
    early = read_machine(PrefetchingRunner(counting, machine_read()))
    assert sorted(counting.started) == sorted(machine_read()) and len(counting.started) == 4
    assert early == read_machine(real)
    assert machine_read() == [
        ("interface", family.value, "show", "global", f"store={store.value}")
        for family in Family
        for store in (Store.ACTIVE, Store.PERSISTENT)
    ]


def test_start_read_shares_the_state_object_and_is_taken_by_a_logged_read(make_state: MakeState) -> None:
    state = make_state()
    started = start_read(Backend(BackendKind.SIMULATED, state=state.path))
    assert started is not None and started.simulated is not None
    assert started.simulated.path == state.path
    assert started.build() == SimProfile().build
    read = read_machine(logged_reader(started.runner, started.build))
    assert read.settings() == read_machine(logged_reader(started.runner, started.build)).settings()


def test_start_read_starts_nothing_on_a_build_without_the_loopback_settings(make_state: MakeState) -> None:
    state = make_state(build=17134)
    assert start_read(Backend(BackendKind.SIMULATED, state=state.path)) is None


def test_start_read_starts_nothing_for_a_replayed_capture(tmp_path: Path) -> None:
    assert start_read(Backend(BackendKind.CAPTURE, capture=tmp_path / "capture.txt")) is None


def test_a_corrupt_state_file_found_by_the_early_read_is_still_reported(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{ not json", encoding="utf-8")
    started = start_read(Backend(BackendKind.SIMULATED, state=path))
    assert started is not None and isinstance(started.simulated, SimStateFile)
    assert any("unreadable" in notice for notice in started.simulated.notices)  # build_services gets this object
