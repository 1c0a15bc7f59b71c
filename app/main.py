"""The GUI's composition root: parses options, builds runner, services, view-models and window, runs qasync."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from app import APP_NAME, __version__
from app.benchmark.entry import run_worker_if_asked
from app.domain.errors import ValidationError
from app.elevation.entry import run_helper_if_asked
from app.paths import AppPaths
from app.runners.early import start_read
from app.runners.factory import Backend, BackendKind
from app.wiring import add_backend_options, backend_from

if TYPE_CHECKING:
    import qasync
    from PySide6.QtWidgets import QApplication

    from app.runners.early import StartedRead

NO_DISPLAY = (
    "Loopback Tuner needs a display, and this session has none (no DISPLAY or WAYLAND_DISPLAY).\n"
    "  - render the window to a picture:  loopback-tuner --screenshot window.png\n"
    "  - or use the command line:         loopback-tuner-cli show"
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="loopback-tuner", description="Tune Windows' TCP loopback settings.", allow_abbrev=False
    )
    p.add_argument("--version", action="version", version=f"loopback-tuner {__version__}")
    add_backend_options(p)
    p.add_argument("--screenshot", metavar="FILE.png", help="render the window after the values load, then exit")
    p.add_argument("--theme", choices=("system", "light", "dark"), default="system")
    p.add_argument("--countdown", type=int, default=15, metavar="SECONDS", help="keep-or-revert countdown (5-120)")
    return p


X11_LIBRARY_MISSING = (
    "Loopback Tuner cannot open a window on this X11 display: Qt needs a system library that is missing\n"
    "({problem}).\n"
    "  - Debian/Ubuntu: sudo apt install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \\\n"
    "                   libxcb-render-util0 libxcb-xkb1 libxkbcommon-x11-0\n"
    "  - meanwhile:     loopback-tuner --screenshot window.png, or loopback-tuner-cli show"
)


def _x11_problem(environ: dict[str, str] | None = None) -> str | None:
    """On X11 (no Wayland, no platform forced), why Qt's xcb plugin cannot load, if it cannot; else None.

    Loads the plugin's shared library the way Qt would: the loader names exactly what is missing.
    """
    env = os.environ if environ is None else environ
    if sys.platform != "linux" or env.get("QT_QPA_PLATFORM") or env.get("WAYLAND_DISPLAY") or not env.get("DISPLAY"):
        return None
    import ctypes
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    if spec is None or spec.origin is None:
        return None
    plugin = Path(spec.origin).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.exists():
        return None  # another layout (a distribution's Qt): let Qt speak for itself
    try:
        ctypes.CDLL(str(plugin))
    except OSError as exc:
        return str(exc) or "unknown"
    return None


def _headless() -> bool:
    if sys.platform in ("win32", "darwin") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    worker_code = run_worker_if_asked(args_list)  # a benchmark worker (measure), in either frozen exe too
    if worker_code is not None:
        return worker_code
    helper_code = run_helper_if_asked(args_list)  # the frozen build's helper entry point: no Qt, no GUI
    if helper_code is not None:
        return helper_code
    options = _parser().parse_args(args_list)
    if not 5 <= options.countdown <= 120:
        print("loopback-tuner: error: --countdown must be 5 to 120 seconds", file=sys.stderr)
        return 2
    try:
        backend = backend_from(options)
    except ValidationError as exc:
        print(f"loopback-tuner: error: {exc}", file=sys.stderr)
        return 2
    problem = None if _headless() else _x11_problem()
    if _headless() or problem:
        if not options.screenshot:
            print(X11_LIBRARY_MISSING.format(problem=problem) if problem else NO_DISPLAY, file=sys.stderr)
            return 2
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    # The real (or a custom) netsh: the first read's four runs start now, on threads that wait for netsh's
    # processes, and run while the window is imported and built; the read then takes their results, so netsh's
    # latency is spent during start-up instead of after it (issue 16). The simulated machine runs in this
    # interpreter, where its runs would only take turns with the start-up's own work: it reads after the build.
    started = start_read(backend) if backend.kind in (BackendKind.SYSTEM, BackendKind.CUSTOM) else None
    return run_gui(backend, AppPaths.default(), options, started)


def _quiet_offscreen_warning() -> None:
    """Drop the offscreen plugin's one harmless warning (it cannot resize native windows); pass the rest on."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(_mode: object, _context: object, message: str) -> None:
        if "propagateSizeHints" not in message:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def _without_tls() -> None:
    """Keep asyncio from loading its optional TLS support: the window opens no network connection, and ``ssl``
    (OpenSSL's libraries) costs about 5 MB of peak memory and milliseconds at start (make bench, figures 1 and 2).
    The frozen build leaves ssl out for the same reason (packaging/loopback-tuner.spec); asyncio works without it.
    Only before anything imported ssl (setdefault: never in a process that already uses it)."""
    sys.modules.setdefault("ssl", None)  # type: ignore[arg-type]  # None: "import ssl" raises ImportError


FIRST_PAINT_WAITS_S = 0.1  # for the first read, before the window is shown: its values are then in the first paint
LOOP_AT_THE_LATEST_MS = 100  # after the window is shown, the qasync loop is installed even if the read is still running


# Imported once the values have painted, in a worker thread: asyncio and qasync (the GUI thread then only installs
# the loop, about 1 ms instead of 30), and what the first change, save, preset or restore would otherwise import
# on the GUI thread (a change's outcome and the help-desk use cases: 10-15 ms, most of a frame; make bench figure 5).
AFTER_PAINT_MODULES = (
    "asyncio",
    "qasync",
    "app.usecases.endings",
    "app.usecases.formatting",
    "app.usecases.planning",
    "app.usecases.helpdesk",
)


