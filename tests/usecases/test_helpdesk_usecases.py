"""The help-desk decisions both faces share: typed results, decided once (app/usecases/helpdesk.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.interactions import ProblemKind
from app.domain.machine_facts import CongestionReading, MachineInfo
from app.domain.model import ExecutionMode, Family, LoopbackSettings
from app.domain.presets import LargeMtuChoice, PresetId
from app.usecases.helpdesk import (
    DefaultsProblem,
    DefaultsTable,
    DefaultsUnavailableError,
    ProfileError,
    fill_preset,
    read_profile,
    write_profile,
)
from app.usecases.known_problems import known_problems

OFF = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, False)
ON = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)
BBR2 = CongestionReading({"Internet": "BBR2"})
CUBIC = CongestionReading({"Internet": "CUBIC"})


def info(build: int | None = 26100, processors: int | None = 6) -> MachineInfo:
    return MachineInfo("pc", "Windows", build, "en-US", True, False, processors)


def test_a_preset_uses_the_machines_processors_and_turns_large_mtu_on() -> None:
    plan = fill_preset(PresetId.THROUGHPUT, {Family.IPV4: OFF}, info(processors=6), CUBIC)
    assert plan.targets == {Family.IPV4: LoopbackSettings(ExecutionMode.WORKER, 6, True)}
    assert plan.large_mtu is LargeMtuChoice.TURNED_ON and plan.processors == 6


@pytest.mark.parametrize("build", [22621, 26100])
def test_where_bbr2_stalls_loopback_a_preset_leaves_large_mtu_as_it_is(build: int) -> None:
    plan = fill_preset(PresetId.LATENCY, {Family.IPV4: OFF, Family.IPV6: ON}, info(build), BBR2)
    assert plan.large_mtu is LargeMtuChoice.LEFT_AS_IS
    assert [plan.targets[f].large_mtu for f in (Family.IPV4, Family.IPV6)] == [False, True]


def test_before_22h2_or_unknown_facts_the_rule_does_not_apply() -> None:
    assert fill_preset(PresetId.LATENCY, {Family.IPV4: OFF}, info(22000), BBR2).large_mtu is LargeMtuChoice.TURNED_ON
    assert fill_preset(PresetId.LATENCY, {Family.IPV4: OFF}, None, None).targets[Family.IPV4].large_mtu


def test_the_known_problem_is_typed_and_its_fix_starts_from_the_pending_values() -> None:
    pending = {Family.IPV4: LoopbackSettings(ExecutionMode.WORKER, 8, True)}
    (problem,) = known_problems(info(), BBR2.providers, {Family.IPV4: ON, Family.IPV6: ON}, pending)
    assert problem.kind is ProblemKind.BBR2_LARGE_MTU
    assert problem.fix == {Family.IPV4: LoopbackSettings(ExecutionMode.WORKER, 8, False), Family.IPV6: OFF}
    assert known_problems(info(), CUBIC.providers, {Family.IPV4: ON}) == ()
    assert known_problems(info(), BBR2.providers, {Family.IPV4: OFF}) == ()


def test_the_defaults_table_says_why_it_cannot_answer() -> None:
    assert DefaultsTable.from_text(None).problem is DefaultsProblem.MISSING
    assert DefaultsTable.from_text("{nope").problem is DefaultsProblem.DAMAGED
    empty = DefaultsTable.from_text('{"format": "loopback-tuner-defaults", "version": 1, "entries": []}')
    with pytest.raises(DefaultsUnavailableError) as raised:
        empty.for_machine(26100, simulated=True)
    assert raised.value.problem is DefaultsProblem.UNKNOWN_BUILD
    with pytest.raises(DefaultsUnavailableError) as raised:
        DefaultsTable.from_text(None).for_machine(26100, simulated=True)
    assert raised.value.problem is DefaultsProblem.MISSING


def test_profiles_round_trip_and_a_bad_or_missing_file_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    write_profile(path, {Family.IPV4: ON}, "test")
    assert read_profile(path) == {Family.IPV4: ON}
    path.write_bytes(b"x" * 70_000)
    with pytest.raises(ProfileError, match="is not a usable profile"):
        read_profile(path)
    with pytest.raises(ProfileError, match="could not be read"):
        read_profile(tmp_path / "missing.json")
    with pytest.raises(ProfileError, match="could not be written"):
        write_profile(tmp_path, {Family.IPV4: ON}, "test")  # a folder stands where the file would go
