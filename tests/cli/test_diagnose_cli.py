"""``loopback-tuner-cli diagnose`` and ``--capture``: output, refusals and their one-line errors and exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from app.cli import main
from app.cli_parts.common import EXIT_OK, EXIT_USAGE
from tests.conftest import FIXTURES, MakeState, RunCli

CAPTURE = FIXTURES / "captures" / "sim-zh-CN.json"


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    out = io.StringIO()
    code = main(list(args), out=out)
    return code, out.getvalue(), capsys.readouterr().err


def _error(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("loopback-tuner-cli: error: "), err
    return err.strip()


def test_without_output_the_file_goes_to_stdout(make_state: MakeState, capsys: pytest.CaptureFixture[str]) -> None:
    state = make_state()
    code, out, err = _cli(capsys, "--backend", "simulated", "--state", str(state.path), "diagnose")
    assert (code, err) == (EXIT_OK, "")
    assert json.loads(out)["format"] == "loopback-tuner-diagnostics"


def test_an_existing_file_is_refused_without_force(
    make_state: MakeState, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, file = make_state(), tmp_path / "d.json"
    file.write_text("keep me", encoding="utf-8")
    args = ("--backend", "simulated", "--state", str(state.path), "diagnose", "--output", str(file))
    code, _, err = _cli(capsys, *args)
    assert code == EXIT_USAGE and "exists; add --force" in _error(err)
    assert file.read_text(encoding="utf-8") == "keep me"
    code, _, err = _cli(capsys, *args, "--force")
    assert code == EXIT_OK and "no user, computer or domain names" in err
    assert json.loads(file.read_text(encoding="utf-8"))["version"] == 1


def test_the_folder_must_exist(make_state: MakeState, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "missing" / "d.json"
    code, _, err = _cli(
        capsys, "--backend", "simulated", "--state", str(make_state().path), "diagnose", "--output", str(target)
    )
    assert code == EXIT_USAGE and "does not exist" in _error(err) and not target.parent.exists()


def test_force_needs_output(make_state: MakeState, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(capsys, "--backend", "simulated", "--state", str(make_state().path), "diagnose", "--force")
    assert code == EXIT_USAGE and "--force goes with --output" in _error(err)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "could not be read"),
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b'{"format": "something-else", "version": 1}', "not a Loopback Tuner diagnostics file"),
        (b'{"format": "loopback-tuner-diagnostics", "version": 2}', "version 2 is not supported"),
        (b'{"format": "loopback-tuner-diagnostics", "version": 1, "windows": []}', "windows: expected an object"),
    ],
    ids=["missing", "not-json", "not-utf8", "other-format", "other-version", "malformed"],
)
def test_a_bad_capture_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, says: str
) -> None:
    file = tmp_path / "c.json"
    if content is not None:
        file.write_bytes(content)
    code, out, err = _cli(capsys, "--backend", "simulated", "--capture", str(file), "show")
    assert (code, out) == (EXIT_USAGE, "") and says in _error(err)


def test_a_malformed_run_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(CAPTURE.read_text(encoding="utf-8"))
    data["runs"][2]["stdout_base64"] = "***"
    (tmp_path / "c.json").write_text(json.dumps(data), encoding="utf-8")
    code, _, err = _cli(capsys, "--backend", "simulated", "--capture", str(tmp_path / "c.json"), "show")
    assert code == EXIT_USAGE and "runs[2].stdout_base64: not base64" in _error(err)


@pytest.mark.parametrize(
    "args",
    [
        ("--capture", str(CAPTURE), "show"),
        ("--backend", "netsh", "--capture", str(CAPTURE), "show"),
        ("--backend", "simulated", "--state", "s.json", "--capture", str(CAPTURE), "show"),
        ("--backend", "simulated", "--capture", str(CAPTURE), "set", "--family", "ipv4", "--mode", "inline"),
        ("--backend", "simulated", "--capture", str(CAPTURE), "restore", "original"),
        ("--backend", "simulated", "--capture", str(CAPTURE), "history", "revert", "abc"),
        ("--backend", "simulated", "--capture", str(CAPTURE), "simulate", "show"),
        ("--backend", "simulated", "--capture", str(CAPTURE), "save", "--yes"),
        ("--backend", "simulated", "--capture", str(CAPTURE), "compare", "--keep", "none"),
    ],
    ids=[
        "no-backend",
        "netsh-backend",
        "with-state",
        "set",
        "restore",
        "history-revert",
        "simulate",
        "save",
        "compare",
    ],
)
def test_a_replay_only_reads_on_the_simulated_backend(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    code, _, err = _cli(capsys, *args)
    assert code == EXIT_USAGE and "--capture" in _error(err)


def test_a_replayed_read_exits_as_the_captured_read_did(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "--backend", "simulated", "--capture", str(CAPTURE), "show", "--json")
    assert code == 3 and set(json.loads(out)) == {"ipv4", "ipv6"}
    code, out, _ = _cli(
        capsys, "--backend", "simulated", "--capture", str(FIXTURES / "captures" / "sim-pre-1809.json"), "show"
    )
    assert code == 4


def test_the_installed_command_writes_the_file(run_cli: RunCli, tmp_path: Path) -> None:
    done = run_cli("--backend", "simulated", "--state", str(tmp_path / "s.json"), "diagnose", "--output", "d.json")
    assert done.returncode == 0, done.stderr
    replay = run_cli("--backend", "simulated", "--capture", "d.json", "show", "--json")
    assert replay.returncode == 0 and json.loads(replay.stdout)["ipv4"]["worker_count"] == 4
