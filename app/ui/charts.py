"""The Measure view's chart: a passive widget that draws a ChartData with Qt Charts, imported on first use only.

Qt Charts (PySide6-Addons) is imported by :func:`create_chart`, never when this module is imported, so the window
starts without it (tests/ui/test_charts.py checks). Why Qt Charts and not pyqtgraph: README, "Chart library (issue
15)". One small chart per unit, so no axis mixes them: the round trip's p50, p90 and p99 as grouped bars on top, then
throughput, new connections and (when measured) the user's workload; every bar is the median of the runs, with a
whisker from the lowest to the highest run, and the recommended configuration sits on a highlighted band.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QMargins, QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QCursor, QPainter, QPalette, QPen, QResizeEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QToolTip, QVBoxLayout, QWidget

from app.domain.measurements import Spread
from app.viewmodels.chart_data import ChartData, ChartRow

if TYPE_CHECKING:
    from PySide6.QtCharts import QAbstractAxis, QAbstractSeries, QBarSeries, QChart, QChartView

STAR = "\u2605"
EN_DASH = "\u2013"
BAR_WIDTH = 0.75  # of a category's width, shared by its bars (Qt Charts' own layout: BarChartItem)
BAND_AMBER = "#f5b700"  # the recommended row's band, translucent over the background
NARROW_BAR_WIDTH = 0.55  # for one or two rows (a single measurement), where 0.75 makes slabs
TWO_LINES_HEIGHT = 400  # for the charts; with less, a comparison's go side by side: two lines would squash them


@dataclass(frozen=True, slots=True)
class Panel:
    """One small chart: a figure (or the three percentiles) per row, in one unit."""

    key: str
    title: str
    better: str  # "lower is better" or "higher is better", under the title
    unit: str
    names: tuple[str, ...]  # one bar per row and name
    figures: tuple[Callable[[ChartRow], Spread | None], ...]
    colors: tuple[tuple[str, str], ...]  # per name: (light theme, dark theme)


LATENCY = Panel(
    "latency",
    "Round trip, 64 bytes",
    "lower is better",
    "\u00b5s",
    ("p50", "p90", "p99"),
    (lambda r: r.rtt_p50_us, lambda r: r.rtt_p90_us, lambda r: r.rtt_p99_us),
    (("#1f5f9e", "#6cb2f0"), ("#4f8fcf", "#3a7fc2"), ("#9cc3e8", "#22507f")),
)
THROUGHPUT = Panel(
    "throughput", "Throughput", "higher is better", "GB/s", ("GB/s",),
    (lambda r: r.throughput_gb_per_s,), (("#2a7d4f", "#5cc98d"),),
)  # fmt: skip
CONNECTIONS = Panel(
    "connections", "New connections", "higher is better", "per s", ("per s",),
    (lambda r: r.connections_per_s,), (("#6a4c93", "#b79be0"),),
)  # fmt: skip
WORKLOAD = Panel(
    "workload", "Your workload", "lower is better", "s", ("s",),
    (lambda r: r.workload_s,), (("#b3541e", "#f09a5c"),),
)  # fmt: skip


def qtcharts() -> ModuleType:
    """PySide6.QtCharts, imported on the first call (about 4 MB of libraries and a few tens of ms)."""
    from PySide6 import QtCharts  # here, never at the top: the window starts without Qt Charts

    return QtCharts


def create_chart(parent: QWidget | None = None) -> MeasurementChart:
    """An empty chart widget; its first creation loads Qt Charts. Draw with :meth:`MeasurementChart.show_data`."""
    qtcharts()
    return MeasurementChart(parent)


def panels_for(data: ChartData) -> tuple[Panel, ...]:
    """The latency, throughput and connection panels, and the workload's when any row has one."""
    panels = [LATENCY, THROUGHPUT, CONNECTIONS]
    if any(row.workload_s is not None for row in data.rows):
        panels.append(WORKLOAD)
    return tuple(panels)


def category_label(row: ChartRow, short: bool = False) -> str:
    """The row's label under its bars, starred when recommended; ``short``: a configuration's number alone (the
    small charts have no room for names: the large one above them shows the number with the name)."""
    first = row.label.split(" ", 1)[0]
    label = first if short and first.isdigit() else row.label
    return f"{STAR} {label}" if row.recommended else label


def _number(value: float) -> str:
    if value >= 10_000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def figure_text(panel: Panel, name: str, row: ChartRow, spread: Spread | None) -> str:
    """One bar in words: ``1 current, p50: 11.8 µs (11 to 12.5 over 3 runs, with an en dash)``; its tooltip."""
    what = f"{row.label}, {name if panel is LATENCY else panel.title.lower()}"
    if spread is None:
        return f"{what}: not measured"
    runs = f"over {spread.runs} runs" if spread.runs != 1 else "one run"
    low, high = _number(spread.min), _number(spread.max)
    return f"{what}: {_number(spread.median)} {panel.unit} ({low}{EN_DASH}{high} {runs})"


