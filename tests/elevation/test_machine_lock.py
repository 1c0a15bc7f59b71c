"""One trial per machine: the Win32 mutex logic (faked, exact calls), the simulated machine's lock, the refusals."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli_parts.common import EXIT_BUSY as CLI_EXIT_BUSY
from app.domain.model import Family
from app.elevation import helper, session
from app.elevation.machine_lock import (
    BUSY_MESSAGE,
    FileMachineLock,
    MutexMachineLock,
    machine_lock_for,
    machine_lock_for_helper,
    sim_machine_lock_path,
)
from app.paths import AppPaths
from app.platform.win32_mutex import (
    ERROR_ACCESS_DENIED,
    TRIAL_MUTEX_NAME,
    WAIT_ABANDONED,
    WAIT_FAILED,
    WAIT_OBJECT_0,
    WAIT_TIMEOUT,
    MutexError,
    MutexTake,
    Win32Mutex,
)
from app.simulator.machine import SIMULATED_INITIAL
from app.usecases.endings import result_ending
from app.usecases.trials import TransactionBusyError
from tests.conftest import REPO, SUBPROCESS_TIMEOUT_S, MakeState, RunCli, machine_values
from tests.usecases.test_trials import CHANGE, Rig

HANDLE = 0x1F4


@pytest.fixture
def rig(make_state: MakeState, paths: AppPaths) -> Rig:
    return Rig(make_state(), paths)


class FakeMutexApi:
    """Records every call; answers as told."""

    def __init__(self, *, handle: int | None = HANDLE, wait: int = WAIT_OBJECT_0, error: int = 0) -> None:
        self.handle, self.wait, self.error = handle, wait, error
        self.calls: list[tuple[object, ...]] = []

    def create_mutex(self, name: str) -> int | None:
        self.calls.append(("CreateMutexW", name))
        return self.handle

    def wait_for_single_object(self, handle: int, milliseconds: int) -> int:
        self.calls.append(("WaitForSingleObject", handle, milliseconds))
        return self.wait

    def release_mutex(self, handle: int) -> bool:
        self.calls.append(("ReleaseMutex", handle))
        return True

    def close_handle(self, handle: int) -> bool:
        self.calls.append(("CloseHandle", handle))
        return True

    def last_error(self) -> int:
        self.calls.append(("GetLastError",))
        return self.error


def test_the_mutex_is_global_and_taken_without_waiting_then_released_and_closed() -> None:
    api = FakeMutexApi()
    mutex = Win32Mutex(api)
    assert TRIAL_MUTEX_NAME == "Global\\LoopbackTuner-Trial"
    assert mutex.take() is MutexTake.TAKEN and mutex.held
    mutex.release()
    mutex.release()  # a second release does nothing
    assert api.calls == [
        ("CreateMutexW", "Global\\LoopbackTuner-Trial"),
        ("WaitForSingleObject", HANDLE, 0),
        ("ReleaseMutex", HANDLE),
        ("CloseHandle", HANDLE),
    ]
    assert not mutex.held


def test_an_abandoned_mutex_is_ours_and_says_so() -> None:
    api = FakeMutexApi(wait=WAIT_ABANDONED)
    lock = MutexMachineLock(api)
    assert lock.acquire() is True and lock.abandoned is True
    lock.release()
    assert api.calls[-2:] == [("ReleaseMutex", HANDLE), ("CloseHandle", HANDLE)]


def test_a_mutex_held_elsewhere_is_refused_and_its_handle_closed_not_released() -> None:
    api = FakeMutexApi(wait=WAIT_TIMEOUT)
    lock = MutexMachineLock(api)
    assert lock.acquire() is False and not lock.abandoned
    lock.release()
    assert api.calls == [
        ("CreateMutexW", TRIAL_MUTEX_NAME),
        ("WaitForSingleObject", HANDLE, 0),
        ("CloseHandle", HANDLE),
    ]


def test_a_failed_create_or_wait_raises_with_the_windows_error() -> None:
    api = FakeMutexApi(handle=None, error=5)  # ERROR_ACCESS_DENIED: someone made it with a DACL we cannot open
    with pytest.raises(MutexError) as raised:
        Win32Mutex(api).take()
    assert raised.value.errno == 5
    assert api.calls == [("CreateMutexW", TRIAL_MUTEX_NAME), ("GetLastError",)]
    api = FakeMutexApi(wait=WAIT_FAILED, error=6)
    with pytest.raises(MutexError):
        Win32Mutex(api).take()
    assert api.calls == [
        ("CreateMutexW", TRIAL_MUTEX_NAME),
        ("WaitForSingleObject", HANDLE, 0),
        ("GetLastError",),
        ("CloseHandle", HANDLE),
    ]


def test_the_lock_is_chosen_by_what_the_machine_is(tmp_path: Path) -> None:
    state = tmp_path / "machine.json"
    sim = machine_lock_for("simulated", str(state), None, platform="win32")
    assert isinstance(sim, FileMachineLock) and sim.path == tmp_path / "machine.json.trial.lock"
    assert sim.path == sim_machine_lock_path(state)
    custom = machine_lock_for("custom", None, str(tmp_path / "fake-netsh"), platform="linux")
    assert isinstance(custom, FileMachineLock) and custom.path == tmp_path / "fake-netsh.trial.lock"
    with pytest.raises(ValueError):
        machine_lock_for("system", None, None, platform="linux")


def test_the_simulated_machine_lock_admits_one_holder(tmp_path: Path) -> None:
    first, second = FileMachineLock(tmp_path / "m.lock"), FileMachineLock(tmp_path / "m.lock")
    assert first.acquire() and not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_every_face_uses_the_same_busy_exit_code() -> None:
    assert helper.EXIT_BUSY == session.HELPER_EXIT_BUSY == CLI_EXIT_BUSY == 6


def test_a_second_helper_is_refused_at_once_and_reads_and_changes_nothing(
    make_state: MakeState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(signal, "signal", lambda *args: None)  # main ignores Ctrl+C; not in this test process
    state = make_state()
    connected: list[str] = []

    def connect(address: str, key: bytes, app_pid: int) -> None:
        connected.append(address)

    holder = FileMachineLock(sim_machine_lock_path(state.path))  # another trial's helper
    assert holder.acquire()
    try:
        code = helper.main(
            [
                *(
                    "--backend",
                    "simulated",
                    "--state",
                    str(state.path),
                    "--address",
                    str(tmp_path / "channel"),
                    "--app-pid",
                    "4242",
                ),
                *("--deadline-seconds", "30", "--keep-store", "persistent", "--authkey", "ab" * 32),
                *("--change", "ipv4:loopbackworkercount=8"),
            ],
            connect=connect,  # type: ignore[arg-type]  # never reached: the machine is busy
        )
    finally:
        holder.release()
    assert code == helper.EXIT_BUSY
    assert connected == []  # refused before connecting: nothing sent
    assert BUSY_MESSAGE in capsys.readouterr().err
    assert machine_values(state) == (dict.fromkeys(Family, SIMULATED_INITIAL), dict.fromkeys(Family, SIMULATED_INITIAL))


def test_the_app_reports_a_busy_machine_and_records_the_attempt(rig: Rig) -> None:
    holder = FileMachineLock(sim_machine_lock_path(rig.state.path))
    assert holder.acquire()
    try:
        with pytest.raises(TransactionBusyError, match="a change is being tried or reverted right now"):
            rig.service().begin(CHANGE, seconds=30)
    finally:
        holder.release()
    assert rig.unchanged()
    assert rig.outcomes() == ["failed"]  # finished in the history, so the next start does not call it interrupted
    result = rig.service().apply(CHANGE)  # the lock was the only obstacle
    assert result_ending(result).succeeded


def test_the_command_line_exits_6_when_another_trial_holds_the_machine(run_cli: RunCli, make_state: MakeState) -> None:
    state = make_state()
    holder = FileMachineLock(sim_machine_lock_path(state.path))
    assert holder.acquire()
    try:
        done = run_cli("--state", str(state.path), "set", "--family", "ipv4", "--workers", "8", "--trial", "30")
    finally:
        holder.release()
    assert done.returncode == CLI_EXIT_BUSY == 6
    assert "a change is being tried or reverted right now" in done.stderr
    assert machine_values(state) == (dict.fromkeys(Family, SIMULATED_INITIAL), dict.fromkeys(Family, SIMULATED_INITIAL))


def test_a_mutex_we_may_not_open_means_another_holds_it() -> None:
    api = FakeMutexApi(handle=None, error=ERROR_ACCESS_DENIED)  # made by an elevated helper, whose DACL keeps us out
    assert MutexMachineLock(api).acquire() is False
    assert api.calls == [("CreateMutexW", TRIAL_MUTEX_NAME), ("GetLastError",)]


def test_the_app_checks_the_lock_its_helper_would_take(tmp_path: Path) -> None:
    from app.runners.factory import Backend, BackendKind
    from app.wiring import helper_backend

    state = tmp_path / "machine.json"
    lock = machine_lock_for_helper(helper_backend(Backend(BackendKind.SIMULATED, state=state)).args)
    assert isinstance(lock, FileMachineLock) and lock.path == sim_machine_lock_path(state)
    with pytest.raises(ValueError):  # the helper refuses the system backend off Windows; so is there no lock
        machine_lock_for_helper(("--backend", "system"), platform="linux")


HOLD_MUTEX = """
import sys
from app.elevation.machine_lock import MutexMachineLock
lock = MutexMachineLock()
print("held" if lock.acquire() else "busy", flush=True)
sys.stdin.readline()
"""


@pytest.mark.windows
@pytest.mark.skipif(sys.platform != "win32", reason="the global mutex exists only on Windows")
def test_the_real_mutex_admits_one_process_and_a_killed_holder_leaves_it_abandoned() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_MUTEX], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        assert MutexMachineLock().acquire() is False  # another process holds it
        child.kill()  # no release: Windows marks the mutex abandoned
        child.wait(SUBPROCESS_TIMEOUT_S)
        lock = MutexMachineLock()
        assert lock.acquire() is True and lock.abandoned is True
        lock.release()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(SUBPROCESS_TIMEOUT_S)
        for stream in (child.stdin, child.stdout):
            if stream is not None:
                stream.close()
