"""ElevatedProcess's waits and closes through the recording fake (nested waits, a close during a wait, a failing
GetExitCodeProcess with its exact error), the process id asked of the pipe layer, and the real api chosen only on
Windows: in-process, so mutmut sees each of them."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest

from app.platform import win32_pipes, windows
from app.platform.windows import ElevatedProcess, Win32Error
from tests.platform.test_windows import PROCESS_HANDLE, FakeWin32Api


@dataclass
class FailingExitCode(FakeWin32Api):
    """GetExitCodeProcess raises ``error``."""

    error: OSError | None = None

    def get_exit_code_process(self, handle: int) -> int:
        self.calls.append(("get_exit_code_process", (handle,)))
        assert self.error is not None
        raise self.error


def test_a_failing_exit_code_read_names_the_function_and_windows_error() -> None:
    error = OSError(5, "Access is denied")
    error.winerror = 5  # type: ignore[attr-defined]  # what ctypes.WinError sets on Windows
    api = FailingExitCode(error=error)
    with pytest.raises(Win32Error) as info:
        ElevatedProcess(api, PROCESS_HANDLE).wait(1.0)
    assert str(info.value) == "GetExitCodeProcess failed (error 5)"
    assert (info.value.function, info.value.winerror) == ("GetExitCodeProcess", 5)
    assert info.value.__cause__ is error


def test_a_failing_exit_code_read_without_a_windows_error_reports_zero() -> None:
    api = FailingExitCode(error=OSError("no code"))
    with pytest.raises(Win32Error) as info:
        ElevatedProcess(api, PROCESS_HANDLE).wait(1.0)
    assert str(info.value) == "GetExitCodeProcess failed (error 0)"
    assert info.value.winerror == 0


def test_wait_after_close_is_refused_word_for_word() -> None:
    process = ElevatedProcess(FakeWin32Api(), PROCESS_HANDLE)
    process.close()
    with pytest.raises(ValueError, match=r"^wait\(\) on a closed ElevatedProcess$"):
        process.wait(1.0)


def test_wait_is_refused_once_close_was_asked_even_while_another_wait_holds_the_handle() -> None:
    api = FakeWin32Api()
    process = ElevatedProcess(api, PROCESS_HANDLE)
    refusals: list[str] = []

    def close_then_wait_again() -> None:
        api.during_wait = None
        process.close()  # deferred: the outer wait still holds the handle
        with pytest.raises(ValueError) as info:
            process.wait(1.0)
        refusals.append(str(info.value))

    api.during_wait = close_then_wait_again
    assert process.wait(1.0) == 0
    assert refusals == ["wait() on a closed ElevatedProcess"]
    assert api.names().count("wait_for_single_object") == 1
    assert api.calls[-1] == ("close_handle", (PROCESS_HANDLE,))  # closed when the outer wait returned


def test_a_close_during_nested_waits_waits_for_the_last_one() -> None:
    api = FakeWin32Api()
    process = ElevatedProcess(api, PROCESS_HANDLE)
    seen: list[list[str]] = []

    def inner_wait_then_close() -> None:
        api.during_wait = None
        assert process.wait(1.0) == 0  # a second waiter, finished while the first still waits
        process.close()
        seen.append(api.names())

    api.during_wait = inner_wait_then_close
    assert process.wait(1.0) == 0
    assert "close_handle" not in seen[0]  # the outer wait still held the handle
    assert api.calls[-1] == ("close_handle", (PROCESS_HANDLE,))
    assert api.names().count("close_handle") == 1
    assert process.closed is True


def test_a_new_process_is_not_closed() -> None:
    assert ElevatedProcess(FakeWin32Api(), PROCESS_HANDLE).closed is False


class FakePipeApi:
    def __init__(self) -> None:
        self.asked: list[int] = []

    def get_process_id(self, process_handle: int) -> int:
        self.asked.append(process_handle)
        return 4242


def test_the_pid_is_asked_of_the_pipe_layer_for_this_handle_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    pipes = FakePipeApi()
    monkeypatch.setattr(win32_pipes, "default_pipe_api", lambda: pipes)
    process = ElevatedProcess(FakeWin32Api(), PROCESS_HANDLE)
    assert process.pid == 4242
    assert process.pid == 4242  # asked once
    assert pipes.asked == [PROCESS_HANDLE]
    assert windows._process_id(77) == 4242
    assert pipes.asked == [PROCESS_HANDLE, 77]


def test_the_real_api_is_made_on_windows_only(monkeypatch: pytest.MonkeyPatch) -> None:
    class Real:
        pass

    monkeypatch.setattr(windows, "CtypesWin32Api", Real)
    monkeypatch.setattr(sys, "platform", "win32")
    assert isinstance(windows.default_api(), Real)
    monkeypatch.setattr(sys, "platform", "linux")
    with pytest.raises(RuntimeError, match=r"^the Win32 API is only available on Windows, not 'linux'$"):
        windows.default_api()
