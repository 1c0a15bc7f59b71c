"""The baseline: a bare PySide6 window with the same widget tree as Loopback Tuner's, rendered to a PNG.

Keep it in step with app/ui/main_window.py: ``make bench`` prints both windows' widget counts by Qt class
(findChildren) and names any difference.

No app code, no asyncio, no qasync, no stylesheet: only what the toolkit itself costs to start, build this
tree, lay it out and paint it. ``python benchmarks/bare_window.py --screenshot out.png`` renders and exits;
``build_window()`` is also imported by the benchmark to check that the widget counts match the real window.
"""

from __future__ import annotations

import argparse
import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

# Texts of about the real window's length, so word wrapping and layout cost the same.
HINT = "Packets are handled by worker threads or inline; this text is as long as the real window's hints."
BUILDS = (
    "Windows 10 1803",
    "Windows 10 1809",
    "Windows 10 22H2",
    "Server 2022",
    "Windows 11 22H2",
    "Windows 11 23H2",
    "Windows 11 24H2",
)


def _hint(text: str = HINT) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


def _banner() -> QFrame:
    """2 combo boxes, a checkbox, a spinbox, a combo and a button, with their labels."""
    banner = QFrame()
    title = _hint("<b>Simulated Windows machine.</b> Nothing on this computer changes.")
    build, language, uac = QComboBox(), QComboBox(), QComboBox()
    build.addItems(list(BUILDS))
    language.addItems(["English (en-US)", "Chinese, Simplified (zh-CN)"])
    uac.addItems(["UAC prompt: approve", "UAC prompt: cancel"])
    latency = QSpinBox()
    latency.setRange(0, 5000)
    latency.setSuffix(" ms")
    row, row2 = QHBoxLayout(), QHBoxLayout()
    widget: QWidget
    for widget in (QLabel("&Build:"), build, QLabel("Lan&guage:"), language):
        row.addWidget(widget)
    row.addStretch(1)
    for widget in (QCheckBox("Run as a&dministrator"), QLabel("netsh d&elay:"), latency, uac):
        row2.addWidget(widget)
    row2.addStretch(1)
    row2.addWidget(QPushButton("Simulate re&boot"))
    layout = QVBoxLayout(banner)
    layout.addWidget(title)
    layout.addLayout(row)
    layout.addLayout(row2)
    return banner


def _family_tab() -> QWidget:
    """3 radio buttons with hints, a spinbox, a checkbox, group boxes, markers and a (hidden) failure panel."""
    tab = QWidget()
    mode_box = QGroupBox("Execution mode")
    group = QButtonGroup(tab)
    mode_layout = QVBoxLayout(mode_box)
    for text in ("&Adaptive", "&Inline", "&Worker"):
        button = QRadioButton(text)
        group.addButton(button)
        mode_layout.addWidget(button)
        mode_layout.addWidget(_hint())
    mode_layout.addWidget(QLabel())  # marker
    button.setChecked(True)

    workers = QSpinBox()
    workers.setRange(1, 16)
    workers.setValue(4)
    workers_row = QHBoxLayout()
    widget: QWidget
    for widget in (QLabel("Worker &count:"), workers, QLabel("Has no effect in inline mode."), QLabel()):
        workers_row.addWidget(widget)
    workers_row.addStretch(1)
    mtu = QCheckBox("&Large MTU on the loopback path")
    mtu.setChecked(True)
    mtu_row = QHBoxLayout()
    mtu_row.addWidget(mtu)
    mtu_row.addWidget(QLabel())  # marker
    mtu_row.addStretch(1)
    other = QGroupBox("Worker threads and MTU")
    other_layout = QVBoxLayout(other)
    other_layout.addLayout(workers_row)
    other_layout.addWidget(_hint())
    other_layout.addLayout(mtu_row)
    other_layout.addWidget(_hint())

    failure = QFrame()
    fail_layout = QVBoxLayout(failure)
    for widget in (QLabel(), _hint(""), QPlainTextEdit(), QPushButton("Copy raw output")):
        fail_layout.addWidget(widget)
    failure.setVisible(False)
    unsaved = QLabel()
    unsaved.setVisible(False)

    content = QWidget()
    layout = QVBoxLayout(content)
    for widget in (failure, unsaved, mode_box, other):
        layout.addWidget(widget)
    layout.addStretch(1)
    scroll = QScrollArea()
    scroll.setWidget(content)
    scroll.setWidgetResizable(True)
    outer = QVBoxLayout(tab)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(scroll)
    return tab