def describe(data: ChartData) -> str:
    """The chart in words, for screen readers and tooltips: every bar's median and its runs' range."""
    lines = [data.title]
    if data.caveat:
        lines.append(data.caveat[:1].upper() + data.caveat[1:] + ".")
    for row in data.rows:
        parts = []
        for panel in panels_for(data):
            for name, figure in zip(panel.names, panel.figures, strict=True):
                spread = figure(row)
                label = name if panel is LATENCY else panel.key
                if spread is None:
                    parts.append(f"{label} not measured")
                else:
                    low, high = _number(spread.min), _number(spread.max)
                    parts.append(f"{label} {_number(spread.median)} {panel.unit} ({low}{EN_DASH}{high})")
        recommended = " (recommended)" if row.recommended else ""
        lines.append(f"{row.label}{recommended}: " + ", ".join(parts))
    return "\n".join(lines)


def nice_step(top: float, ticks: int = 5) -> float:
    """A 1, 2, 2.5 or 5 times a power of ten that cuts 0..``top`` into at most ``ticks`` intervals."""
    return nice_ceiling(top / ticks)


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above ``value`` (1 for nothing to show)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** _floor_log10(value)
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * power * (1 + 1e-9):
            return step * power
    return 10 * power


def _floor_log10(value: float) -> int:
    exponent = 0
    while value >= 10:
        value /= 10
        exponent += 1
    while value < 1:
        value *= 10
        exponent -= 1
    return exponent


@dataclass(frozen=True, slots=True)
class Colors:
    """The chart's colours, from the widget's palette (light or dark: app.ui.theme)."""

    dark: bool
    background: QColor
    text: QColor
    grid: QColor
    whisker: QColor
    band: QColor
    highlight: QColor  # the band's colour, opaque: its legend marker

    @classmethod
    def of(cls, palette: QPalette) -> Colors:
        background = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        dark = background.lightness() < 128
        grid = _mix(background, text, 0.16)
        whisker = _mix(background, text, 0.85)
        amber = QColor(BAND_AMBER)  # not the palette's highlight: that is blue, like the round-trip bars
        band = QColor(amber)
        band.setAlpha(55 if dark else 60)
        return cls(dark, background, text, grid, whisker, band, _mix(background, amber, 0.6))

    def series(self, panel: Panel, index: int) -> QColor:
        return QColor(panel.colors[index][self.dark])


def _mix(a: QColor, b: QColor, share_of_b: float) -> QColor:
    def channel(x: int, y: int) -> int:
        return round(x + (y - x) * share_of_b)

    return QColor(channel(a.red(), b.red()), channel(a.green(), b.green()), channel(a.blue(), b.blue()))


