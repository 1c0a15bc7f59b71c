"""The elevated netsh gets nothing of the user's environment: a minimal one, System32 as its working folder."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from app.runners.factory import system_netsh_runner
from app.runners.subprocess_runner import SubprocessRunner
from app.simulator.runner import SimulatedRunner
from tests.conftest import MakeState
from tests.platform.test_windows import FakeWin32Api

PRINT_ENV = "import json, os; print(json.dumps({'cwd': os.getcwd(), 'env': dict(os.environ)}))"


@pytest.mark.parametrize(("windows_64bit", "python_64bit"), [(True, True), (True, False)])
def test_the_system_netsh_runs_with_systemroot_and_system32_only(
    monkeypatch: pytest.MonkeyPatch, windows_64bit: bool, python_64bit: bool
) -> None:
    monkeypatch.setattr(sys, "maxsize", 2**63 - 1 if python_64bit else 2**31 - 1)
    api = FakeWin32Api(system_root=r"D:\Win", windows_64bit=windows_64bit)
    runner = system_netsh_runner(api, timeout_s=7)  # type: ignore[arg-type]
    folder = "System32" if python_64bit else "Sysnative"  # the program: as this process must name it
    assert runner.program == (rf"D:\Win\{folder}\netsh.exe",)
    # The environment and folder: as netsh (always native) sees them, so System32 even from 32-bit Python.
    assert runner.environment == {"SystemRoot": r"D:\Win", "PATH": r"D:\Win\System32"}
    assert runner.working_folder == r"D:\Win\System32"


def test_the_runner_passes_exactly_that_environment_and_folder(tmp_path: Path) -> None:
    env = {"PATH": os.defpath, "ONLY": "this"}
    runner = SubprocessRunner([sys.executable, "-I", "-c", PRINT_ENV], env=env, cwd=str(tmp_path))
    result = runner.run_blocking(())
    seen = json.loads(result.stdout)
    assert seen["cwd"] == str(tmp_path)
    # Python may add LC_CTYPE when it coerces the C locale; nothing of ours (HOME, PYTHONPATH...) leaks in.
    assert set(seen["env"]) - {"LC_CTYPE"} == {"PATH", "ONLY"}


def test_the_simulated_runner_has_the_same_blocking_call(make_state: MakeState) -> None:
    state = make_state()
    result = SimulatedRunner(state, as_admin=True).run_blocking(("interface", "ipv4", "show", "global"))
    assert result.ok and "Loopback Worker Count" in result.stdout
