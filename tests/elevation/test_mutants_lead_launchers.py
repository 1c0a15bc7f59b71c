"""The launchers' last survivors (issue 18): no sys._base_executable, letter case, a start error without text."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.elevation import launchers
from app.elevation.launchers import HelperCommand, HelperStartError, ProcessLauncher, helper_command

PYTHON = r"C:\Python311\python.exe"


def test_without_a_base_executable_the_interpreter_itself_is_started(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(sys, "_base_executable")
    command = helper_command(frozen=False, executable=PYTHON, windows=True, exists=lambda _: False)
    assert command == HelperCommand((PYTHON, "-I", "-m", "app.helper"))


def test_the_same_interpreter_spelled_in_another_case_is_not_a_venv() -> None:
    command = helper_command(
        frozen=False,
        executable=r"c:\python311\PYTHON.EXE",
        base_executable=PYTHON,
        windows=True,
        exists=lambda _: False,
    )
    assert command == HelperCommand((r"c:\python311\PYTHON.EXE", "-I", "-m", "app.helper"))


def test_a_start_error_without_a_reason_names_the_error_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        raise OSError("no such program")  # no errno, no strerror

    monkeypatch.setattr(launchers.subprocess, "Popen", refuse)
    with pytest.raises(HelperStartError) as refused:
        ProcessLauncher(["/nonexistent/python"]).launch([], b"k" * 32)
    assert str(refused.value) == "the helper could not be started: no such program"
