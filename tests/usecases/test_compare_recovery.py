"""A comparison cut short by a crash (its history entry left unfinished) is checked and reported at the next start,
as an interrupted trial is: the original values back (its helper put them back), or not back (a configuration
still in effect: the change that puts the originals back is offered), in the command line and in the window."""

from __future__ import annotations

import asyncio
import shlex
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from app.cli_parts.recovery import restore_commands
from app.domain.history import ComparisonStart
from app.domain.model import Change, ExecutionMode, Family, FamilyChange, LoopbackSettings, Store
from app.paths import AppPaths
from app.runners.factory import Backend, BackendKind, make_runner
from app.simulator.machine import SIMULATED_INITIAL
from app.storage.history import INTERRUPTED, History
from app.usecases.recovery import COMPARISON_REASONS, Finding, Recovery, recover_interrupted
from tests.conftest import MakeState, RunCli, machine_values
from tests.usecases.test_recovery import put

INLINE = LoopbackSettings(ExecutionMode.INLINE, 4, True)
WORKER = LoopbackSettings(ExecutionMode.WORKER, 8, True)
ORIGINALS = {Family.IPV4: SIMULATED_INITIAL, Family.IPV6: SIMULATED_INITIAL}
START = ComparisonStart(
    ORIGINALS,
    (("current", ORIGINALS), ("latency", dict.fromkeys(Family, INLINE)), ("throughput", dict.fromkeys(Family, WORKER))),
)


def crashed_comparison(paths: AppPaths) -> str:
    """The started record a comparison writes before its helper runs, and no finished one: the app died."""
    ident, notice = History(paths.history).record_started(Change(), "simulated", Store.PERSISTENT, START)
    assert notice is None
    return ident


def recover(state_path: Path, paths: AppPaths) -> Recovery:
    reader = make_runner(Backend(BackendKind.SIMULATED, state=state_path))
    return recover_interrupted(History(paths.history), paths.transaction_lock, reader)


def test_the_originals_back_is_reported_as_checked_and_recorded_once(make_state: MakeState, paths: AppPaths) -> None:
    state = make_state()
    crashed_comparison(paths)  # the helper put the originals back on its own: the machine shows them
    (found,) = recover(state.path, paths).found
    assert (found.finding, found.restore, found.comparison) == (Finding.REVERTED, Change(), True)
    assert found.families == (Family.IPV4, Family.IPV6)
    assert [(e.outcome, e.reason) for e in History(paths.history).load()[0]] == [
        (INTERRUPTED, COMPARISON_REASONS[Finding.REVERTED])
    ]
    assert recover(state.path, paths).found == ()


def test_a_configuration_still_in_effect_is_reported_with_the_change_back_to_the_originals(
    make_state: MakeState, paths: AppPaths
) -> None:
    state = make_state()
    crashed_comparison(paths)
    put(state, dict.fromkeys(Family, INLINE), {})  # the helper did not get to put them back
    (found,) = recover(state.path, paths).found
    assert found.finding is Finding.STILL_APPLIED and found.restore_store is Store.ACTIVE
    assert found.restore == Change(tuple(FamilyChange(f, INLINE, SIMULATED_INITIAL) for f in Family))
    assert History(paths.history).load()[0][0].reason == COMPARISON_REASONS[Finding.STILL_APPLIED]


def test_a_configuration_kept_into_the_saved_values_is_put_back_in_both_stores(
    make_state: MakeState, paths: AppPaths
) -> None:
    state = make_state()
    crashed_comparison(paths)
    put(state, dict.fromkeys(Family, WORKER), dict.fromkeys(Family, WORKER))  # kept, then the app died
    (found,) = recover(state.path, paths).found
    assert (found.finding, found.restore_store) == (Finding.STILL_APPLIED, Store.PERSISTENT)
    assert restore_commands(found, []) == [
        ["set", "--family", "both", "--mode", "adaptive", "--workers", "4", "--store", "persistent"]
    ]


def test_values_that_match_no_configuration_are_changed_since(make_state: MakeState, paths: AppPaths) -> None:
    state = make_state()
    crashed_comparison(paths)
    put(state, {Family.IPV4: LoopbackSettings(ExecutionMode.WORKER, 3, False)}, {})
    (found,) = recover(state.path, paths).found
    assert (found.finding, found.restore) == (Finding.CHANGED_SINCE, Change())


@pytest.mark.parametrize("finding", [f for f in Finding if f is not Finding.HELPER_RUNNING])
def test_every_finding_has_its_comparison_reason(finding: Finding) -> None:
    assert COMPARISON_REASONS[finding].startswith("the app ended during the comparison; ")


