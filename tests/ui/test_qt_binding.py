"""Guards against Qt binding defects we have met (a bumped pin must not bring them back)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    flag = Signal(bool)


def test_emitting_a_bool_signal_keeps_reference_counts() -> None:
    """PySide6 6.12.0 decremented True's refcount on each emit, crashing the interpreter at exit."""
    emitter = _Emitter()
    received: list[bool] = []
    emitter.flag.connect(received.append)
    before = sys.getrefcount(True), sys.getrefcount(False)
    for i in range(100):
        emitter.flag.emit(i % 2 == 0)
    received.clear()
    assert (sys.getrefcount(True), sys.getrefcount(False)) == before
