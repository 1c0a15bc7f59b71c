"""The window's minimum size shows every control of a tab without scrolling, in each state the tabs can be in."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QLabel, QPlainTextEdit, QScrollArea, QWidget

from app.domain.model import ExecutionMode, Family, LoopbackSettings
from app.simulator.machine import SimulatedMachine
from app.simulator.profile import SimProfile
from app.ui.main_window import DEFAULT_SIZE
from tests.ui.conftest import Rig, SignalWaiter


def _at_minimum(rig: Rig, wait: SignalWaiter) -> None:
    """Shrink the window as far as it goes (Qt keeps it at its minimum size) and let the layout settle: a
    narrower tab wraps its hints and asks for more height, which raises the minimum again."""

    def shrunk() -> bool:
        rig.window.resize(1, 1)
        return rig.window.size() == rig.window.minimumSize()

    for _ in range(3):
        wait.until(shrunk)


def _controls(panel: QWidget) -> list[QWidget]:
    kinds = (QAbstractButton, QAbstractSpinBox, QLabel)
    texts = [w for kind in kinds for w in panel.findChildren(kind) if w.isVisibleTo(panel) and w.text()]
    return texts + [w for w in panel.findChildren(QPlainTextEdit) if w.isVisibleTo(panel)]


def _assert_every_control_visible(rig: Rig, wait: SignalWaiter) -> None:
    for index, (family, panel) in enumerate(rig.window.panels.items()):
        rig.window.tabs.setCurrentIndex(index)
        area = panel.findChild(QScrollArea)
        wait.until(lambda area=area: area.widget().width() == area.viewport().width())
        assert area.verticalScrollBar().maximum() == 0, f"{family.label}: the tab scrolls at the minimum size"
        assert area.horizontalScrollBar().maximum() == 0, f"{family.label}: the tab scrolls sideways"
        viewport = QRect(area.viewport().rect())
        for control in _controls(panel):
            text = "raw output" if isinstance(control, QPlainTextEdit) else control.text()  # type: ignore[attr-defined]
            corner = control.mapTo(area.viewport(), control.rect().topLeft())
            assert viewport.contains(QRect(corner, control.size())), f"{family.label}: {text!r} is cut off"
            if isinstance(control, QLabel) and control.wordWrap():
                assert control.height() >= control.heightForWidth(control.width()), f"{text!r} is cut short"
    window = rig.window.rect()
    for button in (rig.window.refresh_button, rig.window.restore_button, rig.window.apply_button):
        corner = button.mapTo(rig.window, button.rect().topLeft())
        assert window.contains(QRect(corner, button.size()))
    pending = rig.window.pending_label
    assert pending.height() >= pending.heightForWidth(pending.width())  # every pending line shows


def _unsaved_everywhere(rig: Rig) -> None:
    def change(machine: SimulatedMachine) -> None:
        for family in Family:
            machine.active[family] = dataclasses.replace(machine.active[family], execution_mode=ExecutionMode.INLINE)

    rig.state.update(change)


@pytest.mark.parametrize(
    "case", ["simulated", "netsh", "unsupported", "pending-and-unsaved", "known-problem"], ids=lambda case: str(case)
)
def test_the_minimum_size_shows_every_control_of_each_tab_without_scrolling(
    rig_factory: Callable[..., Rig], run: Any, wait: SignalWaiter, case: str
) -> None:
    profiles = {
        "unsupported": SimProfile(elevated=True, build=17134),
        "known-problem": SimProfile(elevated=True, build=26100, congestion_provider="bbr2"),
    }
    rig = rig_factory(profiles.get(case))
    if case == "known-problem":  # the banner's three wrapped lines take no room from the tabs
        run(rig.helpdesk.facts.check_interactions())
        assert rig.window.warning_banner.isVisible()
    if case == "netsh":
        assert rig.window.banner is not None
        rig.window.banner.hide()  # the window on real netsh is the same one without the simulation banner
    if case == "pending-and-unsaved":
        _unsaved_everywhere(rig)
        run(rig.vm.refresh())
        for family in Family:  # every setting of both families changed: the longest pending list
            rig.vm.set_pending(family, LoopbackSettings(ExecutionMode.WORKER, 9, False))
        assert len(rig.vm.pending_summary()) == 6
    _at_minimum(rig, wait)
    assert rig.window.minimumWidth() <= DEFAULT_SIZE.width()
    _assert_every_control_visible(rig, wait)


def test_the_default_size_is_at_least_the_minimum(rig_factory: Callable[..., Rig], wait: SignalWaiter) -> None:
    rig = rig_factory()
    wait.until(lambda: rig.window.minimumHeight() > 0)
    assert rig.window.size() == DEFAULT_SIZE
    assert rig.window.minimumWidth() <= DEFAULT_SIZE.width() and rig.window.minimumHeight() <= DEFAULT_SIZE.height()
