"""The simulator's faults for diagnostics: netsh missing, and one family's output unreadable."""

from __future__ import annotations

import pytest

from app.domain.commands import show_global
from app.domain.errors import UnrecognizedOutputError
from app.domain.model import Family, Store
from app.domain.runs import NetshMissingError
from app.simulator.machine import SIMULATED_INITIAL
from app.simulator.profile import Fault, SimProfile
from app.simulator.runner import SimulatedRunner
from tests.conftest import (
    MakeState,
    parse_show_global,  # the parser with the installed language table
)


def test_netsh_missing_cannot_be_started(make_state: MakeState) -> None:
    runner = SimulatedRunner(make_state(faults=frozenset({Fault.NETSH_MISSING})))
    with pytest.raises(NetshMissingError, match="The system cannot find the file specified"):
        runner.run_blocking(show_global(Family.IPV4))


@pytest.mark.parametrize(
    ("fault", "broken"), [(Fault.IPV4_UNREADABLE, Family.IPV4), (Fault.IPV6_UNREADABLE, Family.IPV6)]
)
def test_one_family_unreadable_leaves_the_other_readable(make_state: MakeState, fault: Fault, broken: Family) -> None:
    runner = SimulatedRunner(make_state(faults=frozenset({fault})))
    for family in Family:
        for store in Store:
            text = runner.run_blocking(show_global(family, store)).stdout
            if family is broken:
                with pytest.raises(UnrecognizedOutputError, match="recognized none"):
                    parse_show_global(text)
            else:
                assert parse_show_global(text) == SIMULATED_INITIAL


def test_the_runner_keeps_the_bytes_it_wrote(make_state: MakeState) -> None:
    result = SimulatedRunner(make_state(language="zh-CN")).run_blocking(show_global(Family.IPV4))
    assert result.raw_stdout is not None and result.raw_stdout.startswith("查询活动状态...\r\n".encode("cp936"))
    assert result.raw_stdout.decode("cp936").replace("\r\n", "\n") == result.stdout


def test_the_faults_are_profile_values() -> None:
    profile = SimProfile.from_json({"faults": ["netsh-missing", "ipv6-unreadable"]})
    assert profile.faults == {Fault.NETSH_MISSING, Fault.IPV6_UNREADABLE}
