"""SubprocessRunner against tiny real programs (``sys.executable -c``), never a mocked Popen."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.domain.runs import CommandResult, NetshMissingError
from app.runners.subprocess_runner import SubprocessRunner

ARGV = ("interface", "ipv4", "show", "global")


def python(code: str, **kwargs: object) -> SubprocessRunner:
    return SubprocessRunner([sys.executable, "-c", code], **kwargs)  # type: ignore[arg-type]


def test_exit_code_stdout_and_stderr_are_kept() -> None:
    runner = python("import sys; print('out', *sys.argv[1:]); print('err', file=sys.stderr); sys.exit(3)")
    result = runner.run_blocking(ARGV)
    assert result.argv == ARGV
    assert result.exit_code == 3 and not result.ok and not result.timed_out
    assert result.stdout == "out interface ipv4 show global\n"
    assert result.stderr == "err\n"
    assert result.describe_failure() == "netsh exited with code 3: out interface ipv4 show global"


def test_success_and_crlf_become_lf() -> None:
    runner = python("import sys; sys.stdout.buffer.write(b'Ok.\\r\\n\\r\\n')")
    result = runner.run_blocking(ARGV)
    assert result.ok and result.exit_code == 0
    assert result.stdout == "Ok.\n\n"


def test_output_is_decoded_with_the_code_page() -> None:
    code = "import sys; sys.stdout.buffer.write('\\u73af\\u56de\\u5927 Mtu : enable'.encode('cp936'))"
    assert python(code, codepage=936).run_blocking(ARGV).stdout == "\u73af\u56de\u5927 Mtu : enable"
    assert python(code, codepage=None).run_blocking(ARGV).stdout != "\u73af\u56de\u5927 Mtu : enable"


def test_no_stdin_is_given() -> None:
    result = python("import sys; print(repr(sys.stdin.read()))").run_blocking(ARGV)
    assert result.stdout.strip() == "''"


def test_environment_can_be_given() -> None:
    result = python("import os; print(os.environ.get('MARKER'))", env={"MARKER": "yes"}).run_blocking(ARGV)
    assert result.stdout.strip() == "yes"


def test_a_hung_program_is_killed_at_the_time_limit() -> None:
    runner = python("import sys, time; print('started', flush=True); time.sleep(120)", timeout_s=0.5)
    result = runner.run_blocking(ARGV)
    assert result.timed_out and result.exit_code is None and not result.ok
    assert 0.4 < result.duration_s < 30
    assert result.stdout == "started\n"
    assert "did not answer" in result.describe_failure()


def test_a_missing_executable_raises_netsh_missing(tmp_path: Path) -> None:
    runner = SubprocessRunner([str(tmp_path / "no-such-netsh.exe")])
    with pytest.raises(NetshMissingError, match="could not be started"):
        runner.run_blocking(ARGV)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_a_file_that_is_not_executable_raises_netsh_missing(tmp_path: Path) -> None:
    path = tmp_path / "netsh"
    path.write_text("#!/bin/sh\necho hi\n")
    path.chmod(0o644)
    with pytest.raises(NetshMissingError):
        SubprocessRunner([str(path)]).run_blocking(ARGV)


def test_no_shell_is_involved(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    runner = python("import sys; print(sys.argv[1:])")
    result = runner.run_blocking(("interface", f"x; touch {marker}", "$(touch " + str(marker) + ")"))
    assert not marker.exists()
    assert "touch" in result.stdout


def test_empty_program_is_refused() -> None:
    with pytest.raises(ValueError):
        SubprocessRunner([])


def test_description() -> None:
    assert SubprocessRunner(["/x/netsh"]).description == "netsh at /x/netsh"
    assert SubprocessRunner(["/x/netsh"], label="custom").description == "custom"


def test_command_result_json_round_trip_and_strictness() -> None:
    result = CommandResult(ARGV, None, "out", "err", 1.23456, timed_out=True)
    assert CommandResult.from_json(result.to_json()) == CommandResult(ARGV, None, "out", "err", 1.235, True)
    bad: object
    for bad in (
        [],
        {"argv": "x"},
        {**result.to_json(), "exit_code": True},
        {**result.to_json(), "stdout": 1},
        {**result.to_json(), "timed_out": "no"},
    ):
        with pytest.raises(ValueError):
            CommandResult.from_json(bad)
