"""The keep-or-revert countdown, with its length and tick interval injectable (tests never sleep)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal


class Countdown(QObject):
    """Counts whole seconds down to zero; ``expired`` fires once. ``tick()`` is public so tests can drive it.

    ``pause()`` stops the counting but not the clock: ``pulsed`` still fires every interval (the trial's heartbeat
    hangs on it, and a paused trial must keep beating), until ``resume()`` counts on from where it stopped.
    """

    ticked = Signal(int)  # seconds left
    expired = Signal()
    pulsed = Signal()  # every interval while running, paused or not (and once at the start): the heartbeat
    pausedChanged = Signal(bool)

    def __init__(self, tick_ms: int = 1000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._left = 0
        self._paused = False
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self.tick)

    @property
    def seconds_left(self) -> int:
        return self._left

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    @property
    def paused(self) -> bool:
        return self._paused

    def start(self, seconds: int) -> None:
        self._set_paused(False)
        self._left = max(0, seconds)
        self.ticked.emit(self._left)
        self.pulsed.emit()
        if self._left == 0:
            self.expired.emit()
            return
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._set_paused(False)

    def pause(self) -> None:
        """Stop counting (a running countdown only); pulses go on."""
        if self._timer.isActive():
            self._set_paused(True)

    def resume(self) -> None:
        """Count on from the seconds left when paused."""
        if self._paused:
            self._set_paused(False)
            self.ticked.emit(self._left)

    def _set_paused(self, paused: bool) -> None:
        if paused != self._paused:
            self._paused = paused
            self.pausedChanged.emit(paused)

    def tick(self) -> None:
        if not self._timer.isActive():
            return
        self.pulsed.emit()
        if self._paused:
            return
        self._left -= 1
        self.ticked.emit(self._left)
        if self._left <= 0:
            self._timer.stop()
            self.expired.emit()
