"""tools/check_capture.py, which the Windows workflow runs on the runner's own diagnostics file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.domain.defaults import parse_defaults
from tests.conftest import FIXTURES
from tools import check_capture

CAPTURES = FIXTURES / "captures"
IMAGE = ["--image", "win22", "20261201.1"]


def test_an_english_capture_with_every_value_passes_and_proposes_a_candidate(tmp_path: Path) -> None:
    out = tmp_path / "candidate.json"
    args = [str(CAPTURES / "sim-en-US.json"), "--require-english-values", "--defaults-candidate", str(out), *IMAGE]
    assert check_capture.main(args) == 0
    (entry,) = parse_defaults(out.read_text(encoding="utf-8"))
    assert (entry.scope, entry.min_build, entry.max_build) == ("windows", 22631, 22631)
    assert "runner image win22 version 20261201.1" in entry.source and entry.source.startswith("CANDIDATE")


@pytest.mark.parametrize("name", ["sim-ipv6-unreadable", "sim-netsh-missing", "sim-netsh-failing"])
def test_an_english_capture_missing_a_value_fails(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_capture.main([str(CAPTURES / f"{name}.json"), "--require-english-values"]) == 1
    assert "every value must be read" in capsys.readouterr().err


def test_another_language_is_reported_not_failed(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_capture.main([str(CAPTURES / "sim-zh-CN.json"), "--require-english-values"]) == 0
    assert "not English" in capsys.readouterr().out


def test_a_record_the_parser_no_longer_makes_fails(tmp_path: Path) -> None:
    data = json.loads((CAPTURES / "sim-en-US.json").read_text(encoding="utf-8"))
    data["runs"][0]["parsed"]["worker_count"] = 5
    (tmp_path / "c.json").write_text(json.dumps(data), encoding="utf-8")
    assert check_capture.main([str(tmp_path / "c.json")]) == 1


def test_no_candidate_without_readable_saved_values(tmp_path: Path) -> None:
    out = tmp_path / "candidate.json"
    assert check_capture.main([str(CAPTURES / "sim-pre-1809.json"), "--defaults-candidate", str(out), *IMAGE]) == 0
    assert not out.exists()


def test_bad_input_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_capture.main([str(tmp_path / "missing.json")]) == 2
    assert capsys.readouterr().err.startswith("check_capture: error: ")
    assert check_capture.main([str(CAPTURES / "sim-en-US.json"), "--defaults-candidate", "x.json"]) == 2
