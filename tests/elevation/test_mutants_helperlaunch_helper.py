"""The helper's runner choice, machine lock, records and channel, driven in-process (a mutation tool's copy is what
runs): each branch's exact message and arguments, and a whole trial through ``main`` with a Pipe as the channel."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Iterator
from multiprocessing.connection import Connection, Pipe
from pathlib import Path
from typing import Any

import pytest

from app.domain.model import Family, SettingsPatch
from app.elevation import helper
from app.elevation.helper import EXIT_BUSY, EXIT_FAILED, EXIT_KEPT, EXIT_REVERTED, HelperUsageError
from app.elevation.protocol import decision_message
from app.simulator.machine import SIMULATED_INITIAL
from tests.conftest import MakeState, machine_values

KEY = "ab" * 32


@pytest.fixture(autouse=True)
def keep_sigint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signal, "signal", lambda *args: None)


@pytest.fixture
def pipe() -> Iterator[tuple[Connection, Connection]]:
    app_end, helper_end = Pipe()
    yield app_end, helper_end
    app_end.close()
    helper_end.close()


def options(**values: Any) -> argparse.Namespace:
    base = {"backend": "simulated", "state": None, "netsh": None, "netsh_timeout": 4.5}
    return argparse.Namespace(**{**base, **values})


def args(state: Path, *extra: str) -> list[str]:
    return [
        "--backend", "simulated", "--state", str(state), "--address", "/tmp/lt-unused/channel",
        "--authkey", KEY, "--app-pid", "4242", "--deadline-seconds", "30", "--keep-store", "persistent",
        "--change", "ipv4:loopbackworkercount=8", *extra,
    ]  # fmt: skip


# --- the channel ---------------------------------------------------------------------------------------------------


def test_connect_asks_the_channel_with_a_30_second_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.elevation import channel

    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(channel, "connect_to_app", lambda *a, **kw: calls.append((a, kw)) or "conn")
    assert helper._connect("/run/x.sock", b"k" * 32, 77) == "conn"
    assert calls == [(("/run/x.sock", b"k" * 32, 77), {"timeout_s": 30.0})]


# --- which runner --------------------------------------------------------------------------------------------------


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    from app.runners import factory

    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(factory, "make_runner", lambda *a, **kw: calls.append((a, kw)) or "runner")
    return calls


def test_the_system_backend_on_windows_gets_the_system_runner_and_its_time_limit(
    monkeypatch: pytest.MonkeyPatch, made: list[tuple[Any, ...]]
) -> None:
    from app.runners.factory import Backend, BackendKind

    monkeypatch.setattr(sys, "platform", "win32")
    assert helper._helper_runner(options(backend="system")) == "runner"
    assert made == [((Backend(BackendKind.SYSTEM),), {"timeout_s": 4.5})]


@pytest.mark.parametrize("elevated", [True, False])
def test_an_elevated_helper_on_windows_refuses_every_backend_but_the_system_one(
    monkeypatch: pytest.MonkeyPatch, made: list[tuple[Any, ...]], elevated: bool, tmp_path: Path
) -> None:
    from app.platform import windows

    api = object()
    asked: list[object] = []
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(windows, "default_api", lambda: api)
    monkeypatch.setattr(windows, "is_elevated", lambda a: asked.append(a) or elevated)
    chosen = options(state=str(tmp_path / "s.json"))
    if elevated:
        with pytest.raises(HelperUsageError) as caught:
            helper._helper_runner(chosen)
        assert str(caught.value) == "an elevated helper only uses the system netsh"
        assert made == []
    else:
        assert helper._helper_runner(chosen) == "runner"
        assert len(made) == 1
    assert asked == [api]


@pytest.mark.parametrize("extra", [{}, {"state": "/tmp/s.json", "netsh": "/tmp/netsh"}])
def test_the_simulated_backend_needs_a_state_and_no_netsh(extra: dict[str, str], made: list[tuple[Any, ...]]) -> None:
    with pytest.raises(HelperUsageError) as caught:
        helper._helper_runner(options(**extra))
    assert str(caught.value) == "the simulated backend needs --state and no --netsh"
    assert made == []


# --- machine-wide records ------------------------------------------------------------------------------------------


def test_machine_records_are_asked_for_the_backend_and_its_state(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(helper, "machine_records", lambda *a: calls.append(a) or "records")
    assert helper._machine_records(options(state="/tmp/s.json")) == "records"
    assert helper._machine_records(options(backend="custom", netsh="/opt/netsh")) == "records"
    assert calls == [("simulated", Path("/tmp/s.json")), ("custom", None)]


def test_records_that_cannot_be_opened_are_a_note_and_none(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*_a: Any) -> Any:
        raise OSError("disk gone")

    monkeypatch.setattr(helper, "machine_records", broken)
    assert helper._machine_records(options(state="/tmp/s.json")) is None
    out, err = capsys.readouterr()
    assert (out, err) == ("", "helper: no machine-wide records (disk gone)\n")


# --- the machine lock ----------------------------------------------------------------------------------------------


class FakeLock:
    def __init__(self, taken: bool = True, abandoned: bool = False) -> None:
        self.taken, self.abandoned, self.released = taken, abandoned, 0

    def acquire(self) -> bool:
        return self.taken

    def release(self) -> None:
        self.released += 1


def _lock_for(monkeypatch: pytest.MonkeyPatch, lock: FakeLock | Exception) -> list[tuple[Any, ...]]:
    from app.elevation import machine_lock

    calls: list[tuple[Any, ...]] = []

    def lock_for(*a: Any) -> FakeLock:
        calls.append(a)
        if isinstance(lock, Exception):
            raise lock
        return lock

    monkeypatch.setattr(machine_lock, "machine_lock_for", lock_for)
    return calls


def test_the_lock_is_asked_for_the_backend_state_and_netsh(monkeypatch: pytest.MonkeyPatch) -> None:
    import contextlib

    lock = FakeLock()
    calls = _lock_for(monkeypatch, lock)
    with contextlib.ExitStack() as held:
        assert helper._take_machine(options(backend="custom", netsh="/opt/netsh"), held) is None
        assert lock.released == 0
    assert lock.released == 1
    assert calls == [("custom", None, "/opt/netsh")]


def test_a_lock_that_cannot_be_taken_fails_with_its_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import contextlib

    _lock_for(monkeypatch, OSError("no lock folder"))
    with contextlib.ExitStack() as held:
        assert helper._take_machine(options(), held) == EXIT_FAILED
    out, err = capsys.readouterr()
    assert (out, err) == ("", "helper: the machine lock could not be taken (no lock folder); nothing changed\n")


def test_a_busy_machine_is_refused(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import contextlib

    _lock_for(monkeypatch, FakeLock(taken=False))
    with contextlib.ExitStack() as held:
        assert helper._take_machine(options(), held) == EXIT_BUSY
    assert "helper: refused: a change is being tried or reverted right now" in capsys.readouterr().err


def test_an_abandoned_lock_is_taken_over_with_a_note(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import contextlib

    _lock_for(monkeypatch, FakeLock(abandoned=True))
    with contextlib.ExitStack() as held:
        assert helper._take_machine(options(), held) is None
    out, err = capsys.readouterr()
    assert out == ""
    assert err == ("helper: a previous helper ended without releasing the machine lock (it died); lock taken over\n")


# --- the Windows channel address -----------------------------------------------------------------------------------


@pytest.mark.parametrize("address", [r"\\host\pipe\LoopbackTuner-" + "0" * 32, "/tmp/x.sock"])
def test_windows_takes_only_the_local_loopbacktuner_pipe(address: str) -> None:
    with pytest.raises(HelperUsageError) as caught:
        helper.check_address(address, "win32")
    assert str(caught.value) == "the channel must be this machine's LoopbackTuner pipe"
    good = r"\\.\pipe\LoopbackTuner-" + "0" * 32
    assert helper.check_address(good, "win32") == good


# --- a whole trial through main ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keep", "store", "code"),
    [(True, "persistent", EXIT_KEPT), (True, "active", EXIT_KEPT), (False, "persistent", EXIT_REVERTED)],
)
def test_a_whole_trial_keeps_in_the_store_asked_for_or_reverts(
    make_state: MakeState, pipe: tuple[Connection, Connection], keep: bool, store: str, code: int
) -> None:
    state = make_state()
    app_end, helper_end = pipe
    app_end.send_bytes(decision_message(keep))
    argv = [*args(state.path)]
    argv[argv.index("persistent")] = store
    assert helper.main(argv, connect=lambda *_a: helper_end) == code
    active, persistent = machine_values(state)
    assert active[Family.IPV4].worker_count == (8 if keep else SIMULATED_INITIAL.worker_count)
    assert persistent[Family.IPV4].worker_count == (
        8 if keep and store == "persistent" else SIMULATED_INITIAL.worker_count
    )
    assert active[Family.IPV6] == SIMULATED_INITIAL


class FakeRecords:
    def __init__(self) -> None:
        self.observed: list[Any] = []
        self.notices = ["the history folder is read-only", "the event log is full"]

    def observer(self, changes: Any, keep_store: Any = None) -> None:
        self.observed.append(changes)


def test_the_trial_reports_to_the_machine_records_and_prints_their_notes(
    monkeypatch: pytest.MonkeyPatch,
    make_state: MakeState,
    pipe: tuple[Connection, Connection],
    capsys: pytest.CaptureFixture[str],
) -> None:
    records = FakeRecords()
    monkeypatch.setattr(helper, "_machine_records", lambda _options: records)
    state = make_state()
    app_end, helper_end = pipe
    app_end.send_bytes(decision_message(False))
    assert helper.main(args(state.path), connect=lambda *_a: helper_end) == EXIT_REVERTED
    assert records.observed == [[(Family.IPV4, SettingsPatch(worker_count=8))]]
    assert capsys.readouterr().err == (
        "helper: note: the history folder is read-only\nhelper: note: the event log is full\n"
    )


def test_without_records_the_trial_runs_and_prints_no_note(
    monkeypatch: pytest.MonkeyPatch,
    make_state: MakeState,
    pipe: tuple[Connection, Connection],
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(helper, "_machine_records", lambda _options: None)
    state = make_state()
    app_end, helper_end = pipe
    app_end.send_bytes(decision_message(True))
    assert helper.main(args(state.path), connect=lambda *_a: helper_end) == EXIT_KEPT
    assert capsys.readouterr().err == ""


def test_a_channel_that_cannot_be_made_is_reported_and_fails(
    make_state: MakeState, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(*_a: Any) -> Connection:
        raise ConnectionRefusedError("nobody there")

    state = make_state()
    assert helper.main(args(state.path), connect=refuse) == EXIT_FAILED
    assert capsys.readouterr().err == (
        "helper: no authenticated channel (ConnectionRefusedError: nobody there); nothing changed\n"
    )
    assert machine_values(state) == (dict.fromkeys(Family, SIMULATED_INITIAL),) * 2


def test_an_abbreviated_option_is_not_taken_for_the_full_one(
    make_state: MakeState, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = args(make_state().path)
    argv[argv.index("--keep-store")] = "--keep"
    assert helper.main(argv, connect=lambda *_a: pytest.fail("connected")) == helper.EXIT_USAGE
    assert capsys.readouterr().err == "helper: refused: the following arguments are required: --keep-store\n"


class BrokenStderr:
    def write(self, _text: str) -> int:
        raise OSError("stderr is closed")

    def flush(self) -> None:
        raise OSError("stderr is closed")


def test_a_bug_still_exits_failed_when_stderr_is_gone(make_state: MakeState, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_a: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(helper, "_take_machine", broken)
    monkeypatch.setattr(sys, "stderr", BrokenStderr())
    assert helper.main(args(make_state().path)) == EXIT_FAILED


def test_a_revert_that_failed_exits_failed(
    make_state: MakeState, monkeypatch: pytest.MonkeyPatch, pipe: tuple[Connection, Connection]
) -> None:
    from app.domain.outcomes import Outcome
    from app.elevation.trial import Transaction

    monkeypatch.setattr(Transaction, "execute", lambda self: Outcome.REVERT_FAILED)
    _, helper_end = pipe
    assert helper.main(args(make_state().path), connect=lambda *_a: helper_end) == EXIT_FAILED
