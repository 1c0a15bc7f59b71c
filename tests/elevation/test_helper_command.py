"""How the helper is started without UAC: in a Windows venv, the base interpreter itself (no redirector child),
so the process that connects to the channel is the one the app launched and its peer check lets it in."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from app.elevation.launchers import HelperCommand, ProcessLauncher, helper_command

VENV_PYTHON = r"C:\work\app\.venv\Scripts\python.exe"
BASE_PYTHON = r"C:\Python311\python.exe"
MODULE = ("-I", "-m", "app.helper")


def test_in_a_windows_venv_the_base_interpreter_is_started_and_told_its_venv() -> None:
    command = helper_command(
        frozen=False, executable=VENV_PYTHON, base_executable=BASE_PYTHON, windows=True, exists=lambda _: True
    )
    assert command == HelperCommand(
        (r"C:\Python311\pythonw.exe", *MODULE), {"__PYVENV_LAUNCHER__": r"C:\work\app\.venv\Scripts\pythonw.exe"}
    )


def test_without_pythonw_the_console_interpreters_are_used() -> None:
    command = helper_command(
        frozen=False, executable=VENV_PYTHON, base_executable=BASE_PYTHON, windows=True, exists=lambda _: False
    )
    assert command == HelperCommand((BASE_PYTHON, *MODULE), {"__PYVENV_LAUNCHER__": VENV_PYTHON})


def test_outside_a_venv_nothing_is_added_to_the_environment() -> None:
    base = r"c:\python311\PYTHON.EXE"  # the same file, spelled another way: not a venv
    command = helper_command(frozen=False, executable=BASE_PYTHON, base_executable=base, windows=True)
    assert command.environment is None and command.argv[1:] == MODULE


def test_elsewhere_and_frozen_the_program_is_started_as_it_is(tmp_path: Path) -> None:
    linux = helper_command(frozen=False, executable="/opt/venv/bin/python3", base_executable="/usr/bin/python3",
                           windows=False)  # fmt: skip
    assert linux == HelperCommand(("/opt/venv/bin/python3", *MODULE))  # a POSIX venv python is the interpreter
    frozen = helper_command(frozen=True, executable=str(tmp_path / "loopback-tuner-cli"), windows=False)
    assert frozen == HelperCommand((str(tmp_path.resolve() / "loopback-tuner"), "--elevated-helper"))


def test_the_launcher_adds_the_commands_environment_to_ours(tmp_path: Path) -> None:
    seen = tmp_path / "env.json"
    script = f"import json, os; open({str(seen)!r}, 'w').write(json.dumps(dict(os.environ)))"
    # (Python itself removes __PYVENV_LAUNCHER__ from a child's os.environ once read: another name shows it.)
    launcher = ProcessLauncher([sys.executable, "-c", script], environment={"LOOPBACK_TUNER_TEST_MARK": "venv"})
    assert launcher.launch([], b"k" * 32).wait(30) == 0
    env = json.loads(seen.read_text())
    assert env["LOOPBACK_TUNER_TEST_MARK"] == "venv"
    assert env["PATH"] == os.environ["PATH"]  # added to ours, not instead of it


@pytest.mark.windows
@pytest.mark.skipif(sys.platform != "win32", reason="needs a real Windows machine")
def test_the_launched_helper_process_is_the_one_that_runs(tmp_path: Path) -> None:
    """In the Windows workflow's venv: the pid the app knows is the pid of the interpreter that runs."""
    command = helper_command()
    pid_file = tmp_path / "pid"
    script = f"import os; open({str(pid_file)!r}, 'w').write(str(os.getpid()))"
    launcher = ProcessLauncher([command.argv[0], "-I", "-c", script], environment=command.environment)
    process = launcher.launch([], b"k" * 32)
    assert process.wait(30) == 0
    assert int(pid_file.read_text()) == process.pid
