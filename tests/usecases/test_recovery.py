"""An unfinished trial is checked against the simulated machine before anything is recorded, and under the lock."""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.cli_parts.recovery import restore_commands
from app.domain.model import Change, ExecutionMode, Family, FamilyChange, LoopbackSettings, Store
from app.domain.runs import CommandResult
from app.elevation.machine_lock import FileMachineLock, sim_machine_lock_path
from app.paths import AppPaths
from app.runners.factory import Backend, BackendKind, make_runner
from app.simulator.machine import SIMULATED_INITIAL, SimulatedMachine
from app.simulator.store import SimStateFile
from app.storage.files import InterProcessLock
from app.storage.history import INTERRUPTED, History
from app.usecases.recovery import REASONS, Finding, Recovery, recover_interrupted
from tests.conftest import MakeState, RunCli, machine_values

INLINE = LoopbackSettings(ExecutionMode.INLINE, 4, True)
SIX = LoopbackSettings(ExecutionMode.ADAPTIVE, 6, False)
CHANGE = Change((FamilyChange(Family.IPV4, SIMULATED_INITIAL, INLINE),))
BOTH = Change((FamilyChange(Family.IPV4, SIMULATED_INITIAL, INLINE), FamilyChange(Family.IPV6, SIMULATED_INITIAL, SIX)))


def put(
    state: SimStateFile, active: dict[Family, LoopbackSettings], persistent: dict[Family, LoopbackSettings]
) -> None:
    def apply(machine: SimulatedMachine) -> None:
        machine.active.update(active)
        machine.persistent.update(persistent)

    state.update(apply)


def recover(state: SimStateFile, paths: AppPaths, history: History | None = None) -> Recovery:
    reader = make_runner(Backend(BackendKind.SIMULATED, state=state.path))
    return recover_interrupted(history or History(paths.history), paths.transaction_lock, reader)


def finished_reasons(paths: AppPaths) -> list[tuple[str | None, str]]:
    return [(e.outcome, e.reason) for e in History(paths.history).load()[0]]


def test_a_trial_still_in_effect_is_reported_with_the_change_that_puts_the_values_back(
    make_state: MakeState, paths: AppPaths
) -> None:
    state = make_state()
    History(paths.history).record_started(CHANGE, "simulated", Store.PERSISTENT)
    put(state, {Family.IPV4: INLINE}, {})  # the helper died before reverting; the trial was never kept
    (found,) = recover(state, paths).found
    assert (found.finding, found.restore, found.restore_store) == (
        Finding.STILL_APPLIED,
        CHANGE.inverse(),
        Store.ACTIVE,
    )
    assert found.families == (Family.IPV4,)
    assert finished_reasons(paths) == [(INTERRUPTED, REASONS[Finding.STILL_APPLIED])]
    assert machine_values(state)[0][Family.IPV4] == INLINE  # recovery itself changes nothing


def test_a_trial_kept_into_the_saved_values_is_put_back_in_both_stores(make_state: MakeState, paths: AppPaths) -> None:
    state = make_state()
    History(paths.history).record_started(BOTH, "simulated", Store.PERSISTENT)
    after = {Family.IPV4: INLINE, Family.IPV6: SIX}
    put(state, after, after)  # kept, then the app died before recording it
    (found,) = recover(state, paths).found
    assert (found.finding, found.restore_store) == (Finding.STILL_APPLIED, Store.PERSISTENT)
    assert restore_commands(found, ["--state", "m.json"]) == [
        ["--state", "m.json", "set", "--family", "ipv4", "--mode", "adaptive", "--store", "persistent"],
        [
            "--state",
            "m.json",
            "set",
            "--family",
            "ipv6",
            "--workers",
            "4",
            "--large-mtu",
            "on",
            "--store",
            "persistent",
        ],
    ]


def test_a_trial_its_helper_reverted_is_recorded_as_checked(make_state: MakeState, paths: AppPaths) -> None:
    state = make_state()
    History(paths.history).record_started(CHANGE, "simulated", Store.ACTIVE)
    (found,) = recover(state, paths).found
    assert (found.finding, found.restore) == (Finding.REVERTED, Change())
    assert finished_reasons(paths) == [
        (INTERRUPTED, "the app ended during the trial; reverted by its helper (checked)")
    ]


