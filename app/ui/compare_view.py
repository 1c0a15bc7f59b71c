"""Compare configurations: pick them (the current values first, the presets, one of your own), the families, rounds,
seconds and goal, and optionally your own command; follow the progress; read the table and the recommendation
(with the simulated machine's caveat), then keep one configuration or put the original values back."""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.comparisons import ROUNDS, ConfigurationResult, Goal, Recommendation, Standing
from app.domain.measurements import SIMULATED_CAVEAT, Difference, Spread
from app.domain.model import WORKER_COUNT_MAX, WORKER_COUNT_MIN, ExecutionMode, Family, SettingsPatch
from app.domain.presets import PRESETS
from app.ui.inputs import FocusWheelComboBox, FocusWheelSpinBox, WrappedLabel
from app.ui.measure_inputs import SecondsPerTestBox, family_choice
from app.ui.slots import async_slot
from app.ui.theme import polish, set_role
from app.viewmodels.compare_vm import CompareProgress, CompareRequest, CompareViewModel, Phase, describe_progress

if TYPE_CHECKING:  # the chart loads with the first results (_show_chart), not when the dialog opens
    from app.ui.charts import MeasurementChart

_EN_DASH = "\u2013"
_PRESET_TEXT = {"latency": "Favor &latency", "throughput": "Favor t&hroughput", "balanced": "&Balanced"}
COLUMNS = (
    "Configuration",
    "Values",
    "Round trip p50",
    "Throughput",
    "Your command",
    "Latency vs current",
    "Throughput vs current",
)
_VS_COLUMNS = (5, 6)  # hidden on the simulated machine: a difference there is never a setting's effect


def _spread(values: Sequence[float], render: Callable[[float], str], unit: str) -> str:
    """The median with its unit, and under it the lowest and highest round."""
    if not values:
        return "\u2014"
    s = Spread.of(values)
    return f"{render(s.median)} {unit}\n({render(s.min)}{_EN_DASH}{render(s.max)})"


def _values(result: ConfigurationResult) -> str:
    """The configuration's values: once when every family has the same ones."""
    settings = result.configuration.settings
    distinct = {s for s in settings.values()}
    if len(settings) > 1 and len(distinct) == 1:
        return f"{' and '.join(f.label for f in settings)}:\n{next(iter(distinct)).describe()}"
    return "\n".join(f"{f.label} {s.describe()}" for f, s in settings.items())


def _difference(d: Difference | None) -> str:
    """A difference from the current values, short: "better by 50% (0.49-0.52)", the ratio's 95% interval in
    brackets (the tooltip and the recommendation give Difference.describe's whole sentence)."""
    if d is None:
        return "\u2014"
    if not d.is_real:
        return textwrap.fill(str(d.verdict), 16)  # "no measurable / difference": the table stays narrow
    return f"{d.verdict} by {abs(d.ratio - 1) * 100:.0f}%\n(ratio {d.low:.2f}{_EN_DASH}{d.high:.2f})"


def row_tooltips(standing: Standing | None) -> dict[int, str]:
    """The cells whose tooltip says more than the cell: the differences' whole sentences."""
    if standing is None:
        return {}
    return {c: d.describe() for c, d in zip(_VS_COLUMNS, (standing.latency, standing.throughput), strict=True) if d}


def row_texts(index: int, result: ConfigurationResult, standing: Standing | None, best: int | None) -> list[str]:
    """One row of the table: the configuration, its values, the medians with the lowest and highest round, the
    workload, and the differences from the current values (with their noise interval)."""
    label = f"{index + 1} {result.configuration.label}"
    if index == 0:
        label += " (baseline)"
    if index == best:
        label += " \u2605 recommended"
    if result.problems:
        label += " \u26a0"  # what went wrong is listed under the table
    work = "\u2014"
    if result.workload:
        failed = sum(1 for w in result.workload if not w.ok)
        times = [w.seconds for w in result.workload if w.ok]
        work = _spread(times, lambda v: f"{v:.3f}", "s") if times else "failed"
        if failed and times:
            work += f", {failed} failed"
    vs = ["", ""]
    if standing is not None:
        vs = [_difference(d) for d in (standing.latency, standing.throughput)]
    return [
        label,
        _values(result),
        _spread(result.latency_runs, lambda v: f"{v:,.1f}", "\u00b5s"),
        _spread(result.throughput_runs, lambda v: f"{v:.2f}", "GB/s"),
        work,
        *vs,
    ]


