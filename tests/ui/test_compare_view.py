"""The Measure dialog's comparison tab offscreen: opened from Tools, the request it builds from its pickers, the
progress line, the finished state (table, recommendation with its margin and interval, the simulated caveat, Keep
and Put back), the answers, and closing while the answer is awaited (the originals come back)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt

from app.domain.comparisons import Configuration, ConfigurationResult, Goal, recommend
from app.domain.measurements import ConnectRun, FamilyMeasurement, LatencyRun, MeasurePlan, RunResult, ThroughputRun
from app.domain.model import ExecutionMode, Family, LoopbackSettings, SettingsPatch
from app.domain.outcomes import Outcome
from app.ui.compare_view import COLUMNS, CompareView
from app.ui.measure_dialog import MeasureDialog
from app.usecases.compare import ComparePlan, CompareProgress, ComparisonReport, Stage
from app.viewmodels.compare_vm import CompareRequest, CompareViewModel, Phase
from app.viewmodels.measure_vm import MeasureViewModel
from tests.ui.conftest import Rig, SignalWaiter
from tests.ui.test_dialogs import _action, _assert_unique, _opens

CURRENT = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)
INLINE = LoopbackSettings(ExecutionMode.INLINE, 4, True)
WORKER = LoopbackSettings(ExecutionMode.WORKER, 8, True)


def _runs(p50s: Sequence[float], gb: float) -> FamilyMeasurement:
    runs = tuple(
        RunResult(LatencyRun(1000, p, p * 2, p * 4, p * 40), ThroughputRun(int(gb * 1e9), 1.0), ConnectRun(9000, 1.0))
        for p in p50s
    )
    return FamilyMeasurement(Family.IPV4, runs)


def fixed_results() -> tuple[ConfigurationResult, ...]:
    """Inline clearly faster than the current values; worker no different; three rounds each."""
    return (
        ConfigurationResult(Configuration("current", {Family.IPV4: CURRENT}), (_runs([10.0, 10.2, 10.1], 3.0),)),
        ConfigurationResult(Configuration("latency", {Family.IPV4: INLINE}), (_runs([5.0, 5.1, 5.2], 3.0),)),
        ConfigurationResult(
            Configuration("throughput", {Family.IPV4: WORKER}),
            (_runs([10.0, 10.3, 10.1], 3.0),),
            ("round 2: did not stick (IPv4 execution mode: worker expected, adaptive found); not measured",),
        ),
    )


class FakeCompare:
    """Stands in for compare_under_lock: one progress report, the fixed results to ``decide``, then a report."""

    def __init__(self, simulated: bool) -> None:
        self.simulated, self.requests = simulated, []

    def __call__(self, configurations: Sequence[Configuration], plan: ComparePlan, **hooks: Any) -> ComparisonReport:
        self.requests.append((list(configurations), plan))
        hooks["progress"](CompareProgress(2, 3, 1, 3, "latency", Stage.MEASURING, 12.0))
        results = fixed_results()
        rec = recommend(results, plan.goal, simulated=self.simulated)
        chosen = hooks["decide"](rec, results)
        outcome = Outcome.KEPT if chosen is not None else Outcome.REVERTED
        after = {Family.IPV4: results[chosen].configuration.settings[Family.IPV4] if chosen else CURRENT}
        return ComparisonReport(plan, results, rec, chosen, outcome, "asked", self.simulated, 20.0, after)


def _dialog(rig: Rig, qtbot: Any, *, simulated: bool) -> tuple[MeasureDialog, CompareView, FakeCompare]:
    fake = FakeCompare(simulated)
    compare = CompareViewModel(rig.vm, fake, simulated=simulated, elevated=False, parent=rig.vm)
    vm = MeasureViewModel(rig.vm, simulated=simulated, compare=lambda: compare, parent=rig.vm)
    dialog = MeasureDialog(vm, rig.window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.tabs is not None and dialog.compare_view is not None
    dialog.tabs.setCurrentIndex(1)
    view = dialog.compare_view
    view.presets["balanced"].setChecked(False)
    view.rounds.setValue(3)
    view.seconds.setValue(0.1)
    view.family.setCurrentIndex(1)  # IPv4
    return dialog, view, fake


def _row(view: CompareView, row: int) -> list[str]:
    return [view.table.item(row, c).text() for c in range(view.table.columnCount())]


def test_tools_measure_loopback_has_a_compare_tab_with_unique_alt_letters(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    _action(rig, "Measure &loopback\u2026").trigger()
    dialog = _opens(rig, wait, MeasureDialog)
    assert dialog.tabs is not None and dialog.tabs.tabText(1) == "C&ompare configurations"
    _assert_unique(dialog, "Measure tab")
    dialog.tabs.setCurrentIndex(1)
    _assert_unique(dialog, "Compare tab")
    assert dialog.compare_view.vm is rig.window.measure_vm.compare  # the composition root's, made on first use
    dialog.reject()


def test_a_finished_comparison_on_a_real_machine_shows_the_table_the_recommendation_and_the_answer(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    dialog, view, fake = _dialog(rig, qtbot, simulated=False)
    view.goal.setCurrentIndex(view.goal.findData(Goal.LATENCY))
    view.custom.setChecked(True)
    view.custom_mode.setCurrentIndex(view.custom_mode.findData(ExecutionMode.WORKER))
    view.custom_workers.setValue(2)
    view.custom_mtu.setCurrentIndex(1)
    assert view.request() == CompareRequest(
        ("latency", "throughput"), SettingsPatch(ExecutionMode.WORKER, 2, False), (Family.IPV4,), 3, 0.1, Goal.LATENCY
    )
    progress: list[str] = []
    view.vm.progress.connect(lambda _p: progress.append(view.progress.text()))
    wait(view.vm.deciding, lambda: qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton))
    ((configurations, plan),) = fake.requests
    assert [c.label for c in configurations] == ["current", "latency", "throughput", "custom 1"]
    assert plan.measure == MeasurePlan(seconds=0.1, runs=1) and plan.rounds == 3
    assert progress == ["Round 2 of 3, configuration 2 of 3 (latency): measuring\u2026 about 12 s left"]
    assert view.table.isVisible() and view.table.rowCount() == 3 and not view.caveat.isVisible()
    latency = _row(view, 1)
    assert latency[0] == "2 latency \u2605 recommended" and latency[1] == "IPv4 " + INLINE.describe()
    assert latency[2] == "5.1 \u00b5s\n(5.0\u20135.2)" and latency[3] == "3.00 GB/s\n(3.00\u20133.00)"
    assert latency[5] == "better by 50%\n(ratio 0.49\u20130.52)" and latency[6] == "no measurable\ndifference"
    assert view.table.item(1, 5).toolTip().startswith("better by 50% (95% interval of the ratio 0.490 to 0.520)")
    assert _row(view, 0)[0] == "1 current (baseline)" and _row(view, 2)[0] == "3 throughput \u26a0"
    assert view.problems.isVisible() and view.problems.text().startswith("\u26a0 3 throughput: round 2: did not stick")
    assert view.table.isColumnHidden(COLUMNS.index("Your command"))  # no workload: no column
    text = view.recommendation.text()
    assert text.startswith("Recommendation for latency: latency wins for latency: latency better by 50% (95%")
    assert view.chart_area.isVisible() and view.chart is not None and view.chart.data is not None
    # the chart draws the view-model's rows, the recommended one marked; the caveat is the view's, not repeated
    assert [row.label for row in view.chart.data.rows] == ["1 current", "2 latency", "3 throughput"]
    assert [row.recommended for row in view.chart.data.rows] == [False, True, False]
    assert view.chart.data.caveat is None
    assert view.progress.text().startswith("Done measuring: keep one configuration, or put the original values back")
    assert "answer within about " in view.progress.text()
    assert view.answer.isVisible() and view.keep_button.text() == "&Keep configuration 2"
    assert view.keep_button.isDefault() and view.put_back_button.isVisible()
    assert not view.cancel_button.isEnabled() and not view.start_button.isEnabled()
    wait(view.vm.ended, lambda: qtbot.mouseClick(view.keep_button, Qt.MouseButton.LeftButton))
    assert view.vm.report is not None and view.vm.report.kept == 1
    assert view.progress.text() == "Kept configuration 2 (latency): saved, as after a trial's Keep."
    assert not view.answer.isVisible() and view.table.isVisible() and view.start_button.isEnabled()
    dialog.close()


def test_on_the_simulated_machine_the_caveat_shows_and_no_difference_is_presented(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    dialog, view, _fake = _dialog(rig, qtbot, simulated=True)
    wait(view.vm.deciding, view.start_button.click)
    assert view.caveat.isVisible() and view.caveat.text().startswith("Simulated machine: ")
    assert "the simulated settings do not change it" in view.caveat.text()
    assert all(view.table.isColumnHidden(COLUMNS.index(c)) for c in ("Latency vs current", "Throughput vs current"))
    assert "\u2605" not in " ".join(_row(view, r)[0] for r in range(3))
    assert view.recommendation.text().startswith("Recommendation for balanced: nothing is recommended: simulated")
    assert (view.put_back_button.isDefault() and view.put_back_button.hasFocus()) or not dialog.isActiveWindow()
    wait(view.vm.ended, view.put_back_button.click)
    assert view.progress.text() == "The original values are back." and view.vm.report.kept is None
    dialog.close()


def test_closing_the_dialog_while_the_answer_is_awaited_puts_the_originals_back(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    dialog, view, _fake = _dialog(rig, qtbot, simulated=False)
    wait(view.vm.deciding, view.start_button.click)
    assert view.vm.phase is Phase.DECIDING
    wait(view.vm.ended, dialog.reject)  # Esc, Close or the title bar's X
    assert view.vm.report is not None and view.vm.report.kept is None
    assert view.vm.report.outcome is Outcome.REVERTED


def test_a_workload_is_shown_as_the_argv_it_runs_and_a_bad_one_refused(
    rig_factory: Callable[..., Rig], qtbot: Any
) -> None:
    rig = rig_factory()
    dialog, view, _fake = _dialog(rig, qtbot, simulated=True)
    view.workload.setText('python "my client.py" --n 5')
    assert view.workload_note.isVisible() and "[python] [my client.py] [--n] [5]" in view.workload_note.text()
    assert "never through a shell" in view.workload_note.text() and view.start_button.isEnabled()
    assert view.request().workload == ("python", "my client.py", "--n", "5")
    view.workload.setText('python "unclosed')
    assert view.workload_note.text().startswith("The command cannot be split") and not view.start_button.isEnabled()
    view.vm.elevated = True
    view.workload.setText("bench")
    assert "runs as administrator, so your command runs with administrator rights" in view.workload_note.text()
    dialog.close()


def test_quitting_the_window_while_the_answer_is_awaited_puts_the_originals_back(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    fake = FakeCompare(False)
    compare = CompareViewModel(rig.vm, fake, simulated=False, elevated=False, parent=rig.vm)
    measure = MeasureViewModel(rig.vm, simulated=False, compare=lambda: compare, parent=rig.vm)
    rig.window._make_measure_vm = lambda: measure  # the Measure view's model is built on first use (issue 16)
    _action(rig, "Measure &loopback\u2026").trigger()
    dialog = _opens(rig, wait, MeasureDialog)
    dialog.tabs.setCurrentIndex(1)
    wait(compare.deciding, dialog.compare_view.start_button.click)
    rig.window.close()  # quitting: the window's closeEvent cancels the Measure view's work (and stops the loop)
    assert compare._answer.event.is_set() and compare._answer.index is None  # the worker's answer: put back
    wait.until(lambda: compare.phase is Phase.DONE)
    assert compare.report is not None and compare.report.kept is None and compare.ending.startswith("The original")


def test_cancel_says_it_is_cancelling_then_how_it_ended(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    dialog, view, _fake = _dialog(rig, qtbot, simulated=False)
    seen: list[str] = []

    def cancel_at_first_progress(_p: object) -> None:
        view.cancel_button.click()
        seen.append(view.progress.text())

    view.vm.progress.connect(cancel_at_first_progress)
    wait(view.vm.ended, view.start_button.click)
    assert seen == ["Cancelling: the original values come back after the step under way\u2026"]
    assert not view.cancel_button.isEnabled() and view.vm.report is not None and view.vm.report.kept is None
    dialog.close()
