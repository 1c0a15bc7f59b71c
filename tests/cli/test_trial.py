"""``set ... --trial N`` end to end: keep on y; revert on n, EOF, timeout, and when the app is killed or frozen."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.domain.model import Family, LoopbackSettings
from app.paths import AppPaths
from app.simulator.machine import SIMULATED_INITIAL
from app.simulator.store import SimStateFile
from app.storage.history import INTERRUPTED, History
from app.usecases.recovery import REASONS, Finding
from tests.conftest import REPO, SUBPROCESS_TIMEOUT_S, RunCli, cli_command, machine_values, read_until

PROMPT = "Keep these settings?"
EIGHT = LoopbackSettings(SIMULATED_INITIAL.execution_mode, 8, SIMULATED_INITIAL.large_mtu)
INITIAL = dict.fromkeys(Family, SIMULATED_INITIAL)
Start = Callable[..., "subprocess.Popen[str]"]
posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX signals")


@pytest.fixture
def state(tmp_path: Path) -> SimStateFile:
    return SimStateFile(tmp_path / "state.json")


@pytest.fixture
def start(tmp_path: Path, state: SimStateFile) -> Iterator[Start]:
    """``start(seconds, *extra)``: the CLI on trial, stopped at its question; killed at the end if still running."""
    started: list[subprocess.Popen[str]] = []

    def run(seconds: int, *extra: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            cli_command(
                "--state", str(state.path), "set", "--family", "ipv4", "--workers", "8", "--trial", str(seconds), *extra
            ),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        started.append(process)
        assert process.stdout is not None
        shown = read_until(process.stdout, PROMPT)
        assert "Applied for a trial of" in shown
        assert machine_values(state) == ({Family.IPV4: EIGHT, Family.IPV6: SIMULATED_INITIAL}, INITIAL)
        return process

    yield run
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=SUBPROCESS_TIMEOUT_S)


def answer(process: subprocess.Popen[str], text: str | None) -> tuple[str, str]:
    """Send ``text`` (None: close stdin at once, which is EOF) and wait for the CLI to finish."""
    return process.communicate(text if text is not None else "", timeout=SUBPROCESS_TIMEOUT_S)


def outcomes(paths: AppPaths) -> list[str | None]:
    return [entry.outcome for entry in History(paths.history).load()[0]]


def test_y_keeps_and_saves(start: Start, state: SimStateFile, paths: AppPaths) -> None:
    process = start(30)
    out, err = answer(process, "y\n")
    assert process.returncode == 0, err
    assert "Kept: saved (persistent)." in out
    assert machine_values(state) == (
        {Family.IPV4: EIGHT, Family.IPV6: SIMULATED_INITIAL},
        {Family.IPV4: EIGHT, Family.IPV6: SIMULATED_INITIAL},
    )
    assert outcomes(paths) == ["kept"]


def test_y_with_store_active_keeps_until_reboot(start: Start, state: SimStateFile) -> None:
    process = start(30, "--store", "active")
    out, _ = answer(process, "yes\n")
    assert process.returncode == 0 and "active until reboot" in out
    assert machine_values(state) == ({Family.IPV4: EIGHT, Family.IPV6: SIMULATED_INITIAL}, INITIAL)


@pytest.mark.parametrize(
    ("reply", "why"),
    [("n\n", "answered no"), ("\n", "answered no"), ("maybe\n", "answered no"), (None, "no answer (end of input)")],
)
def test_anything_else_or_eof_reverts(
    start: Start, state: SimStateFile, paths: AppPaths, reply: str | None, why: str
) -> None:
    process = start(30)
    out, _ = answer(process, reply)
    assert process.returncode == 7
    assert f"Reverted ({why}): the previous values are back." in out
    assert machine_values(state) == (INITIAL, INITIAL)
    assert outcomes(paths) == ["reverted"]


def test_no_answer_in_time_reverts(start: Start, state: SimStateFile) -> None:
    process = start(1)
    assert process.stdout is not None
    # stdin stays open and silent: the countdown runs out.
    out = process.stdout.read()
    process.wait(SUBPROCESS_TIMEOUT_S)
    assert process.returncode == 7
    assert "No answer in time." in out and "Reverted" in out
    assert machine_values(state) == (INITIAL, INITIAL)


def test_yes_keeps_without_asking(tmp_path: Path, state: SimStateFile) -> None:
    done = subprocess.run(
        cli_command("--state", str(state.path), "set", "--family", "ipv4", "--workers", "8", "--trial", "30", "--yes"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert PROMPT not in done.stdout
    assert machine_values(state)[1][Family.IPV4] == EIGHT


@posix_only
def test_kill_9_of_the_cli_mid_trial_reverts(start: Start, state: SimStateFile, paths: AppPaths) -> None:
    process = start(30)
    assert process.stderr is not None
    process.send_signal(signal.SIGKILL)
    process.wait(SUBPROCESS_TIMEOUT_S)
    # The helper inherited the CLI's stderr and holds it until it exits: EOF means the helper is done.
    process.stderr.read()
    assert machine_values(state) == (INITIAL, INITIAL)
    assert outcomes(paths) == [None]  # the app never learned the end: the next start reports it


FROZEN_APP = """
import os, sys
from pathlib import Path
from app.domain.model import Family, SettingsPatch
from app.paths import AppPaths
from app.runners.factory import Backend, BackendKind
from app.usecases.planning import plan_change
from app.usecases.reading import read_machine
from app.wiring import build_services

