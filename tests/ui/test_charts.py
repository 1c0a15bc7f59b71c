"""The Measure view's chart offscreen: it draws the rows it is given (bar heights, whiskers, labels), the caveat on the
chart, the recommended row highlighted, light and dark; and the window starts without loading Qt Charts."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCharts import QAreaSeries, QBarCategoryAxis, QBarSeries, QChart, QLineSeries, QValueAxis
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from app.domain.measurements import SIMULATED_CAVEAT, Spread
from app.domain.model import Family
from app.ui import charts as charts_module
from app.ui.charts import LATENCY, STAR, MeasurementChart, create_chart, describe, figure_text, nice_ceiling, nice_step
from app.ui.measure_dialog import MeasureDialog
from app.ui.theme import _dark_palette
from app.viewmodels.chart_data import ChartData, ChartRow
from app.viewmodels.measure_vm import MeasureViewModel
from tests.ui.conftest import Rig, SignalWaiter
from tests.ui.test_entry import _headless_env
from tests.ui.test_measure_dialog import fake_measure


def s(median: float, low: float, high: float, runs: int = 3) -> Spread:
    return Spread(median, low, high, runs)


ROWS = (
    ChartRow("1 current", None, s(11.8, 11.0, 12.5), s(15.2, 14.1, 16.9), s(31.0, 27.2, 35.5),
             s(3.74, 3.4, 4.01), s(31500, 29800, 33000), s(2.41, 2.35, 2.52)),
    ChartRow("2 latency", None, s(10.9, 10.5, 11.4), s(13.8, 13.1, 14.6), s(25.5, 22.0, 28.8),
             s(3.52, 3.3, 3.7), s(30900, 30100, 32500), None),
    ChartRow("3 throughput", None, s(12.4, 11.7, 13.0), s(16.0, 15.2, 17.4), s(34.2, 30.1, 39.0),
             s(4.21, 4.05, 4.4), s(29800, 28000, 31000), s(2.2, 2.15, 2.31), recommended=True),
    ChartRow("4 balanced", None, None, None, None, None, None, None),  # its values did not stick: nothing measured
)  # fmt: skip
COMPARISON = ChartData("Comparison of 4 configurations", ROWS, SIMULATED_CAVEAT)
SINGLE = ChartData(
    "Loopback measurement",
    (
        ChartRow("IPv4", Family.IPV4, s(8, 7, 9), s(9, 8, 10), s(20, 18, 25), s(3, 2.5, 3.5), s(900, 800, 950), None),
        ChartRow("IPv6", Family.IPV6, s(9, 9, 9, 1), s(10, 10, 10, 1), s(21, 21, 21, 1), s(2, 2, 2, 1), None, None),
    ),
)


@pytest.fixture
def chart(qtbot: Any) -> MeasurementChart:
    widget = create_chart()
    qtbot.addWidget(widget)
    widget.resize(760, 520)
    widget.show()
    return widget


def _chart(widget: MeasurementChart, key: str) -> QChart:
    return widget.views[key].chart()


def _bars(widget: MeasurementChart, key: str) -> QBarSeries:
    found = [series for series in _chart(widget, key).series() if isinstance(series, QBarSeries)]
    assert len(found) == 1
    return found[0]


def _whiskers(widget: MeasurementChart, key: str) -> list[tuple[float, float, float]]:
    """Each whisker as (x, low, high)."""
    out = []
    for series in _chart(widget, key).series():
        if isinstance(series, QLineSeries) and not isinstance(series, QAreaSeries):
            ys = [point.y() for point in series.points()]
            out.append((series.points()[2].x(), min(ys), max(ys)))
    return out


def test_the_latency_chart_draws_each_percentile_median_per_row_with_the_runs_range(chart: MeasurementChart) -> None:
    chart.show_data(COMPARISON)
    bars = _bars(chart, "latency")
    assert [bar_set.label() for bar_set in bars.barSets()] == ["p50", "p90", "p99"]
    heights = [[bar_set.at(i) for i in range(bar_set.count())] for bar_set in bars.barSets()]
    assert heights == [[11.8, 10.9, 12.4, 0.0], [15.2, 13.8, 16.0, 0.0], [31.0, 25.5, 34.2, 0.0]]
    whiskers = _whiskers(chart, "latency")
    assert len(whiskers) == 9  # three measured rows x three percentiles; nothing for the row without figures
    p50_of_row_1 = min(whiskers, key=lambda w: w[0])
    assert p50_of_row_1[1:] == (11.0, 12.5)
    assert p50_of_row_1[0] == pytest.approx(0 - 0.75 / 2 + 0.5 / 3 * 0.75)  # the middle of its bar
    axis = next(a for a in _chart(chart, "latency").axes() if isinstance(a, QValueAxis))
    assert axis.titleText() == "\u00b5s" and axis.min() == 0 and axis.max() >= 39.0


def test_throughput_connections_and_the_workload_each_get_their_own_chart(chart: MeasurementChart) -> None:
    chart.show_data(COMPARISON)
    assert list(chart.views) == ["latency", "throughput", "connections", "workload"]
    throughput = _bars(chart, "throughput").barSets()[0]
    assert [throughput.at(i) for i in range(4)] == [3.74, 3.52, 4.21, 0.0]
    connections = _bars(chart, "connections").barSets()[0]
    assert [connections.at(i) for i in range(3)] == [31.5, 30.9, 29.8]  # shown in thousands per second
    axis = next(a for a in _chart(chart, "connections").axes() if isinstance(a, QValueAxis))
    assert axis.titleText() == "1000/s"
    workload = _bars(chart, "workload").barSets()[0]
    assert [workload.at(i) for i in range(4)] == [2.41, 0.0, 2.2, 0.0]
    chart.show_data(SINGLE)  # no workload measured: no workload chart
    assert list(chart.views) == ["latency", "throughput", "connections"]


def test_the_recommended_row_is_starred_and_sits_on_a_highlighted_band(chart: MeasurementChart) -> None:
    chart.show_data(COMPARISON)
    for key in chart.views:
        categories = next(a for a in _chart(chart, key).axes() if isinstance(a, QBarCategoryAxis))
        bands = [series for series in _chart(chart, key).series() if isinstance(series, QAreaSeries)]
        assert len(bands) == 1
        assert [p.x() for p in bands[0].upperSeries().points()] == [1.5, 2.5]  # the third row's whole width
        if key == "latency":
            assert categories.categories() == ["1 current", "2 latency", f"{STAR} 3 throughput", "4 balanced"]
            assert bands[0].name() == f"{STAR} recommended"
        else:  # the small charts number the rows; the large one above names them
            assert categories.categories() == ["1", "2", f"{STAR} 3", "4"]
    chart.show_data(SINGLE)
    assert not [series for series in _chart(chart, "latency").series() if isinstance(series, QAreaSeries)]


def test_the_caveat_is_on_the_chart_and_everything_is_said_in_words(chart: MeasurementChart, qtbot: Any) -> None:
    chart.show_data(COMPARISON)
    assert chart.caveat.isVisible() and chart.caveat.text().startswith("Simulated machine: these are real")
    assert chart.title.text() == "Comparison of 4 configurations"
    text = chart.accessibleDescription()
    assert "3 throughput (recommended): p50 12.4 \u00b5s (11.7\u201313), p90 16" in text
    assert "4 balanced: p50 not measured" in text and "workload 2.41 s (2.35\u20132.52)" in text
    assert text == describe(COMPARISON)
    assert [chart.views[k].accessibleName() for k in chart.views][:2] == [
        "Round trip, 64 bytes",
        "Throughput",
    ]
    chart.show_data(SINGLE)
    assert not chart.caveat.isVisible()
    markers = _chart(chart, "latency").legend().markers()
    qtbot.waitUntil(
        lambda: [m.label() for m in markers if m.isVisible()] == ["p50", "p90", "p99", "lowest\u2013highest run"]
    )


def test_a_single_run_has_no_whisker(chart: MeasurementChart) -> None:
    chart.show_data(SINGLE)
    assert len(_whiskers(chart, "latency")) == 3  # IPv4's three percentiles; IPv6 was one run


def test_nothing_is_clipped_at_the_size_it_is_shown(chart: MeasurementChart, qtbot: Any) -> None:
    chart.show_data(COMPARISON)
    qtbot.waitUntil(lambda: all(view.chart().plotArea().height() > 60 for view in chart.views.values()))
    for view in chart.views.values():
        assert view.width() >= view.minimumWidth() and view.height() >= view.minimumHeight()
        assert view.chart().plotArea().width() > 100
        assert view.rect().contains(view.mapFromScene(view.chart().plotArea()).boundingRect())


def test_dark_theme_draws_light_text_on_a_dark_background(qtbot: Any) -> None:
    widget = create_chart()
    qtbot.addWidget(widget)
    widget.setPalette(_dark_palette())
    widget.show_data(COMPARISON)
    chart = _chart(widget, "latency")
    assert chart.backgroundBrush().color().lightness() < 60
    axis = next(a for a in chart.axes() if isinstance(a, QValueAxis))
    assert axis.labelsColor().lightness() > 200
    light = create_chart()
    qtbot.addWidget(light)
    light.setPalette(QApplication.style().standardPalette())
    light.show_data(COMPARISON)
    assert _chart(light, "latency").backgroundBrush().color() == light.palette().color(QPalette.ColorRole.Base)
    light.setPalette(_dark_palette())  # the theme changes while the chart is shown: drawn again in its colours
    assert _chart(light, "latency").backgroundBrush().color().lightness() < 60


def test_tick_steps_are_round_numbers() -> None:
    assert [nice_ceiling(v) for v in (0, 0.3, 1, 1.2, 2.2, 3, 7, 11, 39)] == [1, 0.5, 1, 2, 2.5, 5, 10, 20, 50]
    assert nice_step(39) == 10 and nice_step(4.4) == 1 and nice_step(0.9) == 0.2


def test_starting_the_window_does_not_load_the_chart_library(tmp_path: Path) -> None:
    """The whole start-up, as a user's: the window shown with its values, then the modules that were loaded."""
    code = (
        "import json, sys\n"
        "from app.main import main\n"
        f"code = main(['--backend', 'simulated', '--state', {str(tmp_path / 'm.json')!r},"
        f" '--screenshot', {str(tmp_path / 'w.png')!r}])\n"
        "print(json.dumps([code, sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('numpy', 'pyqtgraph') or m in ('PySide6.QtCharts', 'app.ui.charts'))]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=_headless_env(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    exit_code, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert exit_code == 0 and (tmp_path / "w.png").is_file()
    assert loaded == []  # neither a chart library nor the chart's module (its imports cost start-up time too)


def test_the_measure_dialog_draws_a_finished_measurement_above_its_table(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    vm = MeasureViewModel(rig.vm, simulated=True, measure_function=fake_measure, parent=rig.vm)
    dialog = MeasureDialog(vm, rig.window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.chart is None  # nothing measured yet: no chart, Qt Charts not needed
    wait(vm.finished, lambda: qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton))
    chart = dialog.chart
    assert chart is not None and chart.data is not None
    assert [row.label for row in chart.data.rows] == ["IPv4", "IPv6"]
    assert [_bars(chart, "latency").barSets()[0].at(i) for i in range(2)] == [11.0, 0.0]  # IPv6 was not measured
    qtbot.waitUntil(chart.isVisible)
    assert chart.geometry().bottom() < dialog.table.geometry().top()
    for widget in (chart, dialog.table, dialog.start_button):  # nothing clipped at the size the dialog takes
        assert dialog.rect().contains(widget.geometry())
    assert chart.height() >= chart.minimumHeight() and dialog.table.height() > 80


def test_hovering_a_bar_tells_its_figure_and_the_runs_range(
    chart: MeasurementChart, monkeypatch: pytest.MonkeyPatch
) -> None:
    chart.show_data(COMPARISON)
    assert figure_text(LATENCY, "p99", ROWS[2], ROWS[2].rtt_p99_us) == (
        "3 throughput, p99: 34.2 \u00b5s (30.1\u201339 over 3 runs)"
    )
    assert figure_text(LATENCY, "p50", ROWS[3], None) == "4 balanced, p50: not measured"
    shown: list[str] = []
    monkeypatch.setattr(charts_module, "_tooltip", shown.append)  # the offscreen platform cannot raise a tooltip
    throughput = _bars(chart, "throughput").barSets()[0]
    throughput.hovered.emit(True, 1)
    throughput.hovered.emit(False, 1)
    assert shown == ["2 latency, throughput: 3.52 GB/s (3.3\u20133.7 over 3 runs)", ""]


def _categories(widget: MeasurementChart, key: str) -> list[str]:
    axis = next(a for a in _chart(widget, key).axes() if isinstance(a, QBarCategoryAxis))
    return list(axis.categories())


def test_a_comparison_with_too_little_height_puts_its_charts_side_by_side(chart: MeasurementChart, qtbot: Any) -> None:
    chart.show_data(COMPARISON)  # 760 x 520: the round trip across the top, the others below
    assert not chart.one_line and chart.grid.getItemPosition(chart.grid.indexOf(chart.views["throughput"]))[0] == 1
    assert chart.minimumHeight() > 400  # what it asks for; a full dialog on a small screen can give it less:
    chart.setMinimumSize(0, 0)
    chart.resize(760, 300)
    qtbot.waitUntil(lambda: chart.one_line)
    rows = {chart.grid.getItemPosition(chart.grid.indexOf(view))[0] for view in chart.views.values()}
    assert rows == {0}
    assert _categories(chart, "latency") == ["1", "2", f"{STAR} 3", "4"]  # numbers: names would not fit
    chart.resize(760, 520)
    qtbot.waitUntil(lambda: not chart.one_line)
    assert _categories(chart, "latency")[2] == f"{STAR} 3 throughput"
