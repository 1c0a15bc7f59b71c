"""The helper's entry point with bad and borderline arguments, called through ``main`` (in-process, so a mutation
tool's copy is what runs): each refusal is exit 2 with its exact one-line message, and each accepted border
gets past every check (the only failure left is the missing channel)."""

from __future__ import annotations

import io
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from app.elevation import helper
from app.elevation.helper import EXIT_FAILED, EXIT_USAGE

KEY = "ab" * 32


@pytest.fixture(autouse=True)
def keep_sigint(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """helper.main ignores Ctrl+C for its process; here the call is recorded instead of changing pytest's."""
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(signal, "signal", lambda *args: calls.append(args))
    return calls


class NoChannel:
    """The helper's connect function (``helper.main(..., connect=...)``): records each call, finds no app."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def connect(self, *args: Any) -> Any:
        self.calls.append(args)
        raise FileNotFoundError("no app")


@pytest.fixture
def no_channel() -> NoChannel:
    return NoChannel()


def argv(state: Path, *extra: str, drop: str = "", key: str | None = KEY) -> list[str]:
    options = {
        "--backend": "simulated",
        "--state": str(state),
        "--address": "/nonexistent/socket",
        "--app-pid": "4242",
        "--deadline-seconds": "30",
        "--keep-store": "persistent",
        "--change": "ipv4:loopbackworkercount=8",
    }
    if key is not None:
        options["--authkey"] = key
    out = [item for name, value in options.items() if name != drop for item in (name, value)]
    return [*out, *extra]


def refusal(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert helper.main(args, connect=NoChannel().connect) == EXIT_USAGE  # refused before any channel
    return capsys.readouterr().err


@pytest.mark.parametrize(
    ("drop", "name"),
    [
        ("--backend", "--backend"),
        ("--address", "--address"),
        ("--app-pid", "--app-pid"),
        ("--deadline-seconds", "--deadline-seconds"),
        ("--keep-store", "--keep-store"),
        ("--change", "--change"),
    ],
)
def test_every_required_argument_is_required(
    drop: str, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = refusal(argv(tmp_path / "s.json", drop=drop), capsys)
    assert err == f"helper: refused: the following arguments are required: {name}\n"


def test_help_is_not_an_option_of_the_elevated_helper(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert refusal(argv(tmp_path / "s.json", "-h"), capsys) == "helper: refused: unrecognized arguments: -h\n"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--backend", "custom", "--netsh", "/bin/x"), "the custom backend needs --netsh and no --state"),
        (
            ("--keep-store", "ACTIVE"),
            "argument --keep-store: invalid choice: 'ACTIVE'",
        ),
        (
            ("--backend", "CUSTOM"),
            "argument --backend: invalid choice: 'CUSTOM'",
        ),
        (("--app-pid", "0"), "argument --app-pid: not a process id: '0'"),
        (("--app-pid", str(2**32)), f"argument --app-pid: not a process id: '{2**32}'"),
        (("--deadline-seconds", "0"), "deadline out of range"),
        (("--deadline-seconds", "3661"), "deadline out of range"),
        (("--netsh-timeout", "0.09"), "--netsh-timeout must be 0.1 to 300 seconds"),
        (("--netsh-timeout", "300.5"), "--netsh-timeout must be 0.1 to 300 seconds"),
        (("--change", "ipv4:"), "bad change 'ipv4:'"),
        (("--change", "ipv4:loopbacklargemtu=enable:x"), "large MTU must be enable or disable, got 'enable:x'"),
        (("--address", "socket"), "the channel must be an absolute socket path"),
        (("--address", "/tmp/a\0b"), "the channel must be an absolute socket path"),
        (("--address", "/" + "a" * 200), "the channel must be an absolute socket path"),
        (("--authkey", "ab" * 31), "a 32-byte key is required"),
    ],
)
def test_each_refusal_says_why(
    extra: tuple[str, ...], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = argv(tmp_path / "s.json", *extra)
    if extra[0] == "--backend" and extra[1] == "custom":
        args = [*args[:2], *args[4:]]  # drop --state: then add it back, to hit "and no --state"
        args += ["--state", str(tmp_path / "s.json")]
    err = refusal(args, capsys)
    if "invalid choice" in message:  # argparse words the list of choices differently across Python versions
        assert err.startswith(f"helper: refused: {message} (choose from ")
    else:
        assert err == f"helper: refused: {message}\n"


def test_the_system_backend_refuses_a_state_or_a_netsh(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = [a for a in argv(tmp_path / "s.json") if a not in ("--state", str(tmp_path / "s.json"))]
    base[base.index("simulated")] = "system"
    for extra in (["--state", "/tmp/s.json"], ["--netsh", "/tmp/netsh"]):
        assert refusal([*base, *extra], capsys) == "helper: refused: the system backend takes no --state or --netsh\n"


@pytest.mark.skipif(sys.platform == "win32", reason="checks the behaviour off Windows")
def test_the_system_backend_is_refused_off_windows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = [a for a in argv(tmp_path / "s.json") if a not in ("--state", str(tmp_path / "s.json"))]
    base[base.index("simulated")] = "system"
    assert refusal(base, capsys) == "helper: refused: the system backend exists only on Windows\n"


@pytest.mark.parametrize(
    "extra",
    [
        ("--deadline-seconds", "1"),
        ("--deadline-seconds", "3660"),
        ("--netsh-timeout", "0.1"),
        ("--netsh-timeout", "300"),
        ("--app-pid", "1"),
        ("--address", "/" + "a" * 199),
    ],
)
def test_the_borders_are_accepted(
    extra: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str], no_channel: NoChannel
) -> None:
    assert helper.main(argv(tmp_path / "s.json", *extra), connect=no_channel.connect) == EXIT_FAILED
    assert "no authenticated channel (FileNotFoundError: no app); nothing changed" in capsys.readouterr().err
    assert len(no_channel.calls) == 1


def test_the_channel_is_asked_for_the_apps_address_key_and_process(
    tmp_path: Path, no_channel: NoChannel, keep_sigint: list[tuple[Any, ...]]
) -> None:
    helper.main(argv(tmp_path / "s.json", "--app-pid", "77", "--address", "/run/x.sock"), connect=no_channel.connect)
    assert no_channel.calls == [("/run/x.sock", bytes.fromhex(KEY), 77)]
    assert keep_sigint == [(signal.SIGINT, signal.SIG_IGN)]


def test_the_key_can_come_on_standard_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_channel: NoChannel
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("cd" * 32 + "\n"))
    assert (
        helper.main(argv(tmp_path / "s.json", "--authkey-stdin", key=None), connect=no_channel.connect) == EXIT_FAILED
    )
    assert no_channel.calls[0][1] == bytes.fromhex("cd" * 32)


def test_without_argv_the_helper_reads_its_own_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_channel: NoChannel
) -> None:
    monkeypatch.setattr(sys, "argv", ["helper", *argv(tmp_path / "s.json")])
    assert helper.main(connect=no_channel.connect) == EXIT_FAILED
    assert len(no_channel.calls) == 1


def test_the_runner_gets_the_backend_and_the_netsh_time_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_channel: NoChannel
) -> None:
    from app.runners import factory

    made: list[tuple[Any, ...]] = []
    monkeypatch.setattr(factory, "make_runner", lambda backend, **kw: made.append((backend, kw)))
    state = tmp_path / "s.json"
    helper.main(argv(state, "--netsh-timeout", "2.5"), connect=no_channel.connect)
    assert made == [(factory.Backend(factory.BackendKind.SIMULATED, state=state), {"as_admin": True, "timeout_s": 2.5})]
    made.clear()
    custom = [a for a in argv(state, "--netsh-timeout", "7") if a not in ("--state", str(state))]
    custom[custom.index("simulated")] = "custom"
    helper.main([*custom, "--netsh", "/opt/netsh"], connect=no_channel.connect)
    assert made == [(factory.Backend(factory.BackendKind.CUSTOM, netsh=Path("/opt/netsh")), {"timeout_s": 7.0})]


def test_a_bug_exits_failed_with_its_repr_never_reverted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Broken:  # a channel that breaks as it is entered: the error leaves the helper's own code
        def __enter__(self) -> None:
            raise RuntimeError("bug")

        def __exit__(self, *args: object) -> None:
            return None

    assert helper.main(argv(tmp_path / "s.json"), connect=lambda *args: Broken()) == EXIT_FAILED  # type: ignore[arg-type,return-value]
    assert capsys.readouterr().err == "helper: failed: RuntimeError('bug')\n"
