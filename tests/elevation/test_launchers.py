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
from app.simulator.profile import UacAnswer
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
        "app.wiring.make_launcher = lambda backend, owner_hwnd=None, **_: Refusing()\n"
        "from app.cli import main\n"
        f"sys.exit(main(['--state', {str(tmp_path / 'state.json')!r}, 'set', '--yes', '--family', 'ipv4',"
        " '--workers', '8']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 5  # EXIT_ELEVATION
    assert done.stderr == f"loopback-tuner-cli: error: {ADMIN_TERMINAL_MESSAGE}\n"


# --- the UAC launcher's whole parameter string, its error mapping, and who gets a prompt ---------------------------

FULL_ARGS = [
    "--backend", "system",
    "--address", r"\\.\pipe\LoopbackTuner-" + "0123456789abcdef" * 2,
    "--app-pid", "4242",
    "--deadline-seconds", "40",
    "--keep-store", "persistent",
    "--netsh-timeout", "15",
    "--change", "ipv4:loopbackexecutionmode=inline,loopbackworkercount=8",
    "--change", "ipv6:loopbacklargemtu=disable",
]  # fmt: skip


def test_the_uac_launcher_passes_the_whole_helper_command_line_and_nothing_else(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.platform.win32api import SEE_MASK_NOASYNC, SEE_MASK_NOCLOSEPROCESS, SW_HIDE
    from tests.platform.test_windows import PROCESS_HANDLE, parse_windows_args

    _frozen(monkeypatch, CLI_EXE)
    api = FakeWin32Api()
    launcher = UacLauncher(lambda: 0x5150, api=api, security=FakeSecurityApi())
    process = launcher.launch(FULL_ARGS, KEY)
    [info] = api.infos
    assert info["lpParameters"] == (
        r"--elevated-helper --backend system --address \\.\pipe\LoopbackTuner-0123456789abcdef0123456789abcdef"
        " --app-pid 4242 --deadline-seconds 40 --keep-store persistent --netsh-timeout 15"
        " --change ipv4:loopbackexecutionmode=inline,loopbackworkercount=8 --change ipv6:loopbacklargemtu=disable"
        f" --authkey {KEY.hex()}"
    )
    params = str(info["lpParameters"])
    for crt in (True, False):  # the elevated exe splits it back into exactly these arguments, on every CRT
        assert parse_windows_args(params, doubled_quote_stays_quoted=crt) == [
            "--elevated-helper", *FULL_ARGS, "--authkey", KEY.hex()
        ]  # fmt: skip
    assert info["lpVerb"] == "runas" and info["lpFile"] == GUI_EXE
    assert info["lpDirectory"] == r"C:\Windows\System32" and info["nShow"] == SW_HIDE
    assert info["fMask"] == SEE_MASK_NOCLOSEPROCESS | SEE_MASK_NOASYNC and info["hwnd"] == 0x5150
    assert api.names() == ["get_system_root", "shell_execute_ex"] and launcher.prompts == 1
    assert process.wait(1) == 0 and api.calls[-2] == ("wait_for_single_object", (PROCESS_HANDLE, 1000))


def test_a_cancelled_uac_prompt_is_elevation_cancelled(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.platform.win32api import ERROR_CANCELLED

    _frozen(monkeypatch, CLI_EXE)
    api = FakeWin32Api(shell_execute_ok=False, last_error=ERROR_CANCELLED)
    launcher = UacLauncher(api=api, security=FakeSecurityApi())
    with pytest.raises(ElevationCancelledError, match="cancelled; nothing was changed") as caught:
        launcher.launch(FULL_ARGS, KEY)
    assert not isinstance(caught.value, HelperStartError)  # "cancelled" (exit 5, history "cancelled"), not "failed"
    assert launcher.prompts == 1 and api.names()[-2:] == ["shell_execute_ex", "get_last_error"]


@pytest.mark.parametrize(
    ("ok", "error", "handle", "detail"),
    [
        (False, 2, None, "error 2: file not found"),
        (False, 5, None, "error 5: access denied"),
        (False, 1155, None, "error 1155: no application is associated"),
        (False, 0, None, "error 0: unexpected Windows error"),
        (False, 1460, None, "error 1460: unexpected Windows error"),
        (True, 0, None, "returned no process handle"),
    ],
)
def test_other_uac_failures_are_could_not_start(
    monkeypatch: pytest.MonkeyPatch, ok: bool, error: int, handle: int | None, detail: str
) -> None:
    _frozen(monkeypatch, CLI_EXE)
    api = FakeWin32Api(shell_execute_ok=ok, last_error=error, process_handle=handle)
    with pytest.raises(HelperStartError) as caught:
        UacLauncher(api=api, security=FakeSecurityApi()).launch(FULL_ARGS, KEY)
    assert type(caught.value) is HelperStartError  # not the cancelled prompt, not the admin-terminal refusal
    assert str(caught.value).startswith("Windows could not start the elevated helper") and detail in str(caught.value)


@pytest.mark.parametrize(("elevated", "launcher_type"), [(True, "ProcessLauncher"), (False, "UacLauncher")])
def test_an_elevated_session_never_shows_a_uac_prompt(elevated: bool, launcher_type: str) -> None:
    from app.runners.factory import Backend, BackendKind
    from app.wiring import make_launcher

    api = FakeWin32Api(elevated=elevated)
    launcher = make_launcher(Backend(BackendKind.SYSTEM), api=api, platform="win32")
    assert type(launcher).__name__ == launcher_type and launcher.prompts == 0
    assert api.names() == ["is_process_elevated"]


def test_when_windows_cannot_tell_the_helper_gets_only_the_apps_own_rights() -> None:
    # The elevation check fails safe (assume elevated): no prompt, and the helper is started with this process's
    # rights; if they are not enough, netsh refuses and the command line exits 5.
    from app.runners.factory import Backend, BackendKind
    from app.wiring import make_launcher

    class Unknown(FakeWin32Api):
        def is_process_elevated(self) -> bool:
            raise OSError(None, "OpenProcessToken failed", None, 5)

    assert isinstance(make_launcher(Backend(BackendKind.SYSTEM), api=Unknown(), platform="win32"), ProcessLauncher)


def test_off_windows_the_system_backend_asks_windows_nothing() -> None:
    from app.runners.factory import Backend, BackendKind
    from app.wiring import make_launcher

    api = FakeWin32Api(elevated=False)
    assert isinstance(make_launcher(Backend(BackendKind.SYSTEM), api=api, platform="linux"), ProcessLauncher)
    assert api.calls == []