def _import_after_paint() -> None:
    import importlib

    for name in AFTER_PAINT_MODULES:
        importlib.import_module(name)


def install_qasync(app: QApplication) -> qasync.QEventLoop:
    """Import asyncio and qasync and make qasync's loop the asyncio loop of ``app``'s running Qt loop (qasync's
    ``already_running``: it is running from now on; stop() and close() it once Qt's loop has ended)."""
    import asyncio

    import qasync

    loop = qasync.QEventLoop(app, already_running=True)
    asyncio.set_event_loop(loop)
    return loop


def run_gui(backend: Backend, paths: AppPaths, options: argparse.Namespace, started: StartedRead | None = None) -> int:
    """Build everything, show the window, run Qt's loop until the app quits; returns the exit code.

    The first read and the machine's facts start in plain threads once the window is built, and the window waits
    up to FIRST_PAINT_WAITS_S for them before it is shown: a quick read's values are then in its first paint (one
    paint instead of two), and the threads' Python work never runs beside the GUI thread's Qt calls, which it would
    slow many times over (each call waits for the GIL; make bench figure 1). A slower read reports through a
    queued signal when it ends, as before. Once the values have painted (or LOOP_AT_THE_LATEST_MS after the window
    was shown, if the read takes longer), asyncio and qasync are imported in a worker thread and qasync's loop is
    then installed on the running QApplication (``already_running``, about 1 ms on this thread). From then on
    every view-model's ``async def`` runs on that loop, as before; a slot called earlier runs once it is there
    (app.ui.slots).

    Python's cyclic garbage collector is off until then too: its 67 collections during start-up cost about 17 ms
    and freed 128 objects in all (make bench figure 1).
    """
    gc.disable()  # until the values have painted: start-up allocates a great deal and frees almost nothing
    try:
        return _run_gui(backend, paths, options, started)
    finally:
        gc.enable()


def _run_gui(backend: Backend, paths: AppPaths, options: argparse.Namespace, early_read: StartedRead | None) -> int:
    _without_tls()
    from app.ui.qt_import import import_pyside

    import_pyside()  # before the first PySide6 import: its per-import source scan made cheaper
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from app.resources import resource_path
    from app.support_log import configure_logging
    from app.ui.crash import CrashReporter
    from app.ui.theme import apply_theme
    from app.viewmodels.messages import Level, Message
    from app.viewmodels.threads import Relay
    from app.wiring import OwnerWindow, build_gui, build_services

    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        _quiet_offscreen_warning()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    apply_theme(app, options.theme)

    log_problem = configure_logging(paths.logs)
    owner = OwnerWindow()  # the main window's handle, for the UAC prompt's owner, once it exists
    services = build_services(backend, paths, owner_hwnd=owner)
    # A screenshot neither reads nor writes the saved geometry: it renders at the default size, and the next
    # real window opens where the user left it.
    settings = None if options.screenshot else QSettings(str(paths.window_settings), QSettings.Format.IniFormat)
    gui = build_gui(services, countdown_s=options.countdown, settings=settings, started=early_read)
    owner.bind(lambda: int(gui.window.winId()))
    crash = CrashReporter(lambda: gui.window)
    crash.install()
    exit_code = 0

    loop: qasync.QEventLoop | None = None

    def install_loop() -> None:
        nonlocal loop
        if loop is None:
            loop = install_qasync(app)
            gui.lifecycle.loop_installed()

    def screenshot() -> None:
        nonlocal exit_code
        target = Path(options.screenshot)
        if gui.window.grab().save(str(target)):
            print(f"Saved a screenshot to {target}", flush=True)
        else:
            print(f"loopback-tuner: error: could not write {target}", file=sys.stderr)
            exit_code = 1
        gc.enable()
        install_loop()  # as the window would: its background work then starts, and is cancelled at exit
        app.quit()

    importing = False

    def load_loop() -> None:  # import asyncio, qasync and the rest off this thread, then install the loop here
        nonlocal importing
        gc.enable()  # the values are shown (or the read is late): start-up is over
        if not importing and loop is None:
            importing = True
            # The window icon (the title bar's, the taskbar's) comes after the first paint too: loading the SVG
            # icon engine costs about 3 ms that the values need not wait for. A screenshot shows no title bar.
            with contextlib.suppress(FileNotFoundError):  # an icon is nice to have; the app works without it
                app.setWindowIcon(QIcon(str(resource_path("icon.svg"))))
            importer.run(_import_after_paint, lambda _outcome: install_loop(), "imports after the first paint")

    def values_shown() -> None:  # the loop's modules load once Qt has painted them (the read may be late)
        if not options.screenshot:  # (a screenshot installs the loop once it is saved)
            gui.window.call_after_next_paint(load_loop)

    def started() -> None:  # the first read's values and the machine's facts are shown
        if options.screenshot:
            QTimer.singleShot(0, screenshot)  # one loop turn: Qt lays out the loaded values (never processEvents())

    importer = Relay()
    gui.lifecycle.start_in_threads(started, values_shown)
    if log_problem:
        gui.vm.message.emit(Message(Level.WARNING, log_problem))
    gui.lifecycle.settle(FIRST_PAINT_WAITS_S)
    gui.window.show()
    # A slow first read (a real netsh can take 100 ms and more per run) does not keep the loop waiting: the
    # import then overlaps the read's wait for netsh.
    QTimer.singleShot(LOOP_AT_THE_LATEST_MS, load_loop)
    app.exec()
    gui.lifecycle.stop()
    if loop is not None:
        loop.stop()  # Qt's loop has ended: the asyncio loop runs once more (run_until_complete) to drain, then closes
        with loop:
            loop.run_until_complete(gui.lifecycle.drained())
    crash.uninstall()
    return exit_code
