"""The Windows layer's pure logic, exact: error messages, the native System32 folder for this Python's bitness,
and the launcher's refusals, through the recording FakeWin32Api (no real Windows needed)."""

from __future__ import annotations

import sys
from pathlib import PureWindowsPath

import pytest

from app.platform import windows
from app.platform.windows import (
    ElevatedLauncher,
    ElevationCancelledError,
    ElevationFailedError,
    Win32Error,
    netsh_path,
    system_tool_path,
    windows_command_line,
)
from tests.platform.test_windows import FakeWin32Api


def test_win32_errors_name_the_function_and_the_code() -> None:
    error = Win32Error("GetExitCodeProcess", 6)
    assert (str(error), error.function, error.winerror) == (
        "GetExitCodeProcess failed (error 6)",
        "GetExitCodeProcess",
        6,
    )


def test_a_cancelled_prompt_says_so_and_carries_error_cancelled() -> None:
    error = ElevationCancelledError()
    assert str(error) == "The administrator permission prompt was declined."
    assert error.winerror == 1223  # ERROR_CANCELLED


def test_no_handle_after_success_is_a_failure_with_error_0(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeWin32Api(process_handle=None)
    with pytest.raises(ElevationFailedError) as info:
        ElevatedLauncher(api).launch(r"C:\App\helper.exe", [], owner_hwnd=None)  # type: ignore[arg-type]
    assert str(info.value) == (
        "Windows could not start the elevated helper (error 0: Windows reported success but returned no process handle)"
    )


@pytest.mark.parametrize(
    ("executable", "directory", "message"),
    [
        ("C:\\App\\he\0lper.exe", None, "executable cannot contain NUL: 'C:\\\\App\\\\he\\x00lper.exe'"),
        (r"C:\App\helper.exe", "C:\\W\0", "directory cannot contain NUL: 'C:\\\\W\\x00'"),
        (
            r"helper.exe",
            None,
            "executable must be an absolute Windows path (drive or UNC share and root): 'helper.exe'",
        ),
        (r"C:\App\helper.exe", r"W", "directory must be an absolute Windows path (drive or UNC share and root): 'W'"),
    ],
)
def test_the_launcher_refuses_paths_before_any_prompt(executable: str, directory: str | None, message: str) -> None:
    api = FakeWin32Api()
    with pytest.raises(ValueError) as info:
        ElevatedLauncher(api).launch(executable, [], owner_hwnd=None, directory=directory)  # type: ignore[arg-type]
    assert str(info.value) == message
    assert "shell_execute_ex" not in api.names()


def test_netsh_is_system32s_own_and_sysnative_only_for_32_bit_python_on_64_bit_windows() -> None:
    api = FakeWin32Api(system_root=r"C:\Windows")
    assert str(netsh_path(api, python_is_64bit=True)) == r"C:\Windows\System32\netsh.exe"  # type: ignore[arg-type]
    assert str(netsh_path(api, python_is_64bit=False)) == r"C:\Windows\Sysnative\netsh.exe"  # type: ignore[arg-type]
    api.windows_64bit = False
    assert str(netsh_path(api, python_is_64bit=False)) == r"C:\Windows\System32\netsh.exe"  # type: ignore[arg-type]


def test_the_bitness_of_this_python_decides_when_not_told(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeWin32Api(system_root=r"C:\Windows")
    monkeypatch.setattr(sys, "maxsize", 2**31 - 1)  # 32-bit
    assert system_tool_path(api, "x.exe") == PureWindowsPath(r"C:\Windows\Sysnative\x.exe")  # type: ignore[arg-type]
    monkeypatch.setattr(sys, "maxsize", 2**32)  # not more than 2**32: still treated as 32-bit
    assert system_tool_path(api, "x.exe") == PureWindowsPath(r"C:\Windows\Sysnative\x.exe")  # type: ignore[arg-type]
    monkeypatch.setattr(sys, "maxsize", 2**63 - 1)  # 64-bit
    assert system_tool_path(api, "x.exe") == PureWindowsPath(r"C:\Windows\System32\x.exe")  # type: ignore[arg-type]


def test_a_bare_string_is_refused_as_a_command_line() -> None:
    with pytest.raises(TypeError) as info:
        windows_command_line("a b")
    assert str(info.value) == "windows_command_line() takes a sequence of arguments, not a str"


def test_the_real_api_is_refused_off_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    with pytest.raises(RuntimeError) as info:
        windows.default_api()
    assert str(info.value) == "the Win32 API is only available on Windows, not 'linux'"