def _warning_banner() -> QFrame:
    """A label and a fix button; hidden while there is nothing to warn about."""
    banner = QFrame()
    layout = QVBoxLayout(banner)
    layout.addWidget(_hint(""))
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(QPushButton())
    layout.addLayout(row)
    banner.setVisible(False)
    return banner


def _preset_bar() -> QWidget:
    """A title, 3 buttons and a hint in a row."""
    bar = QWidget()
    row = QHBoxLayout(bar)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(QLabel("<b>Presets:</b>"))
    for text in ("Favor &latency", "Favor &throughput", "Balanced"):
        row.addWidget(QPushButton(text))
    row.addWidget(QLabel("fill in pending edits for both families; nothing changes until Apply"))
    row.addStretch(1)
    return bar


def build_window() -> QMainWindow:
    """The bare window: banners, two tabs, presets, pending summary, 4 buttons, status bar and menus."""
    window = QMainWindow()
    window.setWindowTitle("Bare PySide6 window")
    central = QWidget()
    layout = QVBoxLayout(central)
    layout.addWidget(_banner())
    layout.addWidget(_warning_banner())
    tabs = QTabWidget()
    for name in ("IPv4", "IPv6"):
        tabs.addTab(_family_tab(), name)
    layout.addWidget(tabs, 1)
    layout.addWidget(_preset_bar())
    pending = QGroupBox("Pending changes")
    pending_layout = QVBoxLayout(pending)
    pending_layout.addWidget(_hint("No pending changes: the controls show the machine's current values."))
    layout.addWidget(pending)
    row = QHBoxLayout()
    for text in ("Re&fresh", "Re&store original\u2026"):
        row.addWidget(QPushButton(text))
    row.addStretch(1)
    for text in ("&Discard", "A&pply\u2026"):
        row.addWidget(QPushButton(text))
    layout.addLayout(row)
    window.setCentralWidget(central)

    busy = QProgressBar()
    busy.setRange(0, 0)
    busy.setVisible(False)
    window.statusBar().addWidget(QLabel("Values read at 12:00:00."), 1)
    window.statusBar().addPermanentWidget(QPushButton("Details\u2026"))
    window.statusBar().addPermanentWidget(busy)
    window.statusBar().addPermanentWidget(QLabel("Simulated machine"))
    for title, actions in (
        (
            "&File",
            ("&Refresh", "&Copy netsh commands", "Copy undo commands", "&Export\u2026", "&Import\u2026", "&Quit"),
        ),
        ("&Tools", ("Copy &report", "Copy report as &Markdown", "&History\u2026")),
        ("&Help", ("&What do these settings do?", "Open &log folder", "&About")),
    ):
        menu = window.menuBar().addMenu(title)
        for text in actions:
            menu.addAction(QAction(text, window))
    window.resize(800, 700)
    return window


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--screenshot", metavar="FILE.png", required=True)
    parser.add_argument(
        "--qasync",
        action="store_true",
        help="run on a qasync event loop, as the app does (the toolkit plus asyncio's own cost)",
    )
    parser.add_argument(
        "--qasync-after-paint",
        action="store_true",
        help="paint and save first on Qt's own loop, then import asyncio and qasync and install qasync's loop on the"
        " running QApplication (already_running=True), run one coroutine on it and quit",
    )
    options = parser.parse_args(argv)
    app = QApplication([sys.argv[0]])
    window = build_window()
    exit_code = 0

    def render_only() -> None:
        nonlocal exit_code
        app.processEvents()
        if window.grab().save(options.screenshot):
            print(f"Saved a screenshot to {options.screenshot}", flush=True)
        else:
            exit_code = 1

    def render() -> None:
        render_only()
        app.quit()

    window.show()
    if options.qasync:
        import asyncio

        import qasync

        async def start() -> None:
            await asyncio.sleep(0)
            render()

        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        with loop:
            loop.run_until_complete(start())
    elif options.qasync_after_paint:

        def render_then_install() -> None:
            render_only()
            import asyncio

            import qasync

            loop = qasync.QEventLoop(app, already_running=True)
            asyncio.set_event_loop(loop)

            async def one_turn() -> None:
                await asyncio.sleep(0)
                app.quit()

            loop.create_task(one_turn())

        QTimer.singleShot(0, render_then_install)
        app.exec()
    else:
        QTimer.singleShot(0, render)
        app.exec()
    return exit_code


if __name__ == "__main__":
    raise SystemExit(main())