class MeasurementChart(QWidget):
    """Draws the ChartData it is given; holds no other state and forwards nothing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Chart of the results")
        self.title = QLabel()
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.caveat = QLabel()
        self.caveat.setObjectName("simBanner")  # the simulated machine's colours (app.ui.theme), on the chart
        self.caveat.setWordWrap(True)
        self.caveat.setAccessibleName("About these figures")
        self.caveat.setVisible(False)
        self.grid = QGridLayout()
        self.grid.setSpacing(6)
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.addWidget(self.title)
        self.column.addWidget(self.caveat)
        self.column.addLayout(self.grid, 1)
        self.views: dict[str, QChartView] = {}
        self.data: ChartData | None = None
        self.one_line = True
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(560, 260)

    def changeEvent(self, event: QEvent) -> None:
        """A new palette (light to dark): draw the same data again in its colours."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self.data is not None:
            self.show_data(self.data)

    def show_data(self, data: ChartData) -> None:
        """Draw ``data``, replacing whatever was drawn before."""
        self.data = data
        self.title.setText(data.title)
        self.caveat.setText(data.caveat[:1].upper() + data.caveat[1:] + "." if data.caveat else "")
        self.caveat.setVisible(data.caveat is not None)
        self.setAccessibleDescription(describe(data))
        for view in self.views.values():
            self.grid.removeWidget(view)
            view.hide()  # now: deleteLater waits for the event loop, and a grab before then would show it
            view.deleteLater()
        colors = Colors.of(self.palette())
        self.views = {}
        for panel in panels_for(data):
            view = _panel_view(panel, data.rows, colors, legend=panel is LATENCY)
            view.setAccessibleName(panel.title)
            self.views[panel.key] = view
        # After the views exist: a shown widget resizes (resizeEvent, which arranges them) within this call
        charts_height = 260 if len(data.rows) <= 2 else TWO_LINES_HEIGHT  # a comparison asks for two lines
        self.setMinimumSize(560, self._above_charts() + charts_height)
        self._arrange(self._wants_one_line())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.data is not None and self._wants_one_line() != self.one_line:
            self._arrange(not self.one_line)

    def _wants_one_line(self) -> bool:
        """A single measurement (two rows), or too little height for two lines of charts: all side by side."""
        return self.data is None or len(self.data.rows) <= 2 or self.height() - self._above_charts() < TWO_LINES_HEIGHT

    def _above_charts(self) -> int:
        """The height of the title and the caveat (at the widget's width), and the spacing below each."""
        spacing = self.column.spacing()
        height = self.title.sizeHint().height() + spacing
        if not self.caveat.isHidden():
            height += self.caveat.heightForWidth(max(self.width(), self.minimumWidth())) + spacing
        return height

    def _arrange(self, one_line: bool) -> None:
        """Side by side with the round trip wider, or the round trip across the top and the others below it."""
        assert self.data is not None
        self.one_line = one_line
        for view in self.views.values():
            self.grid.removeWidget(view)
        for column in range(self.grid.columnCount()):
            self.grid.setColumnStretch(column, 0)
        others = len(self.views) - 1
        for index, view in enumerate(self.views.values()):
            if one_line:
                self.grid.addWidget(view, 0, index)
                self.grid.setColumnStretch(index, 2 if index == 0 else 1)
            elif index == 0:
                self.grid.addWidget(view, 0, 0, 1, others)
            else:
                self.grid.addWidget(view, 1, index - 1)
                self.grid.setColumnStretch(index - 1, 1)
        self.grid.setRowStretch(0, 1 if one_line else 3)
        self.grid.setRowStretch(1, 0 if one_line else 2)
        # Squeezed side by side (a comparison given less height than it asked for), the round trip's chart numbers
        # the rows instead of naming them, its legend keeps the percentiles, and the bars lose their value labels.
        cramped = one_line and len(self.data.rows) > 2
        charts = qtcharts()
        latency = self.views[LATENCY.key].chart()
        for axis in latency.axes(Qt.Orientation.Horizontal):
            if isinstance(axis, charts.QBarCategoryAxis):
                axis.setCategories([category_label(row, short=cramped) for row in self.data.rows])
        for series in latency.series():
            if not isinstance(series, charts.QBarSeries):
                for marker in latency.legend().markers(series):
                    marker.setVisible(bool(series.name()) and not cramped)
        for key, view in self.views.items():
            for series in view.chart().series():
                if key != LATENCY.key and isinstance(series, charts.QBarSeries):
                    series.setLabelsVisible(not cramped)


