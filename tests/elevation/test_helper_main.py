"""The elevated side through its entry point: ``app.elevation.helper.main`` with arguments it must refuse.

Each refusal exits 2 (EXIT_USAGE) with one "helper: refused:" line, and nothing happened: no channel was opened,
the machine lock was not taken, and the simulated machine's state file is byte for byte what it was.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import app.elevation.channel as channel
import app.platform.windows as windows
from app.elevation import helper
from app.elevation.helper import EXIT_USAGE
from app.elevation.machine_lock import sim_machine_lock_path
from tests.conftest import MakeState

KEY = "ab" * 32
PIPE = r"\\.\pipe\LoopbackTuner-" + "0123456789abcdef" * 2


@dataclass
class World:
    state: Path
    before: bytes
    connects: list[tuple[object, ...]]


@pytest.fixture
def world(make_state: MakeState, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setattr(signal, "signal", lambda *args: None)  # helper.main ignores Ctrl+C: not in this process
    state = make_state(build=22621)  # not the default machine, so the file is written
    connects: list[tuple[object, ...]] = []

    def connect(*args: object, **kwargs: object) -> object:
        connects.append(args)
        raise AssertionError("a refused helper must never open its channel")

    monkeypatch.setattr(channel, "connect_to_app", connect)
    yield World(state.path, state.path.read_bytes(), connects)


def argv(world: World, **override: str | None) -> list[str]:
    """A helper command line that passes every check; ``override`` replaces (or, with None, drops) one option."""
    options: dict[str, str | None] = {
        "--backend": "simulated",
        "--state": str(world.state),
        "--address": str(world.state.parent / "channel"),
        "--app-pid": "4242",
        "--deadline-seconds": "40",
        "--keep-store": "persistent",
        "--change": "ipv4:loopbackworkercount=8",
        "--authkey": KEY,
    }
    options.update({f"--{k.replace('_', '-')}": v for k, v in override.items()})
    return [part for name, value in options.items() if value is not None for part in (name, value)]


def assert_refused(world: World, args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert helper.main(args) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("helper: refused:") and err.count("\n") == 1, err
    assert world.connects == []
    assert world.state.read_bytes() == world.before
    assert not sim_machine_lock_path(world.state).exists()
    return err


def test_the_baseline_command_line_gets_past_every_check(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Proof that each refusal below is about the one option it changes: unchanged, the helper goes on to connect.
    monkeypatch.setattr(channel, "connect_to_app", lambda *args, **kwargs: (_ for _ in ()).throw(OSError("no app")))
    assert helper.main(argv(world)) == helper.EXIT_FAILED
    assert "no authenticated channel" in capsys.readouterr().err


@pytest.mark.parametrize(
    "address",
    [None, "", "channel", "relative/channel", "/tmp/chan\0nel", "/" + "a" * 200, r"\\.\pipe\LoopbackTuner-" + "a" * 32],
)
def test_a_missing_or_garbled_address_is_refused(
    world: World, address: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_refused(world, argv(world, address=address), capsys)


@pytest.mark.parametrize(
    "address",
    [
        r"\\fileserver\pipe\LoopbackTuner-" + "a" * 32,  # remote: would send the admin's credentials over SMB
        r"\\?\UNC\fileserver\pipe\LoopbackTuner-" + "a" * 32,
        r"\\.\pipe\LoopbackTuner-" + "a" * 31,
        r"\\.\pipe\LoopbackTuner-" + "a" * 32 + r"\..\other",
        "/tmp/channel",  # a socket path is not a pipe on Windows
    ],
)
def test_on_windows_only_the_apps_local_pipe_is_accepted(
    world: World, address: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "win32")  # the address check runs before anything Windows-only
    assert "this machine's LoopbackTuner pipe" in assert_refused(world, argv(world, address=address), capsys)


@pytest.mark.parametrize("pid", [None, "", "0", "-1", "abc", "4294967296", "\uff11\uff12", "12 ", "0x10"])
def test_a_bad_app_pid_is_refused(world: World, pid: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    assert_refused(world, argv(world, app_pid=pid), capsys)


@pytest.mark.parametrize("deadline", [None, "0", "-5", "3661", "ten", "1e3", "nan"])
def test_a_bad_deadline_is_refused(world: World, deadline: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    assert_refused(world, argv(world, deadline_seconds=deadline), capsys)


@pytest.mark.parametrize("key", [None, "", "ab" * 31, "ab" * 33, "zz" * 32, "ab" * 31 + "a "])
def test_a_bad_key_is_refused(world: World, key: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    assert_refused(world, argv(world, authkey=key), capsys)


@pytest.mark.parametrize("line", ["", "\n", "ab" * 16 + "\n", "xy" * 32 + "\n"])
def test_a_bad_key_on_stdin_is_refused(
    world: World, line: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(line))
    assert_refused(world, [*argv(world, authkey=None), "--authkey-stdin"], capsys)


@pytest.mark.skipif(sys.platform == "win32", reason="checks the behaviour off Windows")
def test_the_system_backend_off_windows_is_refused(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    err = assert_refused(world, argv(world, backend="system", state=None), capsys)
    assert "only on Windows" in err


class _ElevatedApi:
    def is_process_elevated(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("backend", "extra"),
    [("custom", {"state": None, "netsh": "/tmp/netsh"}), ("simulated", {})],
)
def test_an_elevated_helper_refuses_a_custom_netsh_and_the_simulator(
    world: World,
    backend: str,
    extra: dict[str, str | None],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As on Windows in an elevated process: only System32's netsh may run, never a program or a state file the user
    # could write. The address is the pipe the app makes, so the refusal is the backend's.
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(windows, "default_api", _ElevatedApi)
    err = assert_refused(world, argv(world, backend=backend, address=PIPE, **extra), capsys)
    assert "an elevated helper only uses the system netsh" in err


@pytest.mark.parametrize(
    "extra",
    [("--keep-store", "everywhere"), ("--netsh-timeout", "nan"), ("--run", "calc.exe"), ("--change", "ipv4:mtu=1")],
)
def test_other_refusals_change_nothing(
    world: World, extra: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert_refused(world, [*argv(world), *extra], capsys)
