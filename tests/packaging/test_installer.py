"""The Inno Setup script's parts for many machines (issue 17): per-machine, silent, and an uninstall that puts the
original values back only when asked. Grep tests over the .iss text; the Windows workflow runs the real thing."""

from __future__ import annotations

import re

from app.domain.glue import APP_ID, CLI_EXE
from tests.conftest import REPO

ISS = (REPO / "packaging" / "installer.iss").read_text(encoding="utf-8")
CODE = ISS[ISS.index("[Code]") :]


def setup_value(key: str) -> str:
    match = re.search(rf"^{key}=(.*)$", ISS, re.MULTILINE)
    assert match, key
    return match.group(1).strip()


def test_per_machine_with_the_app_id_the_deploy_scripts_look_up() -> None:
    assert setup_value("PrivilegesRequired") == "admin"
    assert "PrivilegesRequiredOverridesAllowed" not in ISS  # no per-user install
    assert setup_value("AppId") == "{" + APP_ID  # Inno's escaped brace: the uninstall key is APP_ID + "_is1"
    assert setup_value("DefaultDirName").startswith("{autopf}")


def test_the_silent_command_lines_are_documented() -> None:
    assert "/VERYSILENT /SUPPRESSMSGBOXES /NORESTART [/RESTORE=original]" in ISS
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART" in readme
    assert 'unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART /RESTORE=original' in readme


def test_the_post_install_launch_is_skipped_when_silent() -> None:
    run = ISS[ISS.index("[Run]") :].splitlines()[1]
    assert "postinstall" in run and "skipifsilent" in run


def test_uninstall_restores_through_the_installed_cli_before_the_files_go() -> None:
    assert "procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);" in CODE
    assert "if CurUninstallStep <> usUninstall then" in CODE  # usUninstall: before any file is removed
    assert f'#define CliExe "{CLI_EXE}"' in ISS
    call = "Exec(ExpandConstant('{app}\\{#CliExe}'), 'restore original --yes', '', SW_HIDE, ewWaitUntilTerminated"
    assert call in CODE


def test_silent_uninstall_restores_only_with_restore_original() -> None:
    assert "CompareText(ExpandConstant('{param:RESTORE|}'), 'original') = 0" in CODE
    silent = CODE[CODE.index("if UninstallSilent() then") : CODE.index("else if RestoreAsked() or")]
    assert "if RestoreAsked() then\n      RestoreOriginalValues()" in silent
    assert "MsgBox" not in silent  # a silent uninstall never asks


def test_interactive_uninstall_asks_with_no_as_the_default_and_says_what_stays() -> None:
    assert "mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES" in CODE
    assert "No (the default) leaves the current values in place." in CODE
    assert "MsgBox('The current loopback settings stay as they are.', mbInformation, MB_OK);" in CODE


def test_a_failed_restore_is_said_and_does_not_stop_the_uninstall() -> None:
    assert CODE.count("SuppressibleMsgBox(") == 2 and CODE.count("the uninstall continues") == 2