def test_values_that_match_neither_side_are_changed_since(make_state: MakeState, paths: AppPaths) -> None:
    state = make_state()
    History(paths.history).record_started(CHANGE, "simulated", Store.ACTIVE)
    put(state, {Family.IPV4: LoopbackSettings(ExecutionMode.WORKER, 4, True)}, {})
    (found,) = recover(state, paths).found
    assert found.finding is Finding.CHANGED_SINCE
    assert finished_reasons(paths) == [(INTERRUPTED, REASONS[Finding.CHANGED_SINCE])]


class NoReads:
    description = "must not be run"

    def run_blocking(self, argv: Any) -> CommandResult:
        raise AssertionError(f"read the machine for a record it cannot check: {argv}")


def test_an_old_record_without_the_store_is_not_compared(paths: AppPaths) -> None:
    History(paths.history).record_started(CHANGE, "netsh")  # written before records kept the store
    recovery = recover_interrupted(History(paths.history), paths.transaction_lock, NoReads())  # type: ignore[arg-type]
    ((found),) = recovery.found
    assert found.finding is Finding.UNCHECKED
    assert finished_reasons(paths) == [(INTERRUPTED, "the app ended during the trial; the values could not be checked")]


def test_a_trial_running_in_another_instance_is_left_alone(make_state: MakeState, paths: AppPaths) -> None:
    state = make_state()
    History(paths.history).record_started(CHANGE, "simulated", Store.ACTIVE)
    other = InterProcessLock(paths.transaction_lock)
    other.acquire()
    try:
        assert recover(state, paths).found == ()
    finally:
        other.release()
    assert finished_reasons(paths) == [(None, "")]


def after_first_read(path: Path, action: Callable[[], object]) -> Path:
    """``path``, but its first ``read_bytes`` runs ``action`` after reading: another instance acting in between."""
    done: list[bool] = []

    class Hooked(type(path)):  # type: ignore[misc]
        def read_bytes(self) -> bytes:
            data = super().read_bytes()
            if not done:
                done.append(True)
                action()
            return data

    return Hooked(path)


def test_recovery_reloads_under_the_lock_so_another_instances_finding_stands(
    make_state: MakeState, paths: AppPaths
) -> None:
    state = make_state()
    History(paths.history).record_started(CHANGE, "simulated", Store.ACTIVE)
    others: list[Recovery] = []

    def another_instance() -> None:  # between our first look and our lock: it checks and records the entry
        others.append(recover(state, paths))
        put(state, {Family.IPV4: INLINE}, {})  # then someone applies the same values by hand

    ours = recover(state, paths, History(after_first_read(paths.history, another_instance)))
    assert [f.finding for f in others[0].found] == [Finding.REVERTED]
    assert ours.found == ()  # not judged twice, and not misreported as still applied
    assert finished_reasons(paths) == [(INTERRUPTED, REASONS[Finding.REVERTED])]
    lines = paths.history.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2  # one started, one finished


def test_the_printed_command_puts_the_recorded_values_back(
    run_cli: RunCli, make_state: MakeState, paths: AppPaths
) -> None:
    state = make_state(elevated=True)
    History(paths.history).record_started(CHANGE, "simulated", Store.ACTIVE)
    put(state, {Family.IPV4: INLINE}, {})
    shown = run_cli("--state", str(state.path), "show", "--json")
    assert shown.returncode == 0 and "did not finish and its values are still in effect" in shown.stderr
    lines = shown.stderr.splitlines()
    command = lines[lines.index("note: to put the values from before it back, run:") + 1].strip()
    assert "netsh interface ipv4 set global loopbackexecutionmode=adaptive store=active" in shown.stderr
    program, *arguments = shlex.split(command)
    assert program == "loopback-tuner-cli"
    assert arguments == [
        "--state",
        str(state.path),
        "set",
        "--family",
        "ipv4",
        "--mode",
        "adaptive",
        "--store",
        "active",
    ]
    done = run_cli(*arguments, "--yes")  # run as a user would in a terminal; --yes stands for the answer
    assert done.returncode == 0, done.stderr
    assert machine_values(state)[0][Family.IPV4] == SIMULATED_INITIAL
    again = run_cli("--state", str(state.path), "show")
    assert "did not finish" not in again.stderr  # recorded once


