"""Measure loopback: choose the families and the seconds per test, start or cancel, follow the progress, and read
the results per family in a table (median of the runs, with the lowest and highest). A second tab compares
configurations (app/ui/compare_view.py) when the view-model has a comparison."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.measurements import FamilyMeasurement, Measurement, MeasurePlan, Spread
from app.domain.model import Family
from app.ui.inputs import WrappedLabel
from app.ui.measure_inputs import SecondsPerTestBox, family_choice
from app.ui.slots import async_slot
from app.ui.theme import polish, set_role
from app.viewmodels.measure_vm import MeasureProgress, MeasureViewModel

if TYPE_CHECKING:  # the chart's modules load with the first result (_show_chart), not when the window starts
    from app.ui.charts import MeasurementChart
    from app.ui.compare_view import CompareView
    from app.viewmodels.chart_data import ChartData

_EN_DASH = "\u2013"


def _spread(spread: Spread, render: Callable[[float], str]) -> str:
    """``median (min to max)``: the figure and how far the runs were apart."""
    return f"{render(spread.median)}  ({render(spread.min)}{_EN_DASH}{render(spread.max)})"


def _us(value: float) -> str:
    return f"{value:,.1f} \u00b5s"


ROWS: tuple[tuple[str, Callable[[FamilyMeasurement], str]], ...] = (
    ("Round trip p50 (64 bytes)", lambda f: _spread(f.rtt_p50_us, _us)),
    ("Round trip p90", lambda f: _spread(f.rtt_p90_us, _us)),
    ("Round trip p99", lambda f: _spread(f.rtt_p99_us, _us)),
    ("Round trip max", lambda f: _spread(f.rtt_max_us, _us)),
    ("Round trips measured", lambda f: f"{f.latency_samples:,} in {len(f.runs)} run(s)"),
    ("Throughput (one stream)", lambda f: _spread(f.throughput_gb_per_s, lambda v: f"{v:.2f} GB/s")),
    ("New connections", lambda f: _spread(f.connections_per_s, lambda v: f"{v:,.0f}/s")),
)


def cell_texts(family: FamilyMeasurement, simulated: bool) -> list[str]:
    """The table's column for ``family``: one text per row of ROWS, then its settings and any error."""
    figures = [render(family) if family.runs else "\u2014" for _, render in ROWS]
    if family.settings is None:
        settings = "not read"
    else:
        settings = f"{family.settings.describe()}{' (simulated)' if simulated else ''}"
    return [*figures, settings, family.error or ""]


