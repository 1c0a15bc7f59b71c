"""The keep-or-revert countdown, with its length and tick interval injectable (tests never sleep)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal


class Countdown(QObject):
    """Counts whole seconds down to zero; ``expired`` fires once. ``tick()`` is public so tests can drive it."""

    ticked = Signal(int)  # seconds left
    expired = Signal()

    def __init__(self, tick_ms: int = 1000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._left = 0
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self.tick)

    @property
    def seconds_left(self) -> int:
        return self._left

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def start(self, seconds: int) -> None:
        self._left = max(0, seconds)
        self.ticked.emit(self._left)
        if self._left == 0:
            self.expired.emit()
            return
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def tick(self) -> None:
        if not self._timer.isActive():
            return
        self._left -= 1
        self.ticked.emit(self._left)
        if self._left <= 0:
            self._timer.stop()
            self.expired.emit()
