"""The help-desk view-models, each over its narrow interface, against the simulated machine (no window built)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.domain.interactions import ProblemKind
from app.domain.model import ExecutionMode, Family, LoopbackSettings
from app.domain.presets import LargeMtuChoice, PresetId
from app.simulator.profile import SimProfile
from app.viewmodels.messages import Level
from tests.viewmodels.conftest import Models

Run = Callable[[Any], Any]
BBR2_MACHINE = SimProfile(elevated=True, build=26100, congestion_provider="bbr2")


def pending(m: Models) -> dict[Family, LoopbackSettings]:
    return {fc.family: fc.after for fc in m.main.pending_change().families}


def test_favor_throughput_uses_the_configured_machines_processors(models: Callable[..., Models]) -> None:
    m = models(SimProfile(elevated=True, processors=12))
    assert m.presets.apply_preset(PresetId.THROUGHPUT)
    assert {s.worker_count for s in pending(m).values()} == {12}
    assert all(s.execution_mode is ExecutionMode.WORKER for s in pending(m).values())


def test_a_preset_turns_large_mtu_on_and_says_why(models: Callable[..., Models]) -> None:
    m = models()
    m.main.set_large_mtu(Family.IPV4, False)
    m.main.discard()
    assert m.presets.apply_preset(PresetId.LATENCY)
    assert m.presets.note == LargeMtuChoice.TURNED_ON.text
    assert m.messages[-1].level is Level.INFO and LargeMtuChoice.TURNED_ON.text in m.messages[-1].text


def _large_mtu_off(m: Models, run: Run) -> None:
    """The machine itself has large MTU off (as after the banner's fix was applied), read again."""

    def off(machine: Any) -> None:
        for family in Family:
            machine.active[family] = dataclasses.replace(machine.active[family], large_mtu=False)

    m.state.update(off)
    run(m.main.refresh())


def test_where_the_bbr2_rule_applies_a_preset_leaves_large_mtu_alone(models: Callable[..., Models], run: Run) -> None:
    m = models(BBR2_MACHINE)
    (problem,) = m.facts.warnings
    assert problem.kind is ProblemKind.BBR2_LARGE_MTU
    _large_mtu_off(m, run)
    assert m.presets.apply_preset(PresetId.LATENCY)
    assert m.presets.note == LargeMtuChoice.LEFT_AS_IS.text
    assert pending(m) and not any(s.large_mtu for s in pending(m).values())  # the preset did not undo the fix


def test_elsewhere_a_preset_turns_large_mtu_back_on(models: Callable[..., Models], run: Run) -> None:
    m = models(SimProfile(elevated=True, build=26100, congestion_provider="cubic"))
    _large_mtu_off(m, run)
    assert m.presets.apply_preset(PresetId.LATENCY)
    assert all(s.large_mtu for s in pending(m).values())


def test_the_warning_fix_starts_from_pending_edits(models: Callable[..., Models]) -> None:
    m = models(BBR2_MACHINE)
    m.main.set_mode(Family.IPV4, ExecutionMode.WORKER)
    (problem,) = m.facts.warnings
    assert problem.fix[Family.IPV4] == LoopbackSettings(ExecutionMode.WORKER, 4, False)


def test_unknown_build_defaults_are_refused_with_a_warning(models: Callable[..., Models]) -> None:
    m = models(defaults='{"format": "loopback-tuner-defaults", "version": 1, "entries": []}')
    assert m.presets.windows_defaults() is None and m.presets.defaults_problem == ""
    assert not m.presets.restore_windows_defaults((Family.IPV4,))
    assert m.messages[-1].level is Level.WARNING and "not known" in m.messages[-1].text


def test_a_bad_profile_is_refused_and_changes_nothing(models: Callable[..., Models], run: Run, tmp_path: Path) -> None:
    m = models()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert not run(m.profiles.import_profile(bad))
    assert m.messages[-1].level is Level.ERROR and not m.main.has_pending


def test_only_a_change_that_stayed_can_be_reverted(models: Callable[..., Models], run: Run) -> None:
    m = models()
    entries, _ = run(m.history.entries())
    assert entries == []
    m.main.set_workers(Family.IPV4, 9)
    run(m.main.apply())
    run(m.main.keep())
    (entry,) = run(m.history.entries())[0]
    assert entry.stayed and m.history.revert_entry(entry)
    assert pending(m)[Family.IPV4].worker_count == 4


def test_an_active_only_value_can_be_saved_from_the_window(models: Callable[..., Models], run: Run) -> None:
    """Issue 13: a value marked 'not saved: lost at reboot' is saved through the same elevated path, no trial."""
    m = models()

    def active_only(machine: Any) -> None:
        machine.active[Family.IPV4] = dataclasses.replace(machine.active[Family.IPV4], worker_count=7)

    m.state.update(active_only)
    run(m.main.refresh())
    assert m.main.can_save(Family.IPV4) and not m.main.can_save(Family.IPV6)
    result = run(m.main.save())
    assert result is not None and result.outcome.value == "kept"
    assert m.state.load().persistent[Family.IPV4].worker_count == 7
    assert not m.main.can_save(Family.IPV4)
    assert m.messages[-1].level is Level.SUCCESS and "saved" in m.messages[-1].text
    assert run(m.main.save()) is None and m.messages[-1].text == "Every value is saved already."


def test_after_keep_the_window_says_open_connections_may_keep_the_old_behaviour(
    models: Callable[..., Models], run: Run
) -> None:
    m = models()
    m.main.set_workers(Family.IPV4, 9)
    run(m.main.apply())
    run(m.main.keep())
    success = [x for x in m.messages if x.level is Level.SUCCESS][-1]
    assert "may keep the old behavior until they reconnect" in success.text


def test_a_refresh_checks_the_known_problems_again(models: Callable[..., Models], run: Run) -> None:
    from app.viewmodels.lifecycle import WindowLifecycle

    m = models()
    lifecycle = WindowLifecycle(m.main, m.facts)
    run(lifecycle.start())
    run(lifecycle.drained())
    assert not m.facts.warnings
    m.state.set_profile(BBR2_MACHINE)
    run(m.facts.load_info())
    run(m.main.refresh())  # the refresh starts the check in the background
    run(lifecycle.drained())
    assert [w.kind for w in m.facts.warnings] == [ProblemKind.BBR2_LARGE_MTU]