class MeasureDialog(QDialog):
    """Renders the view-model's progress and result; Start and Cancel forward to it. Closing cancels."""

    def __init__(self, vm: MeasureViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        self.setWindowTitle("Measure loopback")
        intro = WrappedLabel(
            "Times this computer's TCP loopback with the settings in effect now: round-trip latency of 64-byte "
            "messages, one stream's throughput and new connections per second. Each family gets three runs, "
            "interleaved; nothing is changed and nothing needs administrator rights."
        )
        set_role(intro, "hint")
        self.family = family_choice()
        self.seconds = SecondsPerTestBox()
        form = QFormLayout()
        family_label = QLabel("&Family:")
        family_label.setBuddy(self.family)
        seconds_label = QLabel("Seconds per &test:")
        seconds_label.setBuddy(self.seconds)
        form.addRow(family_label, self.family)
        form.addRow(seconds_label, self.seconds)

        self.progress = QLabel("Not measured yet.")
        self.progress.setAccessibleName("Progress")
        self.caveat = WrappedLabel()
        self.caveat.setObjectName("simBanner")  # the simulated machine's colours: the same warning as its banner
        self.caveat.setAccessibleName("About these figures")
        self.caveat.setVisible(False)
        self.table = QTableWidget(len(ROWS) + 2, 0)
        self.table.setAccessibleName("Results per family")
        self.table.setVerticalHeaderLabels([label for label, _ in ROWS] + ["Settings", "Could not measure"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setVisible(False)
        self.note = QLabel("Each figure is the median of the runs, the lowest and highest run in brackets.")
        set_role(self.note, "note")
        self.note.setVisible(False)
        self.chart: MeasurementChart | None = None  # made by the first result: Qt Charts loads then (_show_chart)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        measure_buttons = QDialogButtonBox()
        self.start_button = measure_buttons.addButton("&Start", QDialogButtonBox.ButtonRole.ActionRole)
        self.start_button.setDefault(True)
        self.cancel_button = measure_buttons.addButton("&Cancel measurement", QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button.setEnabled(False)
        buttons.rejected.connect(self.reject)
        self.start_button.clicked.connect(self._start)
        self.cancel_button.clicked.connect(vm.cancel)

        self.measure_page = QWidget()
        page = QVBoxLayout(self.measure_page)
        page.addWidget(intro)
        page.addLayout(form)
        page.addWidget(self.progress)
        page.addWidget(self.caveat)
        page.addWidget(self.table, 1)
        page.addWidget(self.note)
        page.addWidget(measure_buttons)
        layout = QVBoxLayout(self)
        self.compare_view: CompareView | None = None
        self.tabs: QTabWidget | None = None
        if vm.compare is not None:  # two tabs: measure the current settings, or compare configurations
            from app.ui.compare_view import CompareView  # loaded when the dialog opens, never at start-up

            self.compare_view = CompareView(vm.compare)
            self.tabs = QTabWidget()
            self.tabs.addTab(self.measure_page, "&Measure the current settings")
            self.tabs.addTab(self.compare_view, "C&ompare configurations")
            layout.addWidget(self.tabs, 1)
            vm.runningChanged.connect(self._one_at_a_time)
            vm.compare.phaseChanged.connect(self._one_at_a_time)
        else:  # the page is the dialog's whole content: the dialog's margins are enough (a tab keeps its own)
            page.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(self.measure_page, 1)
        layout.addWidget(buttons)
        vm.progress.connect(self.show_progress)
        vm.finished.connect(self.show_result)
        vm.failed.connect(self.show_failure)
        vm.runningChanged.connect(self.show_running)
        polish(self)
        if self.tabs is not None:
            self.resize(960, 720)
        else:
            self.resize(720, 520)
        self.start_button.setFocus()
        if vm.result is not None:  # opened again: the last result is still worth reading
            self.show_result(vm.result)
        self.show_running(vm.running)
        self._one_at_a_time()

    def _one_at_a_time(self, *_: object) -> None:
        """A measurement and a comparison never run together (each would skew the other): the other tab waits."""
        if self.tabs is None or self.vm.compare is None:
            return
        comparing = self.vm.compare.running
        self.tabs.setTabEnabled(0, not comparing)
        self.tabs.setTabEnabled(1, not self.vm.running)
        if comparing:
            self.tabs.setCurrentIndex(1)

    def plan(self) -> MeasurePlan:
        return MeasurePlan(seconds=round(self.seconds.value(), 1))

    def families(self) -> tuple[Family, ...]:
        families: tuple[Family, ...] = self.family.currentData()
        return families

    @async_slot()
    async def _start(self) -> None:
        await self.vm.start(self.families(), self.plan())

    # --- rendering ------------------------------------------------------------------------------------------
    def show_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.family.setEnabled(not running)
        self.seconds.setEnabled(not running)
        if running:
            self.progress.setText("Starting\u2026")
        (self.cancel_button if running else self.start_button).setFocus()

    def show_progress(self, progress: MeasureProgress) -> None:
        self.progress.setText(progress.describe())

    def show_failure(self, text: str) -> None:
        self.progress.setText(text)

    def show_result(self, result: Measurement) -> None:
        stopped = self.vm.cancelled
        seconds = f"{result.plan.seconds:g} s per test"
        if stopped:
            self.progress.setText(f"Cancelled: {len(result.order)} run(s) were taken ({seconds}).")
        elif result.ok:
            self.progress.setText(f"Measured: {len(result.order)} runs, {seconds}.")
        else:
            self.progress.setText("Measured, but a family could not be measured: see the table.")
        self.caveat.setText(result.caveat[:1].upper() + result.caveat[1:] + "." if result.caveat else "")
        self.caveat.setVisible(result.caveat is not None)
        self.table.setColumnCount(len(result.families))
        self.table.setHorizontalHeaderLabels([f"{f.family.label} ({f.address})" for f in result.families])
        for column, family in enumerate(result.families):
            for row, text in enumerate(cell_texts(family, result.simulated)):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        has_error = any(f.error for f in result.families)
        self.table.setRowHidden(len(ROWS) + 1, not has_error)
        self.table.setVisible(True)
        self.note.setVisible(True)
        from app.viewmodels.chart_data import chart_from_measurement

        self._show_chart(chart_from_measurement(result))

    # --- the chart (issue 15), above the table --------------------------------------------------------------
    def _show_chart(self, data: ChartData) -> None:
        """Draw ``data`` above the table; the first call creates the chart (and loads Qt Charts) and makes room."""
        from app.ui.charts import create_chart

        if self.chart is None:
            self.chart = create_chart(self)
            layout = self.measure_page.layout()
            assert isinstance(layout, QVBoxLayout)
            layout.insertWidget(layout.indexOf(self.table), self.chart, 2)
            polish(self.chart)
            screen = self.screen().availableGeometry()
            self.resize(min(max(self.width(), 820), screen.width()), min(max(self.height(), 860), screen.height()))
        # The dialog shows the caveat above already: once is enough (a chart on its own draws it)
        self.chart.show_data(dataclasses.replace(data, caveat=None))

    def done(self, result: int) -> None:
        # Close, Esc and the title bar's X all end here: the worker processes are stopped, and a comparison is
        # cancelled (an answer it waits for becomes "put the original values back": closing never keeps)
        self.vm.cancel()
        super().done(result)