services = build_services(Backend(BackendKind.SIMULATED, state=Path(sys.argv[1])), AppPaths.default())
services.transactions.grace_s = 0  # the helper's deadline is the trial itself

def main() -> None:
    state = read_machine(services.reader)
    change = plan_change(state, (Family.IPV4,), SettingsPatch(worker_count=8))
    trial = services.transactions.begin(change, seconds=1)  # held: a dropped trial closes the channel
    # Only the helper keeps the inherited stderr open from here on, so the test can see it exit.
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    print("on trial", flush=True)
    sys.stdin.readline()
    trial.revert()

main()
"""


@posix_only
def test_a_frozen_app_is_reverted_at_the_helpers_deadline(tmp_path: Path, state: SimStateFile) -> None:
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-c", FROZEN_APP, str(state.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        read_until(process.stdout, "on trial")
        assert machine_values(state)[0][Family.IPV4] == EIGHT
        process.send_signal(signal.SIGSTOP)  # frozen: the channel stays open, nobody answers
        process.stderr.read()  # EOF: the helper has exited
        assert time.monotonic() - started >= 1.0  # at its deadline, not at once (a dropped channel would be)
        assert machine_values(state) == (INITIAL, INITIAL)
        assert process.poll() is None  # the app is still there, just frozen
    finally:
        process.kill()
        process.communicate(timeout=SUBPROCESS_TIMEOUT_S)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds the helper through /proc (Linux)")
def test_a_reboot_mid_trial_leaves_the_saved_values_and_the_next_start_checks_and_says_so(
    start: Start, state: SimStateFile, paths: AppPaths, run_cli: RunCli
) -> None:
    process = start(30)
    (helper,) = _children(process.pid)
    os.kill(helper, signal.SIGKILL)  # a restart ends every process: the helper, then the app, without a word
    process.send_signal(signal.SIGKILL)
    process.wait(SUBPROCESS_TIMEOUT_S)
    state.reboot()  # ...and drops what was only active
    assert machine_values(state) == (INITIAL, INITIAL)
    assert outcomes(paths) == [None]
    result = run_cli("--state", str(state.path), "show")  # the next start checks the machine first
    assert result.returncode == 0
    assert "did not finish" in result.stderr and "reverted" in result.stderr, result.stderr
    (entry,) = History(paths.history).load()[0]
    assert (entry.outcome, entry.reason) == (INTERRUPTED, REASONS[Finding.REVERTED])
