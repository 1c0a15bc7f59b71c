"""The Measure dialog offscreen: opened from Tools, the results table with each spread, the simulated caveat,
progress, cancel (real worker processes, stopped) and a failure in words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt

from app.domain.measurements import (
    SIMULATED_CAVEAT,
    ConnectRun,
    FamilyMeasurement,
    LatencyRun,
    Measurement,
    MeasurePlan,
    RunResult,
    ThroughputRun,
)
from app.domain.model import ExecutionMode, Family, LoopbackSettings
from app.ui.measure_dialog import ROWS, MeasureDialog
from app.usecases.measure import Progress
from app.viewmodels.measure_vm import MeasureViewModel
from tests.ui.conftest import Rig, SignalWaiter
from tests.ui.test_dialogs import _action, _assert_focus_on, _assert_unique, _opens

SETTINGS = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)


def _run(p50: float, gb: float, per_s: int) -> RunResult:
    return RunResult(
        LatencyRun(1000, p50, p50 * 2, p50 * 4, p50 * 40), ThroughputRun(int(gb * 1e9), 1.0), ConnectRun(per_s, 1.0)
    )


def fake_measure(
    families: tuple[Family, ...], plan: MeasurePlan, *, simulated: bool, progress: Callable[[Progress], None], **_: Any
) -> Measurement:
    """Stands in for the use case: two progress reports, then fixed figures (IPv6 could not be measured)."""
    for index, family in enumerate(families, start=1):
        progress(Progress(index, len(families), family))
    v4 = FamilyMeasurement(Family.IPV4, (_run(10.0, 3.0, 9000), _run(12.0, 4.0, 11000), _run(11.0, 3.5, 10000)))
    v4 = FamilyMeasurement(Family.IPV4, v4.runs, None, SETTINGS)
    v6 = FamilyMeasurement(Family.IPV6, (), "the benchmark server exited with code 3 before reporting", SETTINGS)
    return Measurement(plan, (v4, v6), (Family.IPV4,) * 3, simulated)


def _column(dialog: MeasureDialog, column: int) -> list[str]:
    return [dialog.table.item(row, column).text() for row in range(dialog.table.rowCount())]


def test_tools_measure_loopback_opens_the_dialog_with_the_focus_on_start(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    _action(rig, "Measure &loopback\u2026").trigger()
    dialog = _opens(rig, wait, MeasureDialog)
    assert dialog.vm is rig.window.measure_vm and dialog.vm.simulated
    _assert_focus_on(dialog, dialog.start_button, qtbot, wait)
    _assert_unique(dialog, "Measure")
    dialog.reject()


def test_a_finished_measurement_shows_each_figure_with_its_spread_and_the_caveat(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    vm = MeasureViewModel(rig.vm, simulated=True, measure_function=fake_measure, parent=rig.vm)
    dialog = MeasureDialog(vm, rig.window)
    qtbot.addWidget(dialog)
    dialog.show()
    progress: list[str] = []
    vm.progress.connect(lambda _p: progress.append(dialog.progress.text()))
    wait(vm.finished, lambda: qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton))
    assert progress[-1].startswith("Run 2 of 2: IPv6, about")
    assert dialog.caveat.isVisible() and SIMULATED_CAVEAT[1:] in dialog.caveat.text()
    assert dialog.caveat.text().startswith("Simulated machine: ")
    v4, v6 = _column(dialog, 0), _column(dialog, 1)
    assert v4[: len(ROWS)] == [
        "11.0 \u00b5s  (10.0 \u00b5s\u201312.0 \u00b5s)",
        "22.0 \u00b5s  (20.0 \u00b5s\u201324.0 \u00b5s)",
        "44.0 \u00b5s  (40.0 \u00b5s\u201348.0 \u00b5s)",
        "440.0 \u00b5s  (400.0 \u00b5s\u2013480.0 \u00b5s)",
        "3,000 in 3 run(s)",
        "3.50 GB/s  (3.00 GB/s\u20134.00 GB/s)",
        "10,000/s  (9,000/s\u201311,000/s)",
    ]
    assert v4[len(ROWS)] == f"{SETTINGS.describe()} (simulated)" and v4[-1] == ""
    assert v6[: len(ROWS)] == ["\u2014"] * len(ROWS) and "exited with code 3" in v6[-1]
    assert not dialog.table.isRowHidden(len(ROWS) + 1)  # a family that failed says why
    assert dialog.table.horizontalHeaderItem(1).text() == "IPv6 (::1)"
    assert "could not be measured" in dialog.progress.text()
    assert dialog.start_button.isEnabled() and not dialog.cancel_button.isEnabled()
    dialog.close()


def test_cancel_stops_a_real_measurement_and_says_so(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    assert rig.window.measure_vm is not None
    dialog = MeasureDialog(rig.window.measure_vm, rig.window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.family.setCurrentIndex(1)  # IPv4 only
    dialog.seconds.setValue(60.0)  # only Cancel ends this in the test's time
    wait(rig.window.measure_vm.progress, lambda: qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton))
    assert dialog.cancel_button.isEnabled() and not dialog.start_button.isEnabled()
    assert dialog.progress.text().startswith("Run 1 of 3: IPv4, about")
    wait(rig.window.measure_vm.finished, lambda: qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton))
    assert dialog.progress.text().startswith("Cancelled: 0 run(s) were taken")
    assert "stopped before every run was taken" in _column(dialog, 0)[-1]
    assert dialog.start_button.isEnabled()
    dialog.close()


def test_a_failure_is_said_on_the_progress_line(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()

    def broken(*_args: object, **_kwargs: object) -> Measurement:
        raise OSError("Resource temporarily unavailable")

    vm = MeasureViewModel(rig.vm, simulated=True, measure_function=broken, parent=rig.vm)
    dialog = MeasureDialog(vm, rig.window)
    qtbot.addWidget(dialog)
    dialog.show()
    wait(vm.failed, lambda: qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton))
    assert dialog.progress.text() == "The measurement failed: Resource temporarily unavailable"
    assert not dialog.table.isVisible() and dialog.start_button.isEnabled()
    dialog.close()


def test_closing_the_dialog_cancels_a_running_measurement(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    vm = rig.window.measure_vm
    assert vm is not None
    dialog = MeasureDialog(vm, rig.window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.seconds.setValue(60.0)
    wait(vm.progress, lambda: qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton))
    (result,) = wait(vm.finished, lambda: qtbot.keyClick(dialog, Qt.Key.Key_Escape))
    assert vm.cancelled and not vm.running and not dialog.isVisible()
    assert all(f.error == "stopped before every run was taken" for f in result.families)
