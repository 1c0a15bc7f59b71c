"""The channel on real Unix sockets: only the launched helper and the launching app get through, and nobody can
make either side wait forever (peer pids from SO_PEERCRED, handshake deadlines, a message size limit)."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest

from app.domain.outcomes import Outcome
from app.elevation import channel, session
from app.elevation.channel import (
    AppListener,
    ChannelStoppedError,
    ChannelTimeoutError,
    HandshakeError,
    HandshakeTimeoutError,
    PeerMismatchError,
    ServerEndpoint,
    accept_helper,
    connect_to_app,
    open_listener,
)
from app.elevation.channel_transports import UnixTransport, peer_credentials
from app.elevation.launchers import HelperProcess
from app.paths import AppPaths
from app.runners.factory import Backend, BackendKind, make_runner
from app.simulator.machine import SIMULATED_INITIAL
from app.storage.history import History
from app.usecases.trials import HelperError, TrialService
from app.wiring import helper_backend, make_launcher
from tests.conftest import MakeState, machine_values

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the channel is a Unix socket here")
KEY = b"K" * 32
SHORT = 0.3  # an injected handshake deadline: long enough for a thread to answer, short enough to wait for
ME = os.getpid()


@pytest.fixture
def listener() -> Iterator[AppListener]:
    opened = open_listener(KEY, UnixTransport())
    yield opened
    opened.close()


def in_thread(target: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(target())
        except BaseException as exc:
            out.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def accept(listener: AppListener, helper_pid: int, timeout_s: float = 30, **options: Any) -> Connection:
    return accept_helper(listener, helper_pid, timeout_s=timeout_s, stop=threading.Event(), **options)


def test_the_socket_sits_alone_in_a_private_folder_that_close_removes(listener: AppListener) -> None:
    folder = Path(listener.address).parent
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and os.listdir(folder) == ["channel"]
    listener.close()
    assert not folder.exists()


def test_the_launched_helper_and_the_app_find_each_other(listener: AppListener) -> None:
    thread, out = in_thread(lambda: connect_to_app(listener.address, KEY, ME, timeout_s=30))
    conn = accept(listener, ME)
    thread.join(30)
    helper_end = out[0]
    assert isinstance(helper_end, Connection)
    helper_end.send_bytes(b"hello")
    assert conn.recv_bytes(16) == b"hello"
    assert not Path(listener.address).parent.exists()  # accept closed the listener: one helper per channel
    conn.close()
    helper_end.close()


def test_so_peercred_names_the_process_at_the_other_end() -> None:
    a, b = socket.socketpair(socket.AF_UNIX)
    with a, b:
        assert peer_credentials(a) == (ME, os.geteuid(), os.getegid())


HIJACKER = """
import sys
from multiprocessing.connection import Client
try:
    Client(sys.argv[1], authkey=b"K" * 32)  # the right key, but not the process the app launched
except BaseException as exc:
    print(type(exc).__name__, flush=True)
else:
    print("connected", flush=True)
