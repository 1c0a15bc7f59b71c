"""Both frozen exes as benchmark workers: the smoke test's own function (packaging/build.py
``smoke_benchmark_worker``), run against the bundle when one was built."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.packaging.conftest import REPO, LoadModule

BUNDLE = REPO / "dist" / "loopback-tuner"
SUFFIX = ".exe" if sys.platform == "win32" else ""


@pytest.mark.skipif(
    not (BUNDLE / f"loopback-tuner-cli{SUFFIX}").is_file(), reason="no frozen bundle: run `make package`"
)
def test_both_frozen_exes_run_a_short_measurement(
    load_packaging: LoadModule, capsys: pytest.CaptureFixture[str]
) -> None:
    build = load_packaging("build")
    build.smoke_benchmark_worker(BUNDLE)
    out = capsys.readouterr().out
    assert "ok: loopback-tuner-cli: round trip p50" in out and "ok: loopback-tuner: round trip p50" in out


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in exes are scripts with a #! line")
def test_the_smoke_test_fails_on_an_exe_that_is_not_a_worker(load_packaging: LoadModule, tmp_path: Path) -> None:
    # A bundle whose exes exit at once: the smoke test must say which exe failed, not pass.
    build = load_packaging("build")
    fake = tmp_path
    for name in ("loopback-tuner-cli", "loopback-tuner"):
        exe = fake / f"{name}{SUFFIX}"
        exe.write_text(f"#!{sys.executable}\nimport sys\nsys.exit(0)\n")
        exe.chmod(0o755)
    with pytest.raises(build.StepError, match="frozen loopback-tuner-cli --benchmark-worker: the benchmark server"):
        build.smoke_benchmark_worker(fake)
