"""Starting the helper: the isolated interpreter, the simulated UAC prompt, and start failures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.elevation.launchers import (
    ElevationCancelledError,
    HelperStartError,
    ProcessLauncher,
    SimulatedUacLauncher,
    helper_program,
)
from app.runners.sim_profile import UacAnswer
from app.storage.files import InterProcessLock
from tests.conftest import MakeState

KEY = bytes(range(32))


def test_the_helper_runs_in_an_isolated_interpreter() -> None:
    program = helper_program()
    assert program[1:] == ["-I", "-m", "app.helper"]
    assert Path(program[0]).is_absolute()


def test_process_launcher_passes_the_key_on_stdin(tmp_path: Path) -> None:
    out = tmp_path / "seen.txt"
    code = "import sys; open(sys.argv[1], 'w').write(repr(sys.argv[2:]) + '|' + sys.stdin.readline().strip())"
    launcher = ProcessLauncher([sys.executable, "-c", code, str(out)])
    process = launcher.launch(["--backend", "simulated"], KEY)
    assert process.wait(30) == 0
    args, key = out.read_text().split("|")
    assert args == repr(["--backend", "simulated", "--authkey-stdin"])
    assert key == KEY.hex() and launcher.prompts == 0 and launcher.launched == 1


def test_process_launcher_reports_a_program_that_cannot_start(tmp_path: Path) -> None:
    with pytest.raises(HelperStartError, match="could not be started"):
        ProcessLauncher([str(tmp_path / "missing")]).launch([], KEY)


def test_wait_times_out_with_none(tmp_path: Path) -> None:
    lock = InterProcessLock(tmp_path / "gate.lock")
    code = (
        "import sys; from pathlib import Path; from app.storage.files import InterProcessLock; "
        "InterProcessLock(Path(sys.argv[1])).acquire(timeout_s=60)"
    )
    with lock.hold():  # the helper stand-in waits for this gate
        process = ProcessLauncher([sys.executable, "-c", code, str(lock.path)]).launch([], KEY)
        assert process.wait(0.01) is None
    assert process.wait(30) == 0


def test_simulated_uac_prompt_counts_and_cancels(make_state: MakeState) -> None:
    state = make_state(uac=UacAnswer.CANCEL)
    launcher = SimulatedUacLauncher(state, [sys.executable, "-c", "pass"])
    with pytest.raises(ElevationCancelledError, match="nothing was changed"):
        launcher.launch([], KEY)
    assert launcher.prompts == 1 and launcher.launched == 0
    state.set_profile(state.load().profile.__class__(uac=UacAnswer.APPROVE))
    assert launcher.launch([], KEY).wait(30) == 0
    assert launcher.prompts == 2 and launcher.launched == 1