def test_the_command_line_says_the_originals_are_back(run_cli: RunCli, make_state: MakeState, paths: AppPaths) -> None:
    state = make_state(elevated=True)
    crashed_comparison(paths)
    shown = run_cli("--state", str(state.path), "show")
    assert shown.returncode == 0, shown.stderr
    assert "note: a comparison started earlier did not finish; its helper put the original values back" in (
        shown.stderr
    )
    assert "comparison of 3 configurations (current, latency, throughput)" in shown.stderr
    assert "did not finish" not in run_cli("--state", str(state.path), "show").stderr  # recorded once


def test_the_command_line_offers_the_command_that_puts_the_originals_back(
    run_cli: RunCli, make_state: MakeState, paths: AppPaths
) -> None:
    state = make_state(elevated=True)
    crashed_comparison(paths)
    put(state, dict.fromkeys(Family, INLINE), {})
    shown = run_cli("--state", str(state.path), "show")
    assert "the original values are not back: one of its configurations is still in effect" in shown.stderr
    lines = shown.stderr.splitlines()
    command = lines[lines.index("note: to put the original values back, run:") + 1].strip()
    program, *arguments = shlex.split(command)
    assert program == "loopback-tuner-cli"
    done = run_cli(*arguments, "--yes")
    assert done.returncode == 0, done.stderr
    assert machine_values(state)[0] == ORIGINALS


def _window_start(paths: AppPaths, state_path: Path, tmp_path: Path) -> tuple[Any, list[Any]]:
    from app.storage.originals import OriginalsStore
    from app.viewmodels.main_vm import MainViewModel
    from app.wiring import build_services

    services = build_services(Backend(BackendKind.SIMULATED, state=state_path), paths)
    vm = MainViewModel(
        services.reader,
        lambda: services.transactions,
        services.history,
        OriginalsStore(tmp_path / "o.json"),
        recover=services.recover,
    )
    messages: list[Any] = []
    vm.message.connect(messages.append)
    asyncio.run(vm.start())
    return vm, messages


def test_the_window_stages_the_originals_when_they_are_not_back(
    qapp: Any, make_state: MakeState, paths: AppPaths, tmp_path: Path
) -> None:
    from app.viewmodels.messages import Level

    state = make_state(elevated=True)
    crashed_comparison(paths)
    put(state, dict.fromkeys(Family, INLINE), {})
    vm, messages = _window_start(paths, state.path, tmp_path)
    assert vm.pending_change() == Change(tuple(FamilyChange(f, INLINE, SIMULATED_INITIAL) for f in Family))
    (message,) = [m for m in messages if "did not finish" in m.text]
    assert message.level is Level.WARNING
    assert "the original values are not back" in message.text and "choose Apply to put them back" in message.text
    assert "comparison of 3 configurations" in message.details
    vm.deleteLater()


def test_the_window_says_the_originals_are_back(
    qapp: Any, make_state: MakeState, paths: AppPaths, tmp_path: Path
) -> None:
    from app.viewmodels.messages import Level

    state = make_state(elevated=True)
    crashed_comparison(paths)
    vm, messages = _window_start(paths, state.path, tmp_path)
    assert not vm.has_pending
    (message,) = [m for m in messages if "did not finish" in m.text]
    assert message.level is Level.INFO and "its helper put the original values back (checked" in message.text
    vm.deleteLater()


@pytest.mark.skipif(sys.platform == "win32", reason="the workload kills the app with SIGKILL")
def test_a_real_crash_mid_comparison_is_reported_at_the_next_start(
    run_cli: RunCli, make_state: MakeState, paths: AppPaths, tmp_path: Path
) -> None:
    """The app is killed (by its own workload, on the second step: the latency configuration is in effect); its
    helper puts the originals back on its own, and the next start says so, once."""
    from app.elevation.machine_lock import sim_machine_lock_path
    from app.storage.files import InterProcessLock

    state = make_state(elevated=True)
    counter = tmp_path / "runs"
    kill_on_second = (
        f"import os, pathlib, signal; p = pathlib.Path({str(counter)!r}); n = int(p.read_text()) if p.exists() "
        "else 0; p.write_text(str(n + 1)); n == 1 and os.kill(os.getppid(), signal.SIGKILL)"
    )
    done = run_cli(
        "--state", str(state.path), "compare", "--family", "ipv4", "--with", "current,latency", "--seconds", "0.1",
        "--rounds", "1", "--keep", "none", "--workload", "--", sys.executable, "-c", kill_on_second,
    )  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stderr
    (entry,) = History(paths.history).load()[0]
    assert entry.outcome is None and entry.comparison is not None  # left unfinished by the crash
    with InterProcessLock(sim_machine_lock_path(state.path)).hold(timeout_s=30):  # the helper has ended
        pass
    assert machine_values(state)[0][Family.IPV4] == SIMULATED_INITIAL
    shown = run_cli("--state", str(state.path), "show")
    assert "note: a comparison started earlier did not finish; its helper put the original values back" in (
        shown.stderr
    )
    assert "did not finish" not in run_cli("--state", str(state.path), "show").stderr