def _panel_view(panel: Panel, rows: Sequence[ChartRow], colors: Colors, legend: bool) -> QChartView:
    charts = qtcharts()
    chart: QChart = charts.QChart()
    chart.setAnimationOptions(charts.QChart.AnimationOption.NoAnimation)
    chart.setBackgroundRoundness(0)
    chart.setBackgroundBrush(QBrush(colors.background))
    chart.setBackgroundPen(QPen(colors.grid))
    chart.setMargins(QMargins(2, 2, 2, 2))
    chart.setTitle(f"<div align='center'><b>{panel.title}</b><br><small>{panel.better}</small></div>")
    chart.setTitleBrush(QBrush(colors.text))

    scale = 1000.0 if panel is CONNECTIONS and _highest(panel, rows) >= 10_000 else 1.0
    unit = "1000/s" if scale == 1000.0 else panel.unit
    categories = charts.QBarCategoryAxis()
    categories.append([category_label(row, short=not legend) for row in rows])
    values = charts.QValueAxis()
    values.setTitleText(unit)
    step = nice_step(_highest(panel, rows) / scale * 1.08)
    top = step * max(1, -(-_highest(panel, rows) / scale * 1.08 // step))
    values.setRange(0, top)
    values.setTickType(charts.QValueAxis.TickType.TicksDynamic)
    values.setTickAnchor(0)
    values.setTickInterval(step)
    values.setLabelFormat("%.0f" if step >= 1 else "%.1f" if step >= 0.1 else "%.2f")
    for axis in (categories, values):
        _style_axis(axis, colors)
    categories.setGridLineVisible(False)
    chart.addAxis(categories, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(values, Qt.AlignmentFlag.AlignLeft)

    def attach(series: QAbstractSeries) -> None:
        chart.addSeries(series)
        series.attachAxis(categories)
        series.attachAxis(values)

    recommended = [i for i, row in enumerate(rows) if row.recommended]
    for i in recommended:  # first, so it lies behind the bars
        attach(_band(charts, chart, i, top, colors))
    bars: QBarSeries = charts.QBarSeries()
    width = BAR_WIDTH if len(rows) > 2 else NARROW_BAR_WIDTH
    bars.setBarWidth(width)
    count = len(panel.names)
    for k, (name, figure) in enumerate(zip(panel.names, panel.figures, strict=True)):
        bar_set = charts.QBarSet(name)
        color = colors.series(panel, k)
        bar_set.setColor(color)
        bar_set.setBorderColor(color.darker(115) if not colors.dark else color.lighter(115))
        bar_set.append([_median(figure(row)) / scale for row in rows])
        texts = [figure_text(panel, name, row, figure(row)) for row in rows]
        bar_set.hovered.connect(lambda over, i, texts=texts: _tooltip(texts[i] if over else ""))
        bars.append(bar_set)
    if count == 1:
        bars.setLabelsVisible(True)
        bars.setLabelsPosition(charts.QAbstractBarSeries.LabelsPosition.LabelsInsideBase)
        bars.setLabelsFormat("@value")
        bars.setLabelsPrecision(3)
        bars.barSets()[0].setLabelColor(QColor("#ffffff") if not colors.dark else QColor("#101010"))
    attach(bars)
    whiskers = []
    for k, figure in enumerate(panel.figures):
        for i, row in enumerate(rows):
            spread = figure(row)
            if spread is not None and spread.runs > 1:
                x = i - width / 2 + (k + 0.5) / count * width  # the middle of its bar
                whisker = _whisker(charts, x, spread.min / scale, spread.max / scale, width / count, colors)
                attach(whisker)
                whiskers.append(whisker)

    chart.legend().setVisible(legend)
    if legend:
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignTop)
        chart.legend().setLabelColor(colors.text)
        for series in chart.series():
            for marker in chart.legend().markers(series):
                marker.setVisible(False)
        for marker in chart.legend().markers(bars):
            marker.setVisible(True)
        if whiskers:
            whiskers[0].setName(f"lowest{EN_DASH}highest run")
            marker = chart.legend().markers(whiskers[0])[0]
            marker.setShape(charts.QLegend.MarkerShape.MarkerShapeFromSeries)  # a line, as the whiskers are
            marker.setVisible(True)
        if recommended:
            marker = chart.legend().markers(chart.series()[0])[0]
            marker.setBrush(QBrush(colors.highlight))
            marker.setVisible(True)

    view: QChartView = charts.QChartView(chart)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumSize(170, 150)
    view.setBackgroundBrush(QBrush(colors.background))
    return view


def _tooltip(text: str) -> None:
    if text:
        QToolTip.showText(QCursor.pos(), text)
    else:
        QToolTip.hideText()


def _style_axis(axis: QAbstractAxis, colors: Colors) -> None:
    axis.setLabelsColor(colors.text)
    axis.setTitleBrush(QBrush(colors.text))
    axis.setLinePenColor(colors.grid)
    axis.setGridLineColor(colors.grid)


def _median(spread: Spread | None) -> float:
    return spread.median if spread is not None else 0.0


def _highest(panel: Panel, rows: Sequence[ChartRow]) -> float:
    tops = [s.max for row in rows for figure in panel.figures if (s := figure(row)) is not None]
    return max(tops, default=0.0)


def _band(charts: ModuleType, chart: QChart, index: int, top: float, colors: Colors) -> QAbstractSeries:
    """The recommended row's highlight: a translucent band the height of the chart behind its bars."""
    upper = charts.QLineSeries(chart)  # the area series only points at its edges: the chart keeps them alive
    upper.append([QPointF(index - 0.5, top), QPointF(index + 0.5, top)])
    lower = charts.QLineSeries(chart)
    lower.append([QPointF(index - 0.5, 0), QPointF(index + 0.5, 0)])
    band = charts.QAreaSeries(upper, lower)
    band.setName(f"{STAR} recommended")
    band.setColor(colors.band)
    band.setBorderColor(colors.band)
    return band  # type: ignore[no-any-return]


def _whisker(charts: ModuleType, x: float, low: float, high: float, width: float, colors: Colors) -> QAbstractSeries:
    """An I-beam from the lowest to the highest run at ``x``: the run-to-run noise around the median's bar."""
    cap = width * 0.22
    line = charts.QLineSeries()
    points = [(x - cap, high), (x + cap, high), (x, high), (x, low), (x - cap, low), (x + cap, low)]
    line.append([QPointF(px, py) for px, py in points])
    pen = QPen(colors.whisker)
    pen.setWidthF(1.4)
    line.setPen(pen)
    return line  # type: ignore[no-any-return]
