"""Starting the helper: the isolated interpreter, the simulated UAC prompt, and start failures."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from app.elevation.launchers import (
    ADMIN_TERMINAL_MESSAGE,
    UNPROTECTED_INSTALL_MESSAGE,
    AdminTerminalRequiredError,
    ElevationCancelledError,
    HelperStartError,
    ProcessLauncher,
    SimulatedUacLauncher,
    UacLauncher,
    helper_program,
)
from app.runners.sim_profile import UacAnswer
from app.storage.files import InterProcessLock
from tests.conftest import MakeState
from tests.platform.test_win32_security import ADMINS, INSTALL, ME, PROGRAM_FILES, USERS, FakeSecurityApi, Obj, allow
from tests.platform.test_windows import FakeWin32Api

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


# --- which program is elevated, and only when it is safe -------------------------------------------------------

INSTALL_DIR = r"C:\Program Files\Loopback Tuner"
GUI_EXE = INSTALL_DIR + r"\loopback-tuner.exe"
CLI_EXE = INSTALL_DIR + r"\loopback-tuner-cli.exe"


def _frozen(monkeypatch: pytest.MonkeyPatch, executable: str) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", executable)


@pytest.mark.parametrize("started_as", [GUI_EXE, CLI_EXE])
def test_both_frozen_exes_elevate_the_gui_exe_beside_them_as_the_helper(
    monkeypatch: pytest.MonkeyPatch, started_as: str
) -> None:
    _frozen(monkeypatch, started_as)
    api, security = FakeWin32Api(), FakeSecurityApi()
    launcher = UacLauncher(api=api, security=security)
    launcher.launch(["--backend", "system", "--address", r"\\.\pipe\LoopbackTuner-" + "0" * 32], KEY)
    assert len(api.infos) == 1 and launcher.prompts == 1
    info = api.infos[0]
    assert info["lpVerb"] == "runas" and info["lpFile"] == GUI_EXE  # the windowed exe: no console flashes
    assert info["lpParameters"] == (
        rf"--elevated-helper --backend system --address \\.\pipe\LoopbackTuner-{'0' * 32} --authkey {KEY.hex()}"
    )
    # The ACL check saw exactly the string that was started: the exe, then its folder, each up to the root.
    assert security.read_paths() == [
        GUI_EXE,
        INSTALL_DIR,
        r"C:\Program Files",
        "C:\\",
        INSTALL_DIR,
        r"C:\Program Files",
        "C:\\",
    ]
    assert security.read_paths()[0] == info["lpFile"]


@pytest.mark.parametrize("started_as", ["loopback-tuner", "loopback-tuner-cli"])
def test_both_frozen_exes_start_the_gui_exe_as_a_plain_helper(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, started_as: str
) -> None:
    _frozen(monkeypatch, str(tmp_path / started_as))
    assert helper_program() == [str(tmp_path.resolve() / "loopback-tuner"), "--elevated-helper"]
    assert ProcessLauncher().program == helper_program()


@pytest.mark.parametrize(
    "python",
    [
        r"C:\Program Files\Python311\pythonw.exe",  # even an interpreter in an admin-only folder
        r"C:\Users\me\src\loopback-tuner\.venv\Scripts\pythonw.exe",
    ],
)
def test_a_source_or_pip_install_is_never_elevated(monkeypatch: pytest.MonkeyPatch, python: str) -> None:
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.setattr(sys, "executable", python)
    api, security = FakeWin32Api(), FakeSecurityApi()
    launcher = UacLauncher(api=api, security=security)
    with pytest.raises(AdminTerminalRequiredError) as caught:
        launcher.launch(["--backend", "system"], KEY)
    assert str(caught.value) == ADMIN_TERMINAL_MESSAGE and "\n" not in str(caught.value)
    assert "administrator" in str(caught.value) and "terminal" in str(caught.value)
    assert api.infos == [] and security.calls == [] and launcher.prompts == 0


def _refused(monkeypatch: pytest.MonkeyPatch, security: FakeSecurityApi) -> AdminTerminalRequiredError:
    _frozen(monkeypatch, CLI_EXE)
    api = FakeWin32Api()
    launcher = UacLauncher(api=api, security=security)
    with pytest.raises(AdminTerminalRequiredError) as caught:
        launcher.launch(["--backend", "system"], KEY)
    assert api.infos == [] and launcher.prompts == 0  # no prompt was shown
    assert str(caught.value) == UNPROTECTED_INSTALL_MESSAGE.format(folder=INSTALL_DIR)
    assert "\n" not in str(caught.value)
    return caught.value


def test_a_frozen_build_whose_folder_users_can_write_is_not_elevated(monkeypatch: pytest.MonkeyPatch) -> None:
    security = FakeSecurityApi()
    security.objects[INSTALL_DIR] = Obj(ADMINS, [*(INSTALL.aces or []), allow(USERS, 0x2)])  # FILE_ADD_FILE
    _refused(monkeypatch, security)
    # The exe passes (adding files is no right to replace it); the folder itself then fails at once.
    assert security.read_paths() == [GUI_EXE, INSTALL_DIR, r"C:\Program Files", "C:\\", INSTALL_DIR]


def test_a_frozen_build_under_a_user_owned_folder_is_not_elevated(monkeypatch: pytest.MonkeyPatch) -> None:
    security = FakeSecurityApi()
    security.objects[r"C:\Program Files"] = Obj(ME, PROGRAM_FILES.aces)
    _refused(monkeypatch, security)
    assert security.read_paths() == [GUI_EXE, INSTALL_DIR, r"C:\Program Files"]


def test_a_frozen_build_whose_acl_cannot_be_read_is_not_elevated(monkeypatch: pytest.MonkeyPatch) -> None:
    _refused(monkeypatch, FakeSecurityApi(unreadable={GUI_EXE}))


def test_the_helper_entry_decision_imports_neither_qt_nor_asyncio() -> None:
    code = (
        "import sys; from app.elevation.entry import helper_arguments; "
        "assert helper_arguments(['--elevated-helper', '--x']) == ['--x'] and helper_arguments(['show']) is None; "
        "print(sorted(m for m in ('asyncio', 'PySide6', 'qasync') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "[]"


@pytest.mark.skipif(sys.platform != "linux", reason="reproduced with CPython 3.11 on Linux; not tried elsewhere")
@pytest.mark.parametrize("variable", ["PYTHONEXECUTABLE", "__PYVENV_LAUNCHER__"])
def test_isolated_mode_does_not_stop_a_variable_from_moving_sys_prefix(tmp_path: Path, variable: str) -> None:
    """Why UacLauncher never elevates an interpreter: ``-I`` ignores PYTHON* variables for most things, yet both
    of these still reach the path calculation (CPython 3.11 on Linux: both reproduce). The interpreter takes the
    claimed executable's ``pyvenv.cfg`` as its own, ``sys.prefix`` moves to the user's folder, and ``site`` runs
    a ``.pth`` file from there: any code, which an elevated helper would run as administrator."""
    user = tmp_path / "user-folder"
    (user / "bin").mkdir(parents=True)
    (user / "pyvenv.cfg").write_text(f"home = {Path(sys._base_executable).parent}\n")  # type: ignore[attr-defined]
    site_packages = Path(sysconfig.get_path("purelib", "venv", vars={"base": str(user), "platbase": str(user)}))
    site_packages.mkdir(parents=True)
    marker = tmp_path / "ran.txt"
    (site_packages / "planted.pth").write_text(f"import pathlib; pathlib.Path({str(marker)!r}).write_text('ran')\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env[variable] = str(user / "bin" / "python3")
    done = subprocess.run(
        [sys.executable, "-I", "-c", "import sys; print(sys.prefix)"],
        env=env, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert Path(done.stdout.strip()) == user
    assert marker.read_text() == "ran"


def test_the_cli_maps_the_admin_terminal_refusal_to_exit_5_with_one_line(tmp_path: Path) -> None:
    code = (
        "import sys, app.wiring\n"
        "from app.elevation.launchers import ADMIN_TERMINAL_MESSAGE, AdminTerminalRequiredError\n"
        "class Refusing:\n"
        "    prompts = 0\n"
        "    def launch(self, args, authkey):\n"
        "        raise AdminTerminalRequiredError(ADMIN_TERMINAL_MESSAGE)\n"
        "app.wiring.make_launcher = lambda backend, owner_hwnd=None: Refusing()\n"
        "from app.cli import main\n"
        f"sys.exit(main(['--state', {str(tmp_path / 'state.json')!r}, 'set', '--family', 'ipv4', '--workers', '8']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 5  # EXIT_ELEVATION
    assert done.stderr == f"error: {ADMIN_TERMINAL_MESSAGE}\n"