"""


def test_a_hijacker_with_the_right_key_but_another_pid_is_hung_up_on_and_the_helper_still_gets_in(
    listener: AppListener,
) -> None:
    accepting, out = in_thread(lambda: accept(listener, ME))
    hijacker = subprocess.run(
        [sys.executable, "-c", HIJACKER, listener.address], capture_output=True, text=True, timeout=60, check=False
    )
    assert hijacker.stdout.strip() in ("EOFError", "ConnectionResetError")  # never even challenged
    helper_end = connect_to_app(listener.address, KEY, ME, timeout_s=30)
    accepting.join(30)
    assert isinstance(out[0], Connection) and listener.refused == 1
    out[0].close()
    helper_end.close()


def test_the_app_refuses_a_peer_whose_pid_is_not_the_helpers(listener: AppListener) -> None:
    thread, out = in_thread(lambda: connect_to_app(listener.address, KEY, ME, timeout_s=30))
    with pytest.raises(ChannelTimeoutError):
        accept(listener, ME + 1, timeout_s=SHORT, slice_s=0.02)  # the expected pid injected wrongly
    thread.join(30)
    assert isinstance(out[0], HandshakeError) and listener.refused == 1


def test_the_helper_refuses_an_app_whose_pid_is_not_the_one_it_was_given(listener: AppListener) -> None:
    accepting, out = in_thread(lambda: accept(listener, ME, handshake_timeout_s=SHORT))
    with pytest.raises(PeerMismatchError):
        connect_to_app(listener.address, KEY, ME + 1, timeout_s=30)
    accepting.join(30)
    assert isinstance(out[0], HandshakeError)  # it hung up before answering: the app learns nothing either


def test_a_wrong_key_fails_the_handshake_on_both_sides(listener: AppListener) -> None:
    thread, out = in_thread(lambda: connect_to_app(listener.address, b"X" * 32, ME, timeout_s=30))
    with pytest.raises(HandshakeError):
        accept(listener, ME)
    thread.join(30)
    assert isinstance(out[0], HandshakeError)


def test_a_helper_that_connects_and_says_nothing_times_the_handshake_out(listener: AppListener) -> None:
    silent = socket.socket(socket.AF_UNIX)
    silent.connect(listener.address)  # our pid, so it passes the pid check, then never answers
    start = time.monotonic()
    with pytest.raises(HandshakeTimeoutError):
        accept(listener, ME, handshake_timeout_s=SHORT)
    assert time.monotonic() - start < 10
    silent.close()


def test_an_app_that_accepts_and_says_nothing_times_the_helper_out() -> None:
    endpoint = UnixTransport().listen()
    try:
        thread, out = in_thread(lambda: endpoint.accept(30))  # accepted, never challenged
        with pytest.raises(HandshakeTimeoutError):
            connect_to_app(endpoint.address, KEY, ME, timeout_s=30, handshake_timeout_s=SHORT)
        thread.join(30)
        out[0].drop()
    finally:
        endpoint.close()


def test_the_helper_gives_up_on_a_channel_that_never_appears(tmp_path: Path) -> None:
    now = [0.0]

    def clock() -> float:
        now[0] += 1
        return now[0]

    transport = UnixTransport(sleep=lambda s: None, clock=clock)
    with pytest.raises(ChannelTimeoutError):
        connect_to_app(str(tmp_path / "missing"), KEY, ME, timeout_s=5, transport=transport)


def test_setting_stop_ends_the_accept_and_the_accepting_thread_closes_the_listener(listener: AppListener) -> None:
    stop = threading.Event()
    stop.set()
    with pytest.raises(ChannelStoppedError):
        accept_helper(listener, ME, timeout_s=30, stop=stop)
    assert not Path(listener.address).parent.exists()


# --- through the transaction service ---


class ExitsAtOnce:
    """A helper that never connects: it exits with code 3 as soon as it is started."""

    prompts = 0

    def launch(self, args: Sequence[str], authkey: bytes) -> HelperProcess:
        return FinishedProcess()


class FinishedProcess:
    pid = 99999

    def wait(self, timeout_s: float | None) -> int | None:
        return 3

    def close(self) -> None:
        pass


def service(make_state: MakeState, paths: AppPaths, launcher: Any = None) -> tuple[TrialService, Any]:
    backend = Backend(BackendKind.SIMULATED, state=make_state().path)
    chosen = launcher or make_launcher(backend)
    built = TrialService(
        make_runner(backend), chosen, helper_backend(backend), History(paths.history), paths.transaction_lock
    )
    return built, backend


def test_a_helper_that_exits_stops_the_accept_and_only_the_accepting_thread_touches_the_endpoint(
    make_state: MakeState, paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, threading.Thread]] = []

    class Recording(UnixTransport):
        def listen(self) -> ServerEndpoint:
            endpoint = super().listen()
            accept_fn, close_fn = endpoint.accept, endpoint.close

            def accept(timeout_s: float) -> Any:
                seen.append(("accept", threading.current_thread()))
                return accept_fn(timeout_s)

            def close() -> None:
                seen.append(("close", threading.current_thread()))
                close_fn()

            endpoint.accept, endpoint.close = accept, close  # type: ignore[method-assign]
            return endpoint

    monkeypatch.setattr(channel, "default_transport", Recording)
    built, _ = service(make_state, paths, ExitsAtOnce())
    from app.domain.model import Change, ExecutionMode, Family, FamilyChange, LoopbackSettings

    change = Change((FamilyChange(Family.IPV4, SIMULATED_INITIAL, LoopbackSettings(ExecutionMode.ADAPTIVE, 8, True)),))

    with pytest.raises(HelperError, match="exit code 3"):  # reported at once, not after the connect timeout
        built.begin(change, seconds=30)
    kinds = [kind for kind, _ in seen]
    assert kinds[-1] == "close" and "accept" not in kinds[kinds.index("close") :]  # (the exit may come first)
    # The watcher only sets the stop flag: an endpoint closed by another thread while it accepts is undefined.
    # Closing from the same thread it was accepted on is what makes the early wake-up safe.
    assert {thread for _, thread in seen} == {threading.current_thread()}


def test_a_helper_whose_pid_cannot_be_read_is_not_let_in(make_state: MakeState, paths: AppPaths) -> None:
    from app.domain.model import Change, ExecutionMode, Family, FamilyChange, LoopbackSettings

    class NoPid(FinishedProcess):
        @property
        def pid(self) -> int:  # type: ignore[override]
            raise OSError("GetProcessId failed (error 6)")

    class Launcher(ExitsAtOnce):
        def launch(self, args: Sequence[str], authkey: bytes) -> HelperProcess:
            return NoPid()

    built, _ = service(make_state, paths, Launcher())
    change = Change((FamilyChange(Family.IPV4, SIMULATED_INITIAL, LoopbackSettings(ExecutionMode.ADAPTIVE, 8, True)),))

    def scenario() -> None:
        with pytest.raises(HelperError, match="process id is unknown"):
            built.begin(change, seconds=30)

    scenario()
    assert [e.outcome for e in History(paths.history).load()[0]] == [Outcome.FAILED.value]


def test_an_oversize_helper_message_is_refused_and_the_helper_reverts(
    make_state: MakeState, paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.domain.model import Change, ExecutionMode, Family, FamilyChange, LoopbackSettings

    processes: list[HelperProcess] = []

    class Keeping:
        prompts = 0

        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def launch(self, args: Sequence[str], authkey: bytes) -> HelperProcess:
            processes.append(self.inner.launch(args, authkey))
            return processes[-1]

    state = make_state()
    backend = Backend(BackendKind.SIMULATED, state=state.path)
    built = TrialService(
        make_runner(backend),
        Keeping(make_launcher(backend)),
        helper_backend(backend),
        History(paths.history),
        paths.transaction_lock,
    )
    monkeypatch.setattr(session, "MAX_MESSAGE_BYTES", 64)  # the helper's "applied" is far longer
    change = Change((FamilyChange(Family.IPV4, SIMULATED_INITIAL, LoopbackSettings(ExecutionMode.ADAPTIVE, 8, True)),))

    def scenario() -> None:
        with pytest.raises(HelperError, match="bad message length"):
            built.begin(change, seconds=30)

    scenario()
    assert processes[0].wait(60) == 1  # EXIT_REVERTED: the app stopped answering, so the helper put it back
    assert machine_values(state) == (dict.fromkeys(Family, SIMULATED_INITIAL), dict.fromkeys(Family, SIMULATED_INITIAL))
    assert [e.outcome for e in History(paths.history).load()[0]] == [Outcome.FAILED.value]


# --- the helper's --app-pid ---


@pytest.mark.parametrize("value", ["0", "-1", "abc", "", "1.5", "+7", "4294967296", "٣"])
def test_the_helper_refuses_an_app_pid_that_is_not_a_process_id(
    value: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.elevation import helper

    monkeypatch.setattr("signal.signal", lambda *args: None)
    argv = [
        *("--backend", "simulated", "--state", "/nonexistent/state.json", "--address", "/nonexistent/socket"),
        *("--deadline-seconds", "30", "--keep-store", "persistent", "--change", "ipv4:loopbackworkercount=8"),
        *("--authkey", "ab" * 32),
    ]
    assert helper.main(argv) == helper.EXIT_USAGE  # missing
    assert "--app-pid" in capsys.readouterr().err
    assert helper.main([*argv, "--app-pid", value]) == helper.EXIT_USAGE
    assert capsys.readouterr().err.startswith("helper: refused:")


def test_the_helper_hands_its_app_pid_to_the_channel(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from app.elevation import helper

    monkeypatch.setattr("signal.signal", lambda *args: None)
    seen: list[tuple[str, bytes, int]] = []

    def fake_connect(address: str, authkey: bytes, app_pid: int, **options: Any) -> Connection:
        seen.append((address, authkey, app_pid))
        raise PeerMismatchError("not the app")

    monkeypatch.setattr(channel, "connect_to_app", fake_connect)
    argv = [
        *("--backend", "simulated", "--state", str(tmp_path / "s.json"), "--address", "/nonexistent/socket"),
        *("--deadline-seconds", "30", "--keep-store", "persistent", "--change", "ipv4:loopbackworkercount=8"),
        *("--authkey", "ab" * 32, "--app-pid", "4242"),
    ]
    assert helper.main(argv) == helper.EXIT_FAILED
    assert seen == [("/nonexistent/socket", bytes.fromhex("ab" * 32), 4242)]
