"""The capture corpus: every file in tests/fixtures/netsh/captures/ is read again, and the parser must make of each
run exactly what the file records (values, or the problem with its message). Adding a report = adding one file."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.capture import Capture, ParsedRun, read_failure
from app.domain.parser import decode_output
from app.domain.runs import CommandResult
from app.runners.readings import reading_from
from app.simulator.capture import load_capture
from tests.conftest import FIXTURES, SAMPLES

CAPTURES = FIXTURES / "captures"
FILES = sorted(CAPTURES.glob("*.json"))
SITUATIONS = ("en-US", "zh-CN", "pre-1809", "netsh-missing", "netsh-failing", "ipv6-unreadable", "not-elevated")


def test_the_corpus_holds_every_sample_and_every_simulated_situation() -> None:
    names = {path.stem for path in FILES}
    for sample in SAMPLES.glob("*.txt"):
        assert f"real-{sample.stem}" in names, sample.name
    for situation in SITUATIONS:
        assert f"sim-{situation}" in names, situation
    assert {"derived-en-US-label-touching-colon", "derived-en-US-worker-count-with-unit"} <= names
    assert len(FILES) >= len(list(SAMPLES.glob("*.txt"))) + len(SITUATIONS) + 2


def _parsed_again(capture: Capture) -> list[ParsedRun]:
    again = []
    for run in capture.runs:
        if not run.started:
            again.append(ParsedRun.of(read_failure(run, capture.windows.build)))
            continue
        stdout = decode_output(run.stdout, capture.codepage).replace("\r\n", "\n")
        stderr = decode_output(run.stderr, capture.codepage).replace("\r\n", "\n")
        assert (stdout, stderr) == (run.stdout_text, run.stderr_text), "the recorded text is not the bytes decoded"
        result = CommandResult(run.argv, run.exit_code, stdout, stderr, timed_out=run.timed_out)
        again.append(ParsedRun.of(reading_from(result, capture.windows.build)))
    return again


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_the_parser_makes_of_each_capture_what_it_records(path: Path) -> None:
    capture = load_capture(path)
    assert capture.runs, "a capture without runs tests nothing"
    assert _parsed_again(capture) == [run.parsed for run in capture.runs]


def test_the_corpus_test_can_fail(tmp_path: Path) -> None:
    # A recorded expectation that the parser does not meet is seen: the English capture claims other values.
    text = (CAPTURES / "sim-en-US.json").read_text(encoding="utf-8").replace('"worker_count": 4', '"worker_count": 5')
    (tmp_path / "x.json").write_text(text, encoding="utf-8")
    capture = load_capture(tmp_path / "x.json")
    assert _parsed_again(capture) != [run.parsed for run in capture.runs]


def test_real_samples_are_never_read_as_settings() -> None:
    for path in CAPTURES.glob("real-*.json"):
        assert all(run.parsed.settings is None for run in load_capture(path).runs), path.name


def test_the_real_zh_cn_line_is_recognized_and_the_rest_refused() -> None:
    (run,) = load_capture(CAPTURES / "real-win11-ipv4-zh-CN-fragment.json").runs
    assert "\u73af\u56de\u5927 Mtu : enable" in run.stdout_text
    assert run.parsed.message.startswith("netsh's output could not be read with certainty: recognized large MTU;")


def test_the_privacy_evidence_stays_true() -> None:
    touching = load_capture(CAPTURES / "derived-en-US-label-touching-colon.json").runs[0]
    assert "Reassembly Out Of Order Limit: 32" in touching.stdout_text and "-" * 45 + "\n" in touching.stdout_text
    assert touching.parsed.settings is not None and touching.parsed.settings.worker_count == 2
    unit = load_capture(CAPTURES / "derived-en-US-worker-count-with-unit.json").runs[0]
    assert unit.parsed.settings is None and "4w" in unit.parsed.message
