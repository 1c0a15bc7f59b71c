"""On a real Windows machine: read the real netsh, and run a trial that changes a value and reverts it.

Marked ``windows``: skipped elsewhere; the Windows workflow runs them (its runner has administrator rights).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.domain.model import Change, Family, FamilyChange, LoopbackSettings, ReadProblem
from app.paths import AppPaths
from app.runners.factory import Backend, BackendKind, make_runner
from app.usecases.endings import result_ending
from app.usecases.reading import read_machine

pytestmark = [pytest.mark.windows, pytest.mark.skipif(sys.platform != "win32", reason="needs a real Windows machine")]


def test_reads_the_real_machine_without_elevation_or_guessing() -> None:
    state = read_machine(make_runner(Backend(BackendKind.SYSTEM)))
    for family in Family:
        fs = state[family]
        if fs.settings is None:
            assert fs.failure is not None
            # netsh itself must work; only an old build or an unknown display language may stop the read.
            assert fs.failure.problem in (ReadProblem.UNSUPPORTED, ReadProblem.UNRECOGNIZED), fs.failure
        else:
            assert 1 <= fs.settings.worker_count <= 16


def test_a_trial_applies_then_reverts_and_the_machine_ends_as_it_began(tmp_path: Path) -> None:
    from app.platform.windows import default_api, is_elevated
    from app.wiring import build_services

    if not is_elevated(default_api()):
        pytest.skip("needs an elevated session (the CI runner is); a UAC prompt cannot be answered here")
    backend = Backend(BackendKind.SYSTEM)
    services = build_services(backend, AppPaths(data=tmp_path / "data", logs=tmp_path / "logs"))

    def scenario() -> None:
        before = read_machine(services.reader)
        start = before[Family.IPV4].settings
        if start is None:
            pytest.skip(f"IPv4 cannot be read here: {before[Family.IPV4].failure}")
        other = start.worker_count + 1 if start.worker_count < 16 else start.worker_count - 1
        change = Change(
            (FamilyChange(Family.IPV4, start, LoopbackSettings(start.execution_mode, other, start.large_mtu)),)
        )
        trial = services.transactions.begin(change, seconds=30)
        during = read_machine(services.reader)
        assert during[Family.IPV4].settings is not None and during[Family.IPV4].settings.worker_count == other
        assert during[Family.IPV4].saved == before[Family.IPV4].saved  # the trial never touches the saved store
        result = trial.revert()
        assert result_ending(result).succeeded, result
        after = read_machine(services.reader)
        for family in Family:
            assert after[family].active == before[family].active
            assert after[family].persistent == before[family].persistent

    scenario()
