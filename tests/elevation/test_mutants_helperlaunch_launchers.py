"""Starting the helper, in-process with the process and Win32 boundaries faked (a mutation tool's copy is what runs):
the exact Popen call on each platform, the key on stdin, the prompt count, the owner window, and the messages."""

from __future__ import annotations

import io
import subprocess
import sys
from typing import Any

import pytest

from app.elevation import launchers
from app.elevation.launchers import ElevationCancelledError, HelperStartError, ProcessLauncher, UacLauncher
from tests.platform.test_win32_security import FakeSecurityApi
from tests.platform.test_windows import FakeWin32Api

KEY = bytes(range(32))
GUI_EXE = r"C:\Program Files\Loopback Tuner\loopback-tuner.exe"
CREATE_NEW_PROCESS_GROUP = 0x00000200  # WinBase.h
CREATE_NO_WINDOW = 0x08000000


class FakeStdin(io.BytesIO):
    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.fail, self.written = fail, b""

    def write(self, data: Any) -> int:
        if self.fail:
            raise BrokenPipeError("gone")
        self.written += data
        return len(data)

    def close(self) -> None:
        self.closed_by_launcher = True


class FakePopen:
    def __init__(self, argv: list[str], **kwargs: Any) -> None:
        self.argv, self.kwargs = argv, kwargs
        self.stdin = FakeStdin(fail=FakePopen.fail_stdin)
        self.pid = 4321
        FakePopen.made.append(self)

    made: list[FakePopen] = []  # noqa: RUF012
    fail_stdin = False


@pytest.fixture
def popen(monkeypatch: pytest.MonkeyPatch) -> list[FakePopen]:
    FakePopen.made = []
    FakePopen.fail_stdin = False
    monkeypatch.setattr(subprocess, "Popen", FakePopen)
    return FakePopen.made


def test_the_cancelled_prompt_says_nothing_changed() -> None:
    assert str(ElevationCancelledError()) == "The administrator prompt was cancelled; nothing was changed."


def test_off_windows_the_helper_starts_in_its_own_session_with_the_key_on_stdin(
    monkeypatch: pytest.MonkeyPatch, popen: list[FakePopen]
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    launcher = ProcessLauncher(["/usr/bin/python3", "-I", "-m", "app.helper"])
    process = launcher.launch(["--backend", "simulated"], KEY)
    launcher.launch([], KEY)
    assert launcher.launched == 2 and process.pid == 4321
    first = popen[0]
    assert first.argv == ["/usr/bin/python3", "-I", "-m", "app.helper", "--backend", "simulated", "--authkey-stdin"]
    assert first.kwargs == {"stdin": subprocess.PIPE, "stdout": subprocess.DEVNULL, "start_new_session": True}
    assert first.stdin.written == KEY.hex().encode() + b"\n" and first.stdin.closed_by_launcher


def test_on_windows_the_helper_gets_its_own_process_group_and_no_window(
    monkeypatch: pytest.MonkeyPatch, popen: list[FakePopen]
) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(subprocess, "CREATE_NEW_PROCESS_GROUP", CREATE_NEW_PROCESS_GROUP, raising=False)
    ProcessLauncher(["pythonw.exe"], {"__PYVENV_LAUNCHER__": "venv-python.exe"}).launch([], KEY)
    kwargs = popen[0].kwargs
    assert kwargs["creationflags"] == CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW
    assert "start_new_session" not in kwargs
    assert kwargs["env"]["__PYVENV_LAUNCHER__"] == "venv-python.exe"
    assert set(kwargs) == {"stdin", "stdout", "creationflags", "env"}


def test_the_environment_is_added_to_ours(monkeypatch: pytest.MonkeyPatch, popen: list[FakePopen]) -> None:
    monkeypatch.setenv("LT_SEEN", "yes")
    ProcessLauncher(["python"], {"EXTRA": "1"}).launch([], KEY)
    env = popen[0].kwargs["env"]
    assert env["EXTRA"] == "1" and env["LT_SEEN"] == "yes"


def test_a_helper_that_dies_before_reading_its_key_is_still_returned(popen: list[FakePopen]) -> None:
    FakePopen.fail_stdin = True
    assert ProcessLauncher(["python"]).launch([], KEY).pid == 4321


def _frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", GUI_EXE)


def test_uac_launcher_defaults_to_the_real_win32_and_security_apis(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.platform import win32_security, windows

    api, security = FakeWin32Api(), FakeSecurityApi()
    monkeypatch.setattr(windows, "default_api", lambda: api)
    made: list[FakeSecurityApi] = []
    monkeypatch.setattr(win32_security, "default_security_api", lambda: made.append(security) or security)
    _frozen(monkeypatch)
    UacLauncher().launch(["--backend", "system"], KEY)
    assert len(api.infos) == 1 and security.read_paths()[0] == GUI_EXE
    assert len(made) == 1  # one security API for the launch: the exe's and the folder's checks share it


def test_each_uac_launch_is_one_more_prompt_owned_by_the_apps_window(monkeypatch: pytest.MonkeyPatch) -> None:
    _frozen(monkeypatch)
    api = FakeWin32Api()
    launcher = UacLauncher(lambda: 0x1234, api=api, security=FakeSecurityApi())
    launcher.launch([], KEY)
    launcher.launch([], KEY)
    assert launcher.prompts == 2
    assert [info["hwnd"] for info in api.infos] == [0x1234, 0x1234]


def test_uac_cancel_and_failure_become_the_launchers_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    _frozen(monkeypatch)
    api = FakeWin32Api(shell_execute_ok=False, last_error=1223)  # ERROR_CANCELLED
    launcher = UacLauncher(api=api, security=FakeSecurityApi())
    with pytest.raises(ElevationCancelledError):
        launcher.launch([], KEY)
    api.last_error = 2  # ERROR_FILE_NOT_FOUND
    with pytest.raises(HelperStartError) as caught:
        launcher.launch([], KEY)
    assert str(caught.value).startswith("Windows could not start the elevated helper (error 2: ")
    assert type(caught.value) is launchers.HelperStartError


def test_a_frozen_windows_build_starts_the_gui_exe_by_its_windows_path() -> None:
    command = launchers.helper_command(
        frozen=True, executable=GUI_EXE.replace("loopback-tuner", "loopback-tuner-cli"), windows=True
    )
    assert command.argv == (GUI_EXE, "--elevated-helper")


def test_in_a_windows_venv_the_base_interpreter_comes_from_sys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "_base_executable", r"C:\Python311\python.exe", raising=False)
    command = launchers.helper_command(
        frozen=False, executable=r"C:\src\.venv\Scripts\python.exe", windows=True, exists=lambda _: False
    )
    assert command.argv == (r"C:\Python311\python.exe", "-I", "-m", "app.helper")
    assert command.environment == {"__PYVENV_LAUNCHER__": r"C:\src\.venv\Scripts\python.exe"}
