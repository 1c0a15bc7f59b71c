"""Measure now in the keep-or-revert dialog, offscreen: the countdown pauses while a real short measurement runs,
then the before/after figures and the simulated machine's caveat appear; Revert during a measurement stops it and
reverts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app.domain.measurements import MeasurePlan
from app.domain.model import ExecutionMode, Family
from app.domain.outcomes import Outcome
from app.simulator.machine import SIMULATED_INITIAL
from app.ui.dialogs import KeepDialog
from tests.ui.conftest import Rig, SignalWaiter

Run = Callable[[Any], Any]
SHORT = MeasurePlan(seconds=0.1, warmup_s=0.02, runs=1)


def _trial(rig: Rig, run: Run) -> KeepDialog:
    assert rig.vm.measure_now is not None
    rig.vm.measure_now.plan = SHORT
    rig.vm.set_mode(Family.IPV4, ExecutionMode.INLINE)
    run(rig.vm.apply())
    dialog = rig.window.keep_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_measure_now_pauses_the_countdown_and_shows_before_and_after(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    dialog = _trial(rig, run)
    now = rig.vm.measure_now
    assert now is not None
    assert dialog.measure_button.isVisible() and not dialog.measure_button.autoDefault()
    assert dialog.revert_button.isDefault()  # Enter still reverts
    paused_texts: list[str] = []
    now.runningChanged.connect(lambda running: running and paused_texts.append(dialog.countdown.text()))
    (result,) = wait(now.finished, lambda: qtbot.mouseClick(dialog.measure_button, Qt.MouseButton.LeftButton))
    assert paused_texts and "Paused while measuring" in paused_texts[0]
    assert not result.problem and len(result.families) == 1
    assert dialog.figures.isVisible() and dialog.caveat.isVisible()
    assert dialog.caveat.text().startswith("Simulated machine: these are real measurements")
    cells = [label.text() for label in dialog.figures.findChildren(QLabel)]
    assert {"Round trip p50", "Round trip p99", "Throughput", "New connections"} <= set(cells)
    assert any(text.endswith("GB/s") for text in cells) and "<b>Before</b>" in cells
    assert "come back in" in dialog.countdown.text() and rig.vm.countdown.running and not rig.vm.countdown.paused
    assert rig.state.load().active[Family.IPV4].execution_mode is ExecutionMode.INLINE  # the trial values are back
    assert dialog.measure_button.isEnabled() and not dialog.cancel_measure_button.isVisible()
    wait(now.finished, lambda: qtbot.mouseClick(dialog.measure_button, Qt.MouseButton.LeftButton))
    assert not dialog.measure_button.isEnabled()  # the trial's switches are used up: the helper would revert
    (ended,) = wait(rig.vm.trialEnded, dialog.keep_button.click)
    assert ended.outcome is Outcome.KEPT
    assert rig.state.load().persistent[Family.IPV4].execution_mode is ExecutionMode.INLINE


def test_revert_during_a_measurement_stops_it_and_reverts(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    dialog = _trial(rig, run)
    now = rig.vm.measure_now
    assert now is not None
    now.plan = MeasurePlan(seconds=30.0, warmup_s=0.0, runs=1)  # only a stop ends this in time
    wait(now.runningChanged, lambda: qtbot.mouseClick(dialog.measure_button, Qt.MouseButton.LeftButton))
    assert dialog.cancel_measure_button.isVisible() and not dialog.measure_button.isEnabled()
    assert dialog.keep_button.isEnabled() and dialog.revert_button.isEnabled()
    (ended,) = wait(rig.vm.trialEnded, dialog.revert_button.click, timeout_s=30)
    assert ended.outcome is Outcome.REVERTED
    wait.until(lambda: not now.running)
    assert rig.state.load().active[Family.IPV4] == SIMULATED_INITIAL


def test_cancel_measurement_resumes_the_countdown(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    dialog = _trial(rig, run)
    now = rig.vm.measure_now
    assert now is not None
    now.plan = MeasurePlan(seconds=30.0, warmup_s=0.0, runs=1)
    wait(now.runningChanged, lambda: qtbot.mouseClick(dialog.measure_button, Qt.MouseButton.LeftButton))
    (result,) = wait(now.finished, dialog.cancel_measure_button.click, timeout_s=30)
    assert result.problem == "cancelled" and "Stopped (cancelled)" in dialog.progress.text()
    assert rig.vm.countdown.running and not rig.vm.countdown.paused
    assert rig.state.load().active[Family.IPV4].execution_mode is ExecutionMode.INLINE
    wait(rig.vm.trialEnded, dialog.revert_button.click)
