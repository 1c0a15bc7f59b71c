"""The worker count never changes silently: typed out of range, scrolled past, or shown beside its range."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget

from app.domain.model import Family
from tests.ui.conftest import Rig, SignalWaiter
from tests.ui.test_keyboard import active


def _type(qtbot: Any, wait: SignalWaiter, rig: Rig, text: str) -> Any:
    """Focus IPv4's worker count, select its text and type ``text``; returns the box."""
    spin = rig.window.panels[Family.IPV4].workers
    active(qtbot, wait, rig.window)
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus, timeout=5000)
    spin.selectAll()
    qtbot.keyClicks(spin, text)
    return spin


def test_the_range_is_shown_beside_the_box(rig_factory: Callable[..., Rig]) -> None:
    panel = rig_factory().window.panels[Family.IPV4]
    assert panel.workers_range.isVisible() and panel.workers_range.text() == "1\u201316"
    box, beside = panel.workers.geometry(), panel.workers_range.geometry()
    assert beside.left() >= box.right() and abs(beside.center().y() - box.center().y()) <= 4  # on the same line


def test_typing_17_then_tab_keeps_the_value_and_says_why(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    panel = rig.window.panels[Family.IPV4]
    spin = _type(qtbot, wait, rig, "17")
    assert spin.lineEdit().text() == "17"  # the typed digits stay on screen, not a silent "1"
    assert not panel.workers_error.isVisible()  # nothing is refused while the user is still typing
    qtbot.keyClick(spin, Qt.Key.Key_Tab)
    assert not spin.hasFocus()
    assert spin.value() == 4 and spin.lineEdit().text() == "4"
    assert not rig.vm.has_pending  # neither 1 nor 16: the value did not change
    assert panel.workers_error.isVisible()
    assert panel.workers_error.text() == "The worker count must be 1 to 16, not 17: it stays 4."


def test_an_out_of_range_value_with_enter_is_refused_and_a_good_one_clears_the_message(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    panel = rig.window.panels[Family.IPV4]
    spin = _type(qtbot, wait, rig, "99")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert spin.value() == 4 and not rig.vm.has_pending
    assert panel.workers_error.isVisible() and "not 99" in panel.workers_error.text()
    spin.selectAll()
    qtbot.keyClicks(spin, "9")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert rig.vm.pending_change().families[0].after.worker_count == 9
    assert not panel.workers_error.isVisible()


def test_zero_is_refused_too(rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter) -> None:
    rig = rig_factory()
    spin = _type(qtbot, wait, rig, "0")
    qtbot.keyClick(spin, Qt.Key.Key_Tab)
    assert spin.value() == 4 and not rig.vm.has_pending
    assert "not 0" in rig.window.panels[Family.IPV4].workers_error.text()


def _wheel(widget: QWidget, steps: int = 1) -> bool:
    """Send one wheel notch (up) to ``widget``; returns whether it took the event."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre)),
        QPoint(),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def test_the_wheel_changes_the_box_only_when_it_has_focus(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    spin = rig.window.panels[Family.IPV4].workers
    rig.window.refresh_button.setFocus()
    assert not spin.hasFocus()
    assert spin.focusPolicy() == Qt.FocusPolicy.StrongFocus  # the wheel does not give it focus either
    assert not _wheel(spin)  # passed on to the page, which scrolls
    assert spin.value() == 4 and not rig.vm.has_pending
    active(qtbot, wait, rig.window)
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus, timeout=5000)
    assert _wheel(spin)
    assert spin.value() == 5
    assert rig.vm.pending_change().families[0].after.worker_count == 5


def test_the_simulation_banner_ignores_the_wheel_without_focus(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory()
    banner = rig.window.banner
    assert banner is not None
    rig.window.refresh_button.setFocus()
    before = (banner.build.currentIndex(), banner.language.currentIndex(), banner.uac.currentIndex())
    for widget in (banner.build, banner.language, banner.uac, banner.latency):
        assert widget.focusPolicy() == Qt.FocusPolicy.StrongFocus
        assert not _wheel(widget, -1)
    assert (banner.build.currentIndex(), banner.language.currentIndex(), banner.uac.currentIndex()) == before
    assert banner.latency.value() == 0
