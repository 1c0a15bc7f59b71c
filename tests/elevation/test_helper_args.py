"""The (elevated) helper refuses every argument it should not act on, before it connects or runs anything."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

from app.domain.errors import ValidationError
from app.domain.model import ExecutionMode, Family, SettingsPatch
from app.elevation import helper
from app.elevation.helper import EXIT_USAGE, parse_changes

KEY = "ab" * 32


@pytest.fixture(autouse=True)
def keep_sigint(monkeypatch: pytest.MonkeyPatch) -> None:
    """helper.main ignores Ctrl+C for its process; in this test process that must not stick."""
    monkeypatch.setattr(signal, "signal", lambda *args: None)


def args(
    *extra: str,
    backend: tuple[str, ...] | None = None,
    key: str | None = KEY,
    change: tuple[str, ...] = ("--change", "ipv4:loopbackworkercount=8"),
) -> list[str]:
    chosen = backend if backend is not None else ("--backend", "simulated", "--state", "/nonexistent/state.json")
    return [
        *chosen,
        "--address",
        "/nonexistent/socket",
        "--app-pid",
        "4242",
        "--deadline-seconds",
        "30",
        "--keep-store",
        "persistent",
        *change,
        *(("--authkey", key) if key is not None else ()),
        *extra,
    ]


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert helper.main(argv) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("helper: refused:")
    return err


@pytest.mark.parametrize(
    "change",
    [
        "ipv4:mtu=1500",
        "ipv4:loopbackworkercount=8,defaultcurhoplimit=1",
        "ipv4:store=persistent",
        "ipv4:loopbackworkercount=0",
        "ipv4:loopbackworkercount=17",
        "ipv4:loopbackworkercount=4 ",
        "ipv4:loopbackexecutionmode=fast",
        "ipv4:loopbackexecutionmode=inline;calc",
        "ipv4:loopbackexecutionmode=inline&calc",
        "ipv4:loopbacklargemtu=enable|calc",
        "ipv4:loopbacklargemtu=enabled",
        "ipv4:",
        "ipv4",
        "tcp:loopbackworkercount=4",
        "ipv4:loopbackworkercount=4,loopbackworkercount=5",
        "ipv4:loopbackworkercount=4,,loopbacklargemtu=enable",
    ],
)
def test_refuses_bad_changes(change: str, capsys: pytest.CaptureFixture[str]) -> None:
    refused(args(change=("--change", change)), capsys)


def test_refuses_two_entries_for_one_family(capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(
        args(change=("--change", "ipv4:loopbackworkercount=8", "--change", "ipv4:loopbacklargemtu=enable")), capsys
    )
    assert "named twice" in err


def test_refuses_no_change(capsys: pytest.CaptureFixture[str]) -> None:
    refused(args(change=()), capsys)


@pytest.mark.parametrize("key", [None, "", "ab" * 16, "ab" * 33, "zz" * 32])
def test_refuses_a_missing_short_or_bad_key(key: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    refused(args(key=key), capsys)


@pytest.mark.skipif(sys.platform == "win32", reason="checks the behaviour off Windows")
def test_refuses_the_system_backend_off_windows(capsys: pytest.CaptureFixture[str]) -> None:
    assert "only on Windows" in refused(args(backend=("--backend", "system")), capsys)


@pytest.mark.parametrize(
    "backend",
    [
        ("--backend", "system", "--state", "/tmp/s.json"),
        ("--backend", "system", "--netsh", "/tmp/netsh"),
        ("--backend", "simulated"),
        ("--backend", "simulated", "--state", "/tmp/s.json", "--netsh", "/tmp/netsh"),
        ("--backend", "custom"),
        ("--backend", "custom", "--netsh", "/tmp/netsh", "--state", "/tmp/s.json"),
        ("--backend", "powershell"),
        (),
    ],
)
def test_refuses_backend_combinations(backend: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    refused(args(backend=backend), capsys)


@pytest.mark.parametrize(
    "extra",
    [
        ("--deadline-seconds", "0"),
        ("--deadline-seconds", "3661"),
        ("--deadline-seconds", "ten"),
        ("--keep-store", "everywhere"),
        ("--netsh-timeout", "0"),
        ("--netsh-timeout", "301"),
        ("--netsh-timeout", "nan"),
        ("--netsh-timeout", "inf"),
        ("--netsh-timeout", "-1"),
        ("--run", "calc.exe"),
    ],
)
def test_refuses_out_of_range_options(extra: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    refused(args(*extra), capsys)


def test_a_valid_command_line_gets_past_the_checks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The only failure left is the missing channel: proof that the refusals above are about the arguments.
    def connect(address: str, key: bytes, app_pid: int) -> None:
        raise FileNotFoundError(address)

    argv = args("--netsh-timeout", "2.5", backend=("--backend", "simulated", "--state", str(tmp_path / "s.json")))
    assert helper.main(argv, connect=connect) == helper.EXIT_FAILED
    assert "nothing changed" in capsys.readouterr().err
    assert not (tmp_path / "s.json").exists()


def test_parse_changes_builds_typed_patches() -> None:
    assert parse_changes(
        ["ipv6:loopbackexecutionmode=worker,loopbacklargemtu=disable", "ipv4:loopbackworkercount=2"]
    ) == [(Family.IPV6, SettingsPatch(ExecutionMode.WORKER, None, False)), (Family.IPV4, SettingsPatch(None, 2))]
    with pytest.raises(ValidationError):
        parse_changes(["ipv4:loopbackworkercount=2,store=persistent"])


@pytest.mark.parametrize(
    "address",
    [
        r"\\fileserver\pipe\LoopbackTuner-" + "a" * 32,  # remote: would send the admin's credentials over SMB
        r"\\.\pipe\LoopbackTuner-" + "a" * 31,
        r"\\.\pipe\LoopbackTuner-" + "A" * 32,
        r"\\.\pipe\something-else",
        r"C:\Users\me\channel",
        "",
    ],
)
def test_the_helper_connects_only_to_the_apps_own_local_pipe_on_windows(address: str) -> None:
    from app.elevation.helper import HelperUsageError, check_address

    with pytest.raises(HelperUsageError):
        check_address(address, platform="win32")


def test_the_helper_accepts_the_address_the_app_makes() -> None:
    from app.elevation.helper import check_address

    pipe = r"\\.\pipe\LoopbackTuner-" + "0123456789abcdef" * 2
    assert check_address(pipe, platform="win32") == pipe
    assert check_address("/tmp/loopback-tuner-x/channel", platform="linux") == "/tmp/loopback-tuner-x/channel"
    with pytest.raises(Exception, match="absolute"):
        check_address("relative/channel", platform="linux")