def test_the_window_stages_the_recorded_values_as_pending_edits(
    qapp: Any, make_state: MakeState, paths: AppPaths, tmp_path: Path
) -> None:
    from app.storage.originals import OriginalsStore
    from app.viewmodels.main_vm import MainViewModel
    from app.viewmodels.messages import Level, Message
    from app.wiring import build_services

    state = make_state(elevated=True)
    History(paths.history).record_started(CHANGE, "simulated", Store.ACTIVE)
    put(state, {Family.IPV4: INLINE}, {})
    services = build_services(Backend(BackendKind.SIMULATED, state=state.path), paths)
    vm = MainViewModel(
        services.reader,
        lambda: services.transactions,
        services.history,
        OriginalsStore(tmp_path / "originals.json"),
        recover=services.recover,
    )
    messages: list[Message] = []
    vm.message.connect(messages.append)
    asyncio.run(vm.start())
    assert vm.pending_change() == CHANGE.inverse()  # staged, not applied: Apply puts them back, Discard keeps
    assert machine_values(state)[0][Family.IPV4] == INLINE
    (message,) = [m for m in messages if "did not finish" in m.text]
    assert message.level is Level.WARNING and "choose Apply to put them back" in message.text
    vm.deleteLater()


@pytest.mark.parametrize("finding", [f for f in Finding if f is not Finding.HELPER_RUNNING])
def test_every_finding_has_its_history_reason(finding: Finding) -> None:
    assert REASONS[finding].startswith("the app ended during the trial; ")


def machine_lock(state: SimStateFile) -> Callable[[], FileMachineLock]:
    return lambda: FileMachineLock(sim_machine_lock_path(state.path))


def test_nothing_is_judged_while_a_helper_still_holds_the_machine(make_state: MakeState, paths: AppPaths) -> None:
    state = make_state()
    History(paths.history).record_started(CHANGE, "simulated", Store.ACTIVE)
    put(state, {Family.IPV4: INLINE}, {})  # mid-revert, as far as anyone can tell
    helper = FileMachineLock(sim_machine_lock_path(state.path))
    assert helper.acquire()
    reader = make_runner(Backend(BackendKind.SIMULATED, state=state.path))
    try:
        recovery = recover_interrupted(History(paths.history), paths.transaction_lock, reader, machine_lock(state))
    finally:
        helper.release()
    assert [f.finding for f in recovery.found] == [Finding.HELPER_RUNNING]
    assert finished_reasons(paths) == [(None, "")]  # left for the next start
    put(state, {Family.IPV4: SIMULATED_INITIAL}, {})  # the helper finished its revert
    recovery = recover_interrupted(History(paths.history), paths.transaction_lock, reader, machine_lock(state))
    assert [f.finding for f in recovery.found] == [Finding.REVERTED]


def test_no_trial_can_start_while_recovery_reads_the_machine(make_state: MakeState, paths: AppPaths) -> None:
    state = make_state()
    History(paths.history).record_started(CHANGE, "simulated", Store.ACTIVE)
    inner = make_runner(Backend(BackendKind.SIMULATED, state=state.path))
    a_helper_could_start: list[bool] = []

    class Reader:
        description = inner.description

        def run_blocking(self, argv: Any) -> CommandResult:
            probe = FileMachineLock(sim_machine_lock_path(state.path))
            a_helper_could_start.append(probe.acquire())
            probe.release()
            return inner.run_blocking(argv)

    recovery = recover_interrupted(History(paths.history), paths.transaction_lock, Reader(), machine_lock(state))  # type: ignore[arg-type]
    assert [f.finding for f in recovery.found] == [Finding.REVERTED]
    assert a_helper_could_start and not any(a_helper_could_start)
    after = FileMachineLock(sim_machine_lock_path(state.path))
    assert after.acquire()  # released afterwards
    after.release()


def test_the_command_line_says_a_helper_is_still_at_work(
    run_cli: RunCli, make_state: MakeState, paths: AppPaths
) -> None:
    state = make_state()
    History(paths.history).record_started(CHANGE, "simulated", Store.ACTIVE)
    helper = FileMachineLock(sim_machine_lock_path(state.path))
    assert helper.acquire()
    try:
        shown = run_cli("--state", str(state.path), "show")
    finally:
        helper.release()
    assert shown.returncode == 0 and "still being finished by its helper" in shown.stderr
    again = run_cli("--state", str(state.path), "show")
    assert "its helper reverted it (checked" in again.stderr
