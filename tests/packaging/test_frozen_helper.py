"""The CLI as the helper, driven over a real authenticated channel: one trial kept, one reverted.

The same driver (packaging/build.py ``run_helper_trial``) runs in ``make package``'s smoke test against the frozen
executable; here it runs against the source CLI always, and against the frozen one when a bundle was built.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path

import pytest

from app.domain.model import Family
from app.simulator.machine import SIMULATED_INITIAL
from tests.conftest import MakeState, machine_values
from tests.packaging.conftest import REPO, LoadModule

FROZEN_CLI = REPO / "dist" / "loopback-tuner" / ("loopback-tuner-cli" + (".exe" if sys.platform == "win32" else ""))


def _elevated_windows() -> bool:
    if sys.platform != "win32":
        return False
    from app.platform.windows import default_api, is_elevated

    return is_elevated(default_api())


needs_simulation = pytest.mark.skipif(
    _elevated_windows(), reason="an elevated helper refuses the simulated machine (by design)"
)


def _keep_then_revert(load_packaging: LoadModule, make_state: MakeState, helper: Sequence[str]) -> None:
    build = load_packaging("build")
    state = make_state()
    backend = ["--backend", "simulated", "--state", str(state.path)]
    assert build.run_helper_trial(helper, backend, "ipv4:loopbackworkercount=8", keep=True) == (0, "kept")
    active, persistent = machine_values(state)
    assert active[Family.IPV4].worker_count == persistent[Family.IPV4].worker_count == 8
    assert build.run_helper_trial(helper, backend, "ipv6:loopbackworkercount=2", keep=False) == (1, "reverted")
    active, persistent = machine_values(state)
    assert active[Family.IPV6] == persistent[Family.IPV6] == SIMULATED_INITIAL  # the reverted trial left no trace
    assert active[Family.IPV4].worker_count == 8


@needs_simulation
def test_the_cli_entry_point_runs_the_helper(load_packaging: LoadModule, make_state: MakeState) -> None:
    helper = [sys.executable, "-I", "-c", "import sys; from app.cli import main; sys.exit(main())", "--elevated-helper"]
    _keep_then_revert(load_packaging, make_state, helper)


@needs_simulation
@pytest.mark.skipif(not FROZEN_CLI.is_file(), reason="no frozen bundle: run `make package`")
def test_the_frozen_cli_exe_runs_the_helper(load_packaging: LoadModule, make_state: MakeState) -> None:
    _keep_then_revert(load_packaging, make_state, [str(FROZEN_CLI), "--elevated-helper"])


@pytest.mark.skipif(not FROZEN_CLI.is_file(), reason="no frozen bundle: run `make package`")
def test_the_frozen_exe_ignores_what_moves_an_interpreter(tmp_path: Path) -> None:
    """What makes ``python -I`` unsafe to elevate (tests/elevation/test_launchers.py) does not reach the frozen
    build: its bootloader sets the prefix itself and imports no ``site``, and it ignores PYTHON* variables."""
    user = tmp_path / "user-folder"
    marker = tmp_path / "ran.txt"
    plant = f"import pathlib; pathlib.Path({str(marker)!r}).write_text('ran')\n"
    (user / "bin").mkdir(parents=True)
    (user / "pyvenv.cfg").write_text(f"home = {Path(sys.executable).parent}\n")
    site_packages = Path(sysconfig.get_path("purelib", "venv", vars={"base": str(user), "platbase": str(user)}))
    site_packages.mkdir(parents=True)
    (site_packages / "planted.pth").write_text(plant)
    (user / "sitecustomize.py").write_text(plant)
    env = {
        **os.environ,
        "PYTHONEXECUTABLE": str(user / "bin" / "python3"),
        "__PYVENV_LAUNCHER__": str(user / "bin" / "python3"),
        "PYTHONPATH": str(user),
        "PYTHONHOME": str(user),
        "PYTHONSTARTUP": str(user / "sitecustomize.py"),
    }
    done = subprocess.run(
        [str(FROZEN_CLI), "--version"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert not marker.exists()