class CompareView(QWidget):
    """Renders the comparison view-model's state; its buttons forward intent. ``chart_area`` is the slot where the
    finished comparison's chart goes (empty until a chart widget is put into its layout)."""

    def __init__(self, vm: CompareViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        intro = WrappedLabel(
            "Tries each configuration in turn under one administrator prompt: the helper applies it, the app reads "
            "it back, then measures, in interleaved rounds (1 2 3 1 2 3 \u2026). At the end you keep one "
            "configuration (saved) or put the original values back; if anything goes wrong, the originals come back."
        )
        set_role(intro, "hint")

        current = QCheckBox("Current values (the baseline, always first)")
        current.setChecked(True)
        current.setEnabled(False)
        self.presets: dict[str, QCheckBox] = {}
        preset_row = QHBoxLayout()
        for p in PRESETS:
            box = QCheckBox(_PRESET_TEXT[p.id.value])
            box.setChecked(True)
            box.setToolTip(p.why)
            self.presets[p.id.value] = box
            preset_row.addWidget(box)
        preset_row.addStretch(1)
        self.custom = QCheckBox("C&ustom:")
        self.custom_mode = FocusWheelComboBox()
        self.custom_mode.setAccessibleName("Custom execution mode")
        for mode in ExecutionMode:
            self.custom_mode.addItem(f"{mode.value} mode", mode)
        self.custom_workers = QSpinBox()
        self.custom_workers.setAccessibleName("Custom worker count")
        self.custom_workers.setRange(WORKER_COUNT_MIN, WORKER_COUNT_MAX)
        self.custom_workers.setValue(4)
        self.custom_workers.setSuffix(" workers")
        self.custom_mtu = FocusWheelComboBox()
        self.custom_mtu.setAccessibleName("Custom large MTU")
        self.custom_mtu.addItem("large MTU on", True)
        self.custom_mtu.addItem("large MTU off", False)
        custom_row = QHBoxLayout()
        for w in (self.custom, self.custom_mode, self.custom_workers, self.custom_mtu):
            custom_row.addWidget(w)
        custom_row.addStretch(1)
        self.custom.toggled.connect(self._custom_toggled)
        self._custom_toggled(False)
        configurations = QVBoxLayout()
        configurations.addWidget(current)
        configurations.addLayout(preset_row)
        configurations.addLayout(custom_row)

        self.family = family_choice()
        self.rounds = FocusWheelSpinBox()
        self.rounds.setRange(*ROUNDS)
        self.rounds.setValue(3)
        self.seconds = SecondsPerTestBox()
        self.goal = FocusWheelComboBox()
        for goal, text in (
            (Goal.BALANCED, "Balanced: better in one figure, worse in neither"),
            (Goal.LATENCY, "Latency: the round trip's p50"),
            (Goal.THROUGHPUT, "Throughput: one stream's GB/s"),
        ):
            self.goal.addItem(text, goal)
        self.workload = QLineEdit()
        self.workload.setPlaceholderText("optional, e.g. python my_client.py --requests 1000")
        self.workload.textChanged.connect(self._workload_changed)
        self.workload_note = WrappedLabel()
        set_role(self.workload_note, "note")
        self.workload_note.setVisible(False)
        numbers = QHBoxLayout()
        numbers.addWidget(self.rounds)
        seconds_label = QLabel("Seconds per &test:")
        seconds_label.setBuddy(self.seconds)
        numbers.addWidget(seconds_label)
        numbers.addWidget(self.seconds)
        numbers.addStretch(1)
        form = QFormLayout()
        form.addRow("Configurations:", configurations)
        self._add_row(form, "&Families:", self.family, self.family)
        self._add_row(form, "&Rounds:", numbers, self.rounds)
        self._add_row(form, "&Goal:", self.goal, self.goal)
        self._add_row(form, "Your &command:", self.workload, self.workload)
        form.addRow("", self.workload_note)
        self.setup = QWidget()
        self.setup.setLayout(form)

        self.start_button = QPushButton("St&art comparison")
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel compar&ison")
        self.cancel_button.setEnabled(False)
        self.start_button.clicked.connect(self._start)
        self.cancel_button.clicked.connect(self._cancel)
        controls = QHBoxLayout()
        self.progress = QLabel("Not compared yet.")
        self.progress.setAccessibleName("Comparison progress")
        self.progress.setWordWrap(True)
        controls.addWidget(self.progress, 1)
        controls.addWidget(self.start_button)
        controls.addWidget(self.cancel_button)

        self.caveat = WrappedLabel()
        self.caveat.setObjectName("simBanner")  # the simulated machine's colours, as in the Measure tab
        self.caveat.setAccessibleName("About these figures")
        self.caveat.setVisible(False)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("Results per configuration")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.Stretch
        )  # the values take the rest
        self.table.setVisible(False)
        self.note = WrappedLabel(
            "Each figure is the median of the rounds (both families averaged when both are measured), the lowest "
            "and highest round in brackets; a difference counts only when its 95% interval stays clear of no change."
        )
        set_role(self.note, "note")
        self.note.setVisible(False)
        self.problems = WrappedLabel()
        self.problems.setAccessibleName("Problems")
        self.problems.setVisible(False)
        self.recommendation = WrappedLabel()
        self.recommendation.setAccessibleName("Recommendation")
        self.recommendation.setVisible(False)
        self.chart_area = QWidget()  # the chart goes here (a passive widget drawing the view-model's figures)
        self.chart_area.setObjectName("chartArea")
        self.chart_layout = QVBoxLayout(self.chart_area)
        self.chart_layout.setContentsMargins(0, 0, 0, 0)
        self.chart_area.setVisible(False)
        self.chart: MeasurementChart | None = None  # made with the first results: Qt Charts loads then

        self.keep_choice = FocusWheelComboBox()
        self.keep_choice.setAccessibleName("Configuration to keep")
        self.keep_choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.keep_choice.currentIndexChanged.connect(self._keep_choice_changed)
        self.keep_button = QPushButton("&Keep configuration")
        self.put_back_button = QPushButton("&Put the original values back")
        self.keep_button.clicked.connect(lambda: vm.keep(self.keep_choice.currentData()))
        self.put_back_button.clicked.connect(vm.put_back)
        self.answer = QWidget()
        answer_row = QHBoxLayout(self.answer)
        answer_row.setContentsMargins(0, 0, 0, 0)
        answer_row.addWidget(QLabel("Keep:"))
        answer_row.addWidget(self.keep_choice)
        answer_row.addWidget(self.keep_button)
        answer_row.addStretch(1)
        answer_row.addWidget(self.put_back_button)
        self.answer.setVisible(False)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.setup)
        layout.addLayout(controls)
        layout.addWidget(self.caveat)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.problems)
        layout.addWidget(self.recommendation)
        layout.addWidget(self.chart_area)  # a chart put in it should take the spare height: addWidget(chart, 1)
        layout.addWidget(self.answer)

        vm.progress.connect(self.show_progress)
        vm.phaseChanged.connect(self.show_phase)
        vm.deciding.connect(self.show_results)
        vm.ended.connect(self.show_ending)
        self._workload_changed("")
        if vm.results:  # opened again: the last comparison is still worth reading
            self.show_results()
        if vm.phase is Phase.DONE:
            self.show_ending()
        self.show_phase(vm.phase)

    @staticmethod
    def _add_row(form: QFormLayout, text: str, field: QWidget | QHBoxLayout | QVBoxLayout, buddy: QWidget) -> None:
        label = QLabel(text)
        label.setBuddy(buddy)
        form.addRow(label, field)

    # --- intent --------------------------------------------------------------------------------------------
    def _custom_toggled(self, on: bool) -> None:
        for w in (self.custom_mode, self.custom_workers, self.custom_mtu):
            w.setEnabled(on)

    def _workload_changed(self, text: str) -> None:
        argv, problem = self.vm.split_workload(text)
        if problem:
            note = problem[:1].upper() + problem[1:] + "."
        elif argv:
            shown = " ".join(f"[{a}]" for a in argv)
            note = (
                f"Runs {shown} after each measurement, with your rights, never through a shell. {self.vm.workload_note}"
            ).strip()
        else:
            note = ""
        self.workload_note.setText(note)
        self.workload_note.setVisible(bool(note))
        if not self.vm.running:
            self.start_button.setEnabled(not problem)

    def request(self) -> CompareRequest:
        custom = None
        if self.custom.isChecked():
            mode = ExecutionMode(self.custom_mode.currentData())  # Qt hands a str enum back as its str
            custom = SettingsPatch(mode, self.custom_workers.value(), bool(self.custom_mtu.currentData()))
        families: tuple[Family, ...] = self.family.currentData()
        return CompareRequest(
            presets=tuple(name for name, box in self.presets.items() if box.isChecked()),
            custom=custom,
            families=families,
            rounds=self.rounds.value(),
            seconds=round(self.seconds.value(), 1),
            goal=Goal(self.goal.currentData()),
            workload=self.vm.split_workload(self.workload.text())[0],
        )

    @async_slot()
    async def _start(self) -> None:
        await self.vm.start(self.request())

    def _cancel(self) -> None:
        self.vm.cancel()
        self.cancel_button.setEnabled(False)
        self.progress.setText("Cancelling: the original values come back after the step under way\u2026")

    def _keep_choice_changed(self, _index: int) -> None:
        index = self.keep_choice.currentData()
        if index is not None:
            self.keep_button.setText(f"&Keep configuration {index + 1}")

    # --- rendering -----------------------------------------------------------------------------------------
    def show_phase(self, phase: Phase) -> None:
        running = phase in (Phase.RUNNING, Phase.DECIDING, Phase.FINISHING)
        self.setup.setVisible(not running)  # while it runs the results get the room; shown again to start anew
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(phase is Phase.RUNNING)
        self.answer.setVisible(phase is Phase.DECIDING)
        if phase is Phase.RUNNING:
            self.progress.setText("Starting: answer the administrator prompt\u2026")
            self.table.setVisible(False)
            self.note.setVisible(False)
            self.problems.setVisible(False)
            self.recommendation.setVisible(False)
            self.chart_area.setVisible(False)
            self.caveat.setVisible(False)
            self.cancel_button.setFocus()
        elif phase is Phase.FINISHING:
            self.progress.setText("Carrying out your answer\u2026")
        elif phase is Phase.IDLE:
            self.start_button.setFocus()

    def show_progress(self, progress: CompareProgress) -> None:
        if self.vm.phase is Phase.RUNNING and self.cancel_button.isEnabled():  # not once Cancel was pressed
            self.progress.setText(describe_progress(progress))

    def show_results(self) -> None:
        results, rec = self.vm.results, self.vm.recommendation
        if not results or rec is None:
            return
        self._fill_table(results, rec)
        self.caveat.setText(SIMULATED_CAVEAT[:1].upper() + SIMULATED_CAVEAT[1:] + "." if self.vm.simulated else "")
        self.caveat.setVisible(self.vm.simulated)
        goal = f" for {self.vm.plan.goal.value}" if self.vm.plan else ""
        reason = "nothing is recommended: simulated machine (see above)" if self.vm.simulated else rec.reason
        self.recommendation.setText(f"Recommendation{goal}: {reason}.")
        self.recommendation.setVisible(True)
        self._show_chart()
        self.keep_choice.blockSignals(True)
        self.keep_choice.clear()
        for index, result in enumerate(results[1:], start=1):
            self.keep_choice.addItem(f"{index + 1} {result.configuration.label}", index)
        self.keep_choice.setCurrentIndex((rec.best or 1) - 1)
        self.keep_choice.blockSignals(False)
        self._keep_choice_changed(self.keep_choice.currentIndex())
        if self.vm.phase is Phase.DECIDING:
            minutes = max(1, int(self.vm.answer_within_s // 60))
            self.progress.setText(
                f"Done measuring: keep one configuration, or put the original values back (answer within about "
                f"{minutes} min: after that the helper puts them back on its own)."
            )
            self.answer.setVisible(True)
            button = self.keep_button if rec.best is not None else self.put_back_button
            button.setDefault(True)
            button.setFocus()

    def _show_chart(self) -> None:
        """Draw the view-model's chart data under the table; the first call creates the chart (Qt Charts loads
        then, never at start-up) and gives it the spare height, the table keeping just what its rows need."""
        data = self.vm.chart()
        if data is None:
            return
        if self.chart is None:
            from app.ui.charts import create_chart

            self.chart = create_chart(self.chart_area)
            self.chart_layout.addWidget(self.chart)
            polish(self.chart)
            layout = self.layout()
            assert isinstance(layout, QVBoxLayout)
            layout.setStretchFactor(self.table, 0)
            layout.setStretchFactor(self.chart_area, 2)
        self.chart_area.setVisible(True)
        # The view shows the caveat above the table already: once is enough (a chart on its own draws it)
        self.chart.show_data(dataclasses.replace(data, caveat=None))

    def _fill_table(self, results: Sequence[ConfigurationResult], rec: Recommendation) -> None:
        standings = {s.index: s for s in rec.standings}
        self.table.setRowCount(len(results))
        bold = QFont(self.table.font())
        bold.setBold(True)
        for row, result in enumerate(results):
            tips = row_tooltips(standings.get(row))
            for column, text in enumerate(row_texts(row, result, standings.get(row), rec.best)):
                item = QTableWidgetItem(text)
                if 2 <= column <= 4:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setToolTip(tips.get(column, text))
                if row == rec.best:
                    item.setFont(bold)
                self.table.setItem(row, column, item)
        for column in _VS_COLUMNS:
            self.table.setColumnHidden(column, self.vm.simulated)
        self.table.setColumnHidden(4, not any(r.workload for r in results))
        self.table.resizeRowsToContents()
        rows = sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        # Just the rows' height (a few configurations): the chart below takes the rest
        self.table.setFixedHeight(
            rows + self.table.horizontalHeader().sizeHint().height() + 4 * self.table.frameWidth()
        )
        self.table.setVisible(True)
        problems = [f"\u26a0 {i + 1} {r.configuration.label}: {p}" for i, r in enumerate(results) for p in r.problems]
        self.problems.setText("\n".join(problems))
        self.problems.setVisible(bool(problems))
        self.note.setVisible(True)

    def show_ending(self) -> None:
        if self.vm.results:
            self.show_results()
        self.answer.setVisible(False)
        self.progress.setText(self.vm.ending)
        self.start_button.setFocus()
