"""Blocking work in a plain thread whose result comes back to the GUI thread through a queued signal: for work
that must not wait for the asyncio loop (the window's first read runs before the loop is installed)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal


class Relay(QObject):
    """Hands a worker thread's result to the GUI thread: a queued connection, so ``take`` runs where this object
    lives (the thread that made it), in its event loop."""

    arrived = Signal(object, object)  # (take, outcome)

    def __init__(self) -> None:
        super().__init__()
        self.arrived.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def _deliver(self, take: Callable[[Any], None], outcome: object) -> None:
        take(outcome)

    def deliver_posted(self) -> None:
        """Hand over, now and on this thread, every result that has arrived but waits in the event queue."""
        QCoreApplication.sendPostedEvents(self, 0)

    def run(self, work: Callable[[], Any], take: Callable[[Any], None], name: str) -> threading.Thread:
        """Run blocking ``work`` in a new thread; ``take`` gets its result, or its exception, on this thread."""

        def body() -> None:
            try:
                outcome = work()
            except BaseException as exc:  # reported on the GUI thread, to the one crash dialog
                outcome = Failed(exc)
            self.arrived.emit(take, outcome)

        thread = threading.Thread(target=body, name=name)
        thread.start()
        return thread


class Failed:
    """What ``take`` gets when the work raised: ``report()`` sends it to ``sys.excepthook`` (the crash dialog)."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def report(self) -> None:
        sys.excepthook(type(self.exc), self.exc, self.exc.__traceback__)
