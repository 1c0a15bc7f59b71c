"""Issue 15's chart library, chosen with figures: what pyqtgraph (with numpy) and Qt Charts (PySide6-Addons) each add
to the one-folder bundle, and how long the Measure view's first chart takes to show in a fresh process.

Standalone (not part of `make bench`: the bundle figures build three PyInstaller bundles, about 3 minutes each here):

    python benchmarks/chart_figures.py [--runs 5] [--no-bundles] [--pyqtgraph-python PY] [--qtcharts-python PY]

Each candidate is measured with an interpreter that has it installed (by default this one; a candidate it cannot
import is skipped, with the command that installs it). The README ("Chart library (issue 15)") shows how the
figures there were taken: one virtual environment per candidate, so neither library's presence changes the other's
bundle.

* First chart: a fresh process creates its QApplication (the window has one already: not counted), then the clock
  runs from importing the library to the first paint of a chart of 4 configurations x 3 round-trip percentiles
  (grouped bars) and their throughput, offscreen. Runs are interleaved (A B A B) against drift; median, min, max.
  ``--also-app`` adds the product's own widget (app.ui.charts, ChartData from 4 rows) as a third line.
* Bundle: the product's spec (packaging/loopback-tuner.spec) built in a temporary folder three ways, through a
  variant spec that adjusts only the chart library's imports: without any chart library (the baseline), with
  pyqtgraph and numpy, with Qt Charts (which needs QtOpenGL and QtOpenGLWidgets, excluded from the product). What a
  candidate adds is its bundle's size less the baseline's, built by the same interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "packaging" / "loopback-tuner.spec"
MB = 1_000_000
MIB = 1024 * 1024
CANDIDATES = ("pyqtgraph", "qtcharts")
INSTALL = {
    "pyqtgraph": "pip install pyqtgraph==0.14.0 numpy==2.4.6",
    "qtcharts": "pip install PySide6-Addons==6.11.3 (the same version as PySide6-Essentials)",
}
IMPORTABLE = {"pyqtgraph": "pyqtgraph", "qtcharts": "PySide6.QtCharts", "app": "PySide6.QtCharts"}

# The chart both candidates draw: 4 configurations, round-trip p50/p90/p99 in microseconds, throughput in GB/s.
LABELS = ("1 current", "2 latency", "3 throughput", "4 balanced")
PERCENTILES = (("p50", (11.8, 10.9, 12.4, 11.1)), ("p90", (15.2, 13.8, 16.0, 14.1)), ("p99", (31.0, 25.5, 34.2, 27.9)))
THROUGHPUT = (3.74, 3.52, 4.21, 3.98)


# --- the child: one first chart in a fresh process ---------------------------------------------------------------


def _first_paint(widget: object) -> None:
    """Show ``widget`` and return once its (first) graphics view's viewport has been painted once."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QGraphicsView, QWidget

    assert isinstance(widget, QWidget)
    view = widget if isinstance(widget, QGraphicsView) else widget.findChild(QGraphicsView)
    assert view is not None, "no graphics view to watch"
    painted: list[bool] = []

    class Watch(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint:
                painted.append(True)
            return False

    watch = Watch()
    view.viewport().installEventFilter(watch)
    widget.resize(720, 360)
    widget.show()
    deadline = time.perf_counter() + 30
    while not painted and time.perf_counter() < deadline:
        QApplication.processEvents()
    if not painted:
        raise SystemExit("the chart was never painted")


def _pyqtgraph_chart() -> object:
    import pyqtgraph as pg

    plot = pg.PlotWidget(background="w")
    count = len(LABELS)
    width = 0.25
    for k, (name, values) in enumerate(PERCENTILES):
        x = [i + (k - 1) * width for i in range(count)]
        plot.addItem(pg.BarGraphItem(x=x, height=list(values), width=width, brush=pg.intColor(k, 4), name=name))
    plot.getAxis("bottom").setTicks([list(enumerate(LABELS))])
    plot.setLabel("left", "round trip", units="\u00b5s")
    plot.addLegend()
    right = pg.ViewBox()
    plot.scene().addItem(right)
    plot.getAxis("right").linkToView(right)
    plot.showAxis("right")
    plot.setLabel("right", "throughput", units="GB/s")
    right.setXLink(plot.getPlotItem())
    right.addItem(pg.ScatterPlotItem(x=list(range(count)), y=list(THROUGHPUT), symbol="d", size=12))
    return plot


def _qtcharts_chart() -> object:
    from PySide6.QtCharts import (
        QBarCategoryAxis,
        QBarSeries,
        QBarSet,
        QChart,
        QChartView,
        QScatterSeries,
        QValueAxis,
    )
    from PySide6.QtCore import Qt

    chart = QChart()
    bars = QBarSeries()
    for name, values in PERCENTILES:
        bar_set = QBarSet(name)
        bar_set.append(list(values))
        bars.append(bar_set)
    chart.addSeries(bars)
    throughput = QScatterSeries()
    throughput.setName("throughput")
    for i, value in enumerate(THROUGHPUT):
        throughput.append(i, value)
    chart.addSeries(throughput)
    categories = QBarCategoryAxis()
    categories.append(list(LABELS))
    left, right = QValueAxis(), QValueAxis()
    left.setTitleText("round trip (\u00b5s)")
    right.setTitleText("throughput (GB/s)")
    chart.addAxis(categories, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(left, Qt.AlignmentFlag.AlignLeft)
    chart.addAxis(right, Qt.AlignmentFlag.AlignRight)
    bars.attachAxis(categories)
    bars.attachAxis(left)
    throughput.attachAxis(right)
    throughput.attachAxis(categories)
    return QChartView(chart)


def _app_chart() -> object:
    """The product's own widget, drawing the same figures as ChartData."""
    sys.path.insert(0, str(REPO))
    from app.domain.measurements import Spread
    from app.ui.charts import create_chart
    from app.viewmodels.chart_data import ChartData, ChartRow

    def spread(value: float) -> Spread:
        return Spread(value, value * 0.95, value * 1.08, 3)

    rows = tuple(
        ChartRow(
            label,
            None,
            *(spread(values[i]) for _, values in PERCENTILES),
            spread(THROUGHPUT[i]),
            spread(30_000),
            None,
            recommended=i == 2,
        )
        for i, label in enumerate(LABELS)
    )
    view = create_chart()
    view.show_data(ChartData("Comparison", rows))
    return view


def child(library: str) -> None:
    """Print the milliseconds from importing ``library`` to the first paint of its chart (a JSON line)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    app.setStyle("Fusion")
    started = time.perf_counter()
    widget = {"pyqtgraph": _pyqtgraph_chart, "qtcharts": _qtcharts_chart, "app": _app_chart}[library]()
    built = time.perf_counter()
    _first_paint(widget)
    painted = time.perf_counter()
    print(json.dumps({"ms": (painted - started) * 1000, "build_ms": (built - started) * 1000}))


# --- the parent: timings and bundles ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    library: str
    ms: tuple[float, ...]

    def describe(self) -> str:
        return (
            f"{self.library:<10} first chart {statistics.median(self.ms):6.0f} ms median, "
            f"min {min(self.ms):.0f}, max {max(self.ms):.0f} ({len(self.ms)} runs)"
        )


def can_import(python: str, module: str) -> bool:
    completed = subprocess.run(
        [python, "-c", f"import importlib.util as u, sys; sys.exit(u.find_spec({module!r}) is None)"],
        capture_output=True,
        check=False,
    )
    return completed.returncode == 0


def first_chart_timings(pythons: dict[str, str], runs: int) -> list[Timing]:
    """Each library's first chart, ``runs`` fresh processes each, interleaved A B A B."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    samples: dict[str, list[float]] = {library: [] for library in pythons}
    for _ in range(runs):
        for library, python in pythons.items():
            out = subprocess.run(
                [python, str(Path(__file__).resolve()), "--child", library],
                capture_output=True,
                text=True,
                env=env,
                check=True,
                timeout=120,
            ).stdout
            samples[library].append(json.loads(out.strip().splitlines()[-1])["ms"])
    return [Timing(library, tuple(values)) for library, values in samples.items()]


# The variant spec: the product's spec, run with Analysis wrapped so that only the chart library's imports change.
VARIANT_SPEC = """\
# Generated by benchmarks/chart_figures.py: the product's spec with the chart library set to {variant!r}.
import os
SPECPATH = {spec_dir!r}
_PRODUCT = {spec!r}
_ADD_HIDDEN, _ADD_EXCLUDES, _DROP = {add_hidden!r}, {add_excludes!r}, {drop!r}
_real_analysis = Analysis


def Analysis(scripts, hiddenimports, excludes, **kwargs):
    gui = scripts[0].endswith("entry_gui.py")
    hidden = [h for h in hiddenimports if h not in _ADD_EXCLUDES] + (_ADD_HIDDEN if gui else [])
    excludes = [*excludes, *_ADD_EXCLUDES]
    globals()["QT_LIBRARY_DROP"] = tuple(dict.fromkeys(QT_LIBRARY_DROP + _DROP))
    return _real_analysis(scripts, hiddenimports=hidden, excludes=excludes, **kwargs)


with open(_PRODUCT, encoding="utf-8") as _file:
    exec(compile(_file.read(), _PRODUCT, "exec"))
"""
VARIANTS = {
    # variant: hidden imports added (GUI only), modules excluded (and taken out of the hidden imports), Qt library-name
    # prefixes dropped.
    # Qt Charts links Qt's OpenGL libraries (the product keeps them for it), but never imports PySide6's QtOpenGL
    # modules (9 MB of bindings): those stay excluded in every variant. Without Qt Charts the libraries go too, as
    # they did before the chart; pyqtgraph imports QtOpenGL only if it can (its 3D parts), so they go with it too.
    "none": ([], ["pyqtgraph", "numpy", "PySide6.QtCharts"], ["Qt6OpenGL"]),
    "pyqtgraph": (["pyqtgraph"], ["PySide6.QtCharts"], ["Qt6OpenGL"]),
    "qtcharts": (["PySide6.QtCharts"], ["pyqtgraph", "numpy"], []),
}


def folder_bytes(folder: Path) -> int:
    """What the bundle weighs on disk, as figure 8 counts it (symbolic links once)."""
    return sum(path.lstat().st_size for path in folder.rglob("*") if path.is_file() and not path.is_symlink())


def build_variant(python: str, variant: str, work: Path) -> int:
    """Build the bundle with the chart library ``variant`` under ``work``; returns its size in bytes."""
    add_hidden, add_excludes, drop = VARIANTS[variant]
    folder = work / variant
    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / "variant.spec"
    spec.write_text(
        VARIANT_SPEC.format(
            variant=variant,
            spec_dir=str(SPEC.parent),
            spec=str(SPEC),
            add_hidden=add_hidden,
            add_excludes=add_excludes,
            drop=tuple(drop),
        ),
        encoding="utf-8",
    )
    generated = REPO / "build" / "packaging"  # where packaging/build.py leaves the ICU stub (make package)
    if sys.platform != "win32" and not (generated / "icu").is_dir():
        sys.path.insert(0, str(REPO / "packaging"))
        from build import build_icu_stub  # the same stub as the product's bundle: 32 MB of ICU data less

        build_icu_stub()
    env = {**os.environ, "LOOPBACK_TUNER_GENERATED": str(generated)}
    argv = [python, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    argv += ["--distpath", str(folder / "dist"), "--workpath", str(folder / "build"), str(spec)]
    subprocess.run(argv, cwd=REPO, env=env, check=True, capture_output=True, text=True)
    return folder_bytes(folder / "dist" / "loopback-tuner")


def bundle_figures(pythons: dict[str, str], work: Path) -> list[str]:
    lines = []
    for library, python in pythons.items():
        if not can_import(python, "PyInstaller"):
            lines.append(f"{library:<10} bundle: skipped, {python} has no PyInstaller (pip install pyinstaller~=6.22)")
            continue
        base = build_variant(python, "none", work / library)
        size = build_variant(python, library, work / library)
        added = size - base
        lines.append(
            f"{library:<10} bundle {size / MB:6.1f} MB, without a chart library {base / MB:.1f} MB: "
            f"adds {added / MB:.1f} MB ({added / MIB:.1f} MiB)"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per library (default 5)")
    parser.add_argument("--no-bundles", action="store_true", help="first-chart timings only (no PyInstaller builds)")
    parser.add_argument("--also-app", action="store_true", help="also time the product's widget (app.ui.charts)")
    parser.add_argument("--pyqtgraph-python", default=sys.executable, help="an interpreter with pyqtgraph and numpy")
    parser.add_argument("--qtcharts-python", default=sys.executable, help="an interpreter with PySide6-Addons")
    parser.add_argument("--work", type=Path, help="where to build the bundles (default: a temporary folder)")
    parser.add_argument("--child", choices=(*CANDIDATES, "app"), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        child(options.child)
        return 0
    chosen = {"pyqtgraph": options.pyqtgraph_python, "qtcharts": options.qtcharts_python}
    pythons = {}
    for library, python in chosen.items():
        if can_import(python, IMPORTABLE[library]):
            pythons[library] = python
        else:
            print(f"{library:<10} skipped: {python} cannot import it ({INSTALL[library]})")
    timed = dict(pythons)
    if options.also_app and can_import(options.qtcharts_python, IMPORTABLE["app"]):
        timed["app"] = options.qtcharts_python
    for timing in first_chart_timings(timed, max(1, options.runs)):
        print(timing.describe(), flush=True)
    if not options.no_bundles:
        with tempfile.TemporaryDirectory(prefix="chart-bundles-") as tmp:
            for line in bundle_figures(pythons, options.work or Path(tmp)):
                print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
