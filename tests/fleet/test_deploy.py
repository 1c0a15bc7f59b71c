"""``deploy``: golden files per tool, escaping of everything put into a script, the output folder's rules, and the
playbook through ``ansible-playbook --syntax-check`` when ansible is installed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from app.domain.errors import ValidationError
from app.domain.glue import (
    APP_ID,
    FILES,
    TEMPLATES,
    GlueInput,
    Tool,
    cmd_quoted,
    comment_text,
    fill,
    ps_single_quoted,
    render,
    yaml_single_quoted,
)
from app.domain.model import ExecutionMode, Family, LoopbackSettings
from app.domain.profile_file import dump_profile, load_profile
from app.usecases.deploy import DeployError, deploy, load_templates
from tests.conftest import REPO, SUBPROCESS_TIMEOUT_S, RunCli

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("LOOPBACK_TUNER_UPDATE_GOLDEN") == "1"  # regenerate after a deliberate template change
SETTINGS = {
    Family.IPV4: LoopbackSettings(ExecutionMode.INLINE, 4, False),
    Family.IPV6: LoopbackSettings(ExecutionMode.WORKER, 8, True),
}


def templates() -> dict[str, str]:
    return load_templates(lambda name: (REPO / "resources" / "deploy" / name).read_text(encoding="utf-8"))


def glue(tool: Tool, name: str = "latency-standard.json") -> GlueInput:
    return GlueInput(tool, SETTINGS, name, "0.1.0")


@pytest.mark.parametrize("tool", list(Tool))
def test_the_generated_files_match_the_golden_copies(tool: Tool) -> None:
    rendered = render(glue(tool), templates())
    assert sorted(rendered) == sorted(["loopback-tuner-profile.json", *(name for name, _ in FILES[tool])])
    for name, text in rendered.items():
        golden = GOLDEN / tool.value / name
        if UPDATE:
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(text, encoding="utf-8", newline="\n")
        assert text == golden.read_text(encoding="utf-8"), f"{tool}/{name} differs from its golden copy"
        assert text.isascii(), f"{tool}/{name}: Windows PowerShell 5.1 reads a file without BOM as ANSI"


@pytest.mark.parametrize("tool", list(Tool))
def test_every_file_has_the_header_an_admin_needs(tool: Tool) -> None:
    for name, text in render(glue(tool), templates()).items():
        if name.endswith(".json"):
            assert load_profile(text.encode()) == SETTINGS  # the copy is the validated profile
            continue
        header = text[:2500]
        assert "What it does:" in header and "Undo:" in header and "restore original" in header
        assert "Profile: latency-standard.json (IPv4: inline, 4 workers, large MTU off / IPv6: worker" in header
        assert "Loopback Tuner 0.1.0" in header


@pytest.mark.parametrize("tool", [Tool.INTUNE, Tool.CONFIGMGR])
def test_the_scripts_find_the_cli_in_the_64_bit_registry_view_never_a_fixed_path(tool: Tool) -> None:
    for name, text in render(glue(tool), templates()).items():
        if not name.endswith(".ps1"):
            continue
        assert "[Microsoft.Win32.RegistryKey]::OpenBaseKey('LocalMachine', 'Registry64')" in text
        assert f"\\Uninstall\\{APP_ID}_is1'" in text and "GetValue('InstallLocation')" in text
        assert "Program Files" not in text and "Import-Module" not in text and "#Requires" not in text
        assert "Loopback Tuner is not installed" in text
        command = "'check'" if "DETECT" in text or "DISCOVERY" in text else "'import', '--yes'"
        assert f"Invoke-WithProfile $cli @({command})" in text


def test_intune_maps_exit_codes_to_0_compliant_and_1_remediate() -> None:
    detect = render(glue(Tool.INTUNE), templates())["detect-loopback-tuner.ps1"]
    body = detect[detect.index("$cli = Get-LoopbackTunerCli") :]
    assert re.findall(r"exit (\d)", body) == ["1", "0", "1", "1"]  # not installed, 0 compliant, 8, anything else
    assert "[Console]::Error" not in detect  # Intune counts anything on stderr as a script error


def test_the_app_id_is_the_installers() -> None:
    iss = (REPO / "packaging" / "installer.iss").read_text(encoding="utf-8")
    assert f"AppId={{{APP_ID}" in iss  # Inno Setup writes the AppId's opening brace doubled


def test_a_hostile_profile_name_cannot_reach_a_script() -> None:
    name = "x'; Remove-Item C:\\ -Recurse #\n\"&calc%PATH%!{{ lookup('pipe','id') }}\u2019.json"
    for tool in Tool:
        for file, text in render(glue(tool, name), templates()).items():
            for bad in ("'; Remove", "&calc", "%PATH%", "{{ lookup", "\u2019", '\n"&'):
                assert bad not in text, (tool, file, bad)


def test_escapers() -> None:
    assert ps_single_quoted("it's \u2019x\u2019") == "it''s \u2019\u2019x\u2019\u2019"
    assert yaml_single_quoted("it's") == "it''s"
    assert comment_text('a;b"c%d(e)') == "a_b_c_d_e_"
    assert cmd_quoted("C:\\x\\{A}_is1") == "C:\\x\\{A}_is1"
    for escaper, value in (
        (ps_single_quoted, "a\nb"),
        (yaml_single_quoted, "{{ x }}"),
        (yaml_single_quoted, "{% x %}"),
        (cmd_quoted, "a%b"),
        (cmd_quoted, 'a"b'),
    ):
        with pytest.raises(ValidationError):
            escaper(value)


def test_fill_refuses_unknown_names_and_parts() -> None:
    with pytest.raises(ValidationError, match="unknown value 'NOPE'"):
        fill("{{ps:NOPE}}", {}, {})
    with pytest.raises(ValidationError, match="part 'x' is missing"):
        fill("{{part:x}}", {}, {})
    with pytest.raises(ValidationError, match="malformed"):
        fill("{{ps:bad name}}", {}, {})
    assert fill("{{ keep }} {{comment:A}}", {"A": "a;b"}, {}) == "{{ keep }} a_b"


def test_a_bad_version_is_refused() -> None:
    with pytest.raises(ValidationError, match="unexpected app version"):
        GlueInput(Tool.GPO, SETTINGS, "p.json", "1.0'; x")


def test_the_templates_are_all_shipped() -> None:
    assert sorted(p.name for p in (REPO / "resources" / "deploy").iterdir()) == sorted(TEMPLATES)


def write_profile(tmp_path: Path) -> Path:
    path = tmp_path / "standard.json"
    path.write_text(dump_profile(SETTINGS), encoding="utf-8")
    return path


def test_deploy_writes_the_folder_and_refuses_a_non_empty_one(tmp_path: Path) -> None:
    out = tmp_path / "intune"
    done = deploy(write_profile(tmp_path), Tool.INTUNE, out, force=False, app_version="0.1.0", templates=templates())
    assert sorted(p.name for p in out.iterdir()) == sorted(done.files)
    assert (out / "detect-loopback-tuner.ps1").read_bytes().count(b"\r\n") > 10  # Windows line endings
    with pytest.raises(DeployError, match="exists and is not empty; add --force"):
        deploy(write_profile(tmp_path), Tool.GPO, out, force=False, app_version="0.1.0", templates=templates())
    deploy(write_profile(tmp_path), Tool.GPO, out, force=True, app_version="0.1.0", templates=templates())
    assert (out / "loopback-tuner-startup.cmd").is_file() and (out / "detect-loopback-tuner.ps1").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging folder left


def test_a_bad_profile_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "loopback-tuner-profile", "version": 1, "ipv4": {"worker_count": 99}}')
    with pytest.raises(ValidationError, match="not a usable profile"):
        deploy(bad, Tool.GPO, tmp_path / "out", force=False, app_version="0.1.0", templates=templates())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]


def test_a_missing_parent_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match="does not exist; create it first"):
        deploy(write_profile(tmp_path), Tool.GPO, tmp_path / "a" / "b", force=False, app_version="0.1.0",
               templates=templates())  # fmt: skip


def test_deploy_on_the_command_line(run_cli: RunCli, tmp_path: Path) -> None:
    profile = write_profile(tmp_path)
    done = run_cli("deploy", str(profile), "--for", "ansible", "--output", str(tmp_path / "play"))
    assert (done.returncode, done.stderr) == (0, "")
    assert (tmp_path / "play" / "loopback-tuner.yml").is_file()
    for args, message in (
        (("--for", "ansible", "--output", str(tmp_path / "play")), "exists and is not empty; add --force"),
        (("--for", "puppet", "--output", str(tmp_path / "x")), "argument --for: invalid choice: 'puppet'"),
        (("--for", "gpo", "--output", str(profile)), "exists and is not a folder"),
    ):
        done = run_cli("deploy", str(profile), *args)
        assert done.returncode == 2
        assert done.stderr.startswith("loopback-tuner-cli: error: ") and message in done.stderr
        assert done.stderr.count("\n") == 1


def test_the_playbook_passes_ansible_syntax_check(tmp_path: Path) -> None:
    playbook = shutil.which("ansible-playbook") or str(Path(os.sys.executable).parent / "ansible-playbook")
    if not Path(playbook).is_file():
        pytest.skip("ansible is not installed: `.venv/bin/pip install ansible` (it brings ansible.windows) to run this")
    out = tmp_path / "play"
    deploy(write_profile(tmp_path), Tool.ANSIBLE, out, force=False, app_version="0.1.0", templates=templates())
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("[windows]\nhost1 ansible_connection=winrm\n", encoding="utf-8")
    env = {**os.environ, "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"), "ANSIBLE_HOME": str(tmp_path / "ah")}
    done = subprocess.run(
        [playbook, "--syntax-check", "-i", str(inventory), str(out / "loopback-tuner.yml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_parsers_offer_exactly_the_tools_and_stores_the_commands_know() -> None:
    from app.cli_parts import check, fleet
    from app.domain.glue import Tool

    assert tuple(t.value for t in Tool) == fleet.TOOL_CHOICES
    assert tuple(check.STORES) == fleet.STORE_CHOICES
