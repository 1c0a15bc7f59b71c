"""Measure now's use case (issue 15): pause and switch a running trial through a real helper process on the
simulated machine; every switch is checked by a fresh unelevated read."""

from __future__ import annotations

import contextlib
import time

import pytest

from app.domain.model import Family, LoopbackSettings
from app.domain.outcomes import Outcome
from app.elevation.protocol import MAX_PAUSE_S, MAX_PAUSES, MAX_SWITCHES
from app.paths import AppPaths
from app.simulator.machine import SIMULATED_INITIAL
from app.simulator.profile import Fault
from app.usecases.trials import Active, HelperError, TrialEndedError
from app.wiring import make_launcher
from tests.conftest import MakeState
from tests.usecases.test_trials import BOTH, CHANGE, EIGHT, RecordingLauncher, Rig, set_profile


@pytest.fixture
def rig(make_state: MakeState, paths: AppPaths) -> Rig:
    return Rig(make_state(), paths)


def _settings(rig: Rig) -> dict[Family, LoopbackSettings]:
    return rig.values()[0]


def test_a_switch_puts_the_values_found_before_back_and_a_read_shows_them(rig: Rig) -> None:
    trial = rig.service().begin(BOTH, seconds=30)
    before = trial.switch(Active.BEFORE)
    assert (before.active, before.ok, before.mismatches) == (Active.BEFORE, True, ())
    assert before.state.settings() == dict.fromkeys(Family, SIMULATED_INITIAL)
    assert len(before.results) == 2  # one set per family
    back = trial.switch(Active.TRIAL)
    assert (back.active, back.ok) == (Active.TRIAL, True)
    assert back.state.settings() == {fc.family: fc.after for fc in BOTH.families}
    result = trial.keep()
    assert result.outcome is Outcome.KEPT and result.mismatches == ()
    assert [r.argv[-1] for r in result.results] == ["store=active"] * 6 + ["store=persistent"] * 2


def test_keep_while_the_values_found_before_are_active_keeps_the_trial_values(rig: Rig) -> None:
    trial = rig.service().begin(CHANGE, seconds=30)
    assert trial.switch(Active.BEFORE).ok
    assert _settings(rig)[Family.IPV4] == SIMULATED_INITIAL
    result = trial.keep()
    assert result.outcome is Outcome.KEPT and result.mismatches == ()
    active, persistent = rig.values()
    assert active[Family.IPV4] == persistent[Family.IPV4] == EIGHT


def test_revert_while_the_values_found_before_are_active_leaves_them(rig: Rig) -> None:
    trial = rig.service().begin(CHANGE, seconds=30)
    trial.switch(Active.BEFORE)
    assert trial.revert().outcome is Outcome.REVERTED
    assert rig.unchanged()


def test_a_switch_that_does_not_stick_is_seen_by_the_read(rig: Rig) -> None:
    trial = rig.service().begin(CHANGE, seconds=30)
    set_profile(rig, faults=[Fault.SET_IGNORED.value])  # netsh says Ok. and changes nothing
    switched = trial.switch(Active.BEFORE)
    assert switched.helper_ok and not switched.ok  # the helper's runs "worked"; the read says otherwise
    assert [m.family for m in switched.mismatches] == [Family.IPV4]
    set_profile(rig, faults=[])
    assert trial.revert().outcome is Outcome.REVERTED and rig.unchanged()


def test_a_switch_that_fails_is_reported_and_a_keep_still_keeps_the_trial_values(rig: Rig) -> None:
    trial = rig.service().begin(CHANGE, seconds=30)
    set_profile(rig, faults=[Fault.SET_FAILS.value])
    switched = trial.switch(Active.BEFORE)
    assert (switched.active, switched.helper_ok, switched.ok) == (Active.UNKNOWN, False, False)
    assert "IPv4" in switched.message
    set_profile(rig, faults=[])
    assert trial.keep().outcome is Outcome.KEPT
    assert rig.values()[0][Family.IPV4] == rig.values()[1][Family.IPV4] == EIGHT


def test_a_pause_moves_the_helpers_deadline(rig: Rig) -> None:
    trial = rig.service(grace_s=0).begin(CHANGE, seconds=1)  # the helper's own cap: 1 s
    trial.pause(4)
    for _ in range(8):  # 2 s of beats: past the 1 s cap, within 1 + 4
        time.sleep(0.25)
        trial.beat()
    result = trial.keep()
    assert result.outcome is Outcome.KEPT


def test_without_a_pause_the_same_wait_is_reverted(rig: Rig) -> None:
    trial = rig.service(grace_s=0).begin(CHANGE, seconds=1)
    for _ in range(8):
        time.sleep(0.25)
        trial.beat()
    result = trial.keep()
    assert (result.outcome, result.reason) == (Outcome.REVERTED, "deadline")


def test_pauses_are_bounded_before_anything_is_sent(rig: Rig) -> None:
    trial = rig.service().begin(CHANGE, seconds=30)
    for seconds in (0, MAX_PAUSE_S + 1):
        with pytest.raises(ValueError):
            trial.pause(seconds)
    for _ in range(MAX_PAUSES):
        trial.pause(1)
    assert trial.pauses_left == 0
    with pytest.raises(ValueError):
        trial.pause(1)  # one more would make the helper revert: never sent
    assert trial.keep().outcome is Outcome.KEPT


def test_a_switch_after_the_helper_ended_says_so_and_the_decision_reports_how(rig: Rig) -> None:
    launcher = RecordingLauncher(make_launcher(rig.backend))
    trial = rig.service(launcher, grace_s=0).begin(CHANGE, seconds=1)
    assert launcher.processes[0].wait(30.0) == 1  # the helper reverted at its cap
    with pytest.raises(TrialEndedError):
        trial.switch(Active.BEFORE)
    result = trial.revert("measurement cut short")
    assert (result.outcome, result.reason) == (Outcome.REVERTED, "deadline")
    assert rig.unchanged() and rig.outcomes() == ["reverted"]


def test_no_switch_once_the_trial_is_decided(rig: Rig) -> None:
    trial = rig.service().begin(CHANGE, seconds=30)
    trial.revert()
    with pytest.raises(HelperError):
        trial.switch(Active.BEFORE)


@pytest.mark.parametrize("switches", [[Active.BEFORE], [Active.BEFORE, Active.TRIAL]])
def test_an_app_that_dies_while_switched_leaves_the_originals(rig: Rig, switches: list[Active]) -> None:
    launcher = RecordingLauncher(make_launcher(rig.backend))
    trial = rig.service(launcher).begin(CHANGE, seconds=30)
    for to in switches:
        trial.switch(to)
    assert trial._session is not None
    trial._session.conn.close()  # the app's end goes away, as when the app is killed
    assert launcher.processes[0].wait(30.0) == 1
    assert rig.unchanged()
    with contextlib.suppress(Exception):  # the dead app's half: release the trial's lock
        trial.revert()


def test_switches_are_bounded_before_anything_is_sent(rig: Rig) -> None:
    trial = rig.service().begin(CHANGE, seconds=30)
    for n in range(MAX_SWITCHES):
        trial.switch(Active.TRIAL if n % 2 else Active.BEFORE)
    assert trial.switches_left == 0
    with pytest.raises(ValueError):
        trial.switch(Active.BEFORE)
    assert trial.keep().outcome is Outcome.KEPT  # the helper never saw a ninth
