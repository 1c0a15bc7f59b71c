"""No parser of the app takes an abbreviated option: a typo is an error, never another option (issue 13)."""

from __future__ import annotations

import pytest

from app.cli_parts.common import UsageError
from app.cli_parts.parser import build_parser
from app.elevation import helper
from app.main import _parser as gui_parser


def test_the_window_refuses_an_abbreviated_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        gui_parser().parse_args(["--count", "20"])  # --countdown, abbreviated
    assert stopped.value.code == 2 and "unrecognized arguments: --count" in capsys.readouterr().err
    assert gui_parser().parse_args(["--countdown", "20"]).countdown == 20


def test_every_command_line_parser_refuses_abbreviations() -> None:
    for argv in (["--back", "simulated", "show"], ["show", "--js"], ["export", "p.json", "--for"]):
        with pytest.raises(UsageError):
            build_parser().parse_args(argv)


def test_the_helper_refuses_an_abbreviated_option(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "--back", "simulated", "--state", "/tmp/s.json", "--address", "/tmp/lt/channel", "--app-pid", "42",
        "--authkey", "ab" * 32, "--deadline-seconds", "30", "--keep-store", "persistent",
        "--change", "ipv4:loopbackworkercount=8",
    ]  # fmt: skip
    assert helper.main(argv) == helper.EXIT_USAGE
    assert "helper: refused:" in capsys.readouterr().err
