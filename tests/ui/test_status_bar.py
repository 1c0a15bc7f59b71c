"""The status bar: a long message stays readable, earlier messages are cleared by a new action, Details in one click."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt

from app.domain.model import Family
from app.simulator.profile import Fault, SimProfile
from app.ui.details_dialog import DetailsDialog
from app.viewmodels.messages import Level, Message
from tests.ui.conftest import Rig, SignalWaiter

Run = Callable[[Any], Any]
LONG = "A trial started earlier did not finish, and the values now differ from both the trial's and the earlier " * 4


def _details_dialog(rig: Rig, qtbot: Any, wait: SignalWaiter) -> DetailsDialog:
    """Click Details once; the dialog that opens."""
    qtbot.mouseClick(rig.window.details_button, Qt.MouseButton.LeftButton)
    wait.until(lambda: any(d.isVisible() for d in rig.window.findChildren(DetailsDialog)))
    return next(d for d in rig.window.findChildren(DetailsDialog) if d.isVisible())


def test_a_long_message_is_cut_with_details_to_read_it_whole(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    rig.window.show_message(Message(Level.WARNING, LONG.strip()))
    label = rig.window.message_label
    assert label.is_elided() and label.text().endswith("\u2026") and label.text() != LONG.strip()
    assert label.toolTip() == LONG.strip()
    assert rig.window.width() < label.fontMetrics().horizontalAdvance(LONG)  # it did not widen the window
    assert rig.window.details_button.isEnabled()  # no details of its own, but cut: Details shows it whole
    dialog = _details_dialog(rig, qtbot, wait)
    assert dialog.message.text() == LONG.strip() and dialog.message.wordWrap()
    assert not dialog.details.isVisible()  # nothing more to show
    dialog.close()


def test_a_short_message_without_details_needs_no_details_button(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory()
    rig.window.show_message(Message(Level.INFO, "The report was copied."))
    assert not rig.window.message_label.is_elided() and rig.window.message_label.text() == "The report was copied."
    assert rig.window.message_label.toolTip() == ""  # it would only repeat the visible text
    assert not rig.window.details_button.isEnabled()


def test_a_message_that_fits_after_a_resize_is_no_longer_cut(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory()
    text = "The netsh commands that undo the pending change were copied; run them in an administrator prompt."
    rig.window.show_message(Message(Level.INFO, text))
    rig.window.resize(rig.window.minimumWidth(), rig.window.height())
    assert rig.window.message_label.is_elided() and rig.window.details_button.isEnabled()
    rig.window.resize(2400, rig.window.height())
    assert not rig.window.message_label.is_elided() and rig.window.message_label.text() == text
    assert not rig.window.details_button.isEnabled()


def test_details_open_in_one_click_wide_enough_for_the_netsh_lines(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory(SimProfile(elevated=True, faults=frozenset({Fault.SET_FAILS})))
    rig.vm.set_workers(Family.IPV4, 2)
    run(rig.vm.apply())
    message = rig.window.last_message
    assert message is not None and message.level is Level.ERROR and "netsh" in message.details
    dialog = _details_dialog(rig, qtbot, wait)
    assert dialog.details.isVisible()  # shown at once, not behind a second "Show Details..." button
    assert dialog.details.toPlainText() == message.details
    assert dialog.details.lineWrapMode() == dialog.details.LineWrapMode.NoWrap  # one netsh line, one line
    wait.until(lambda: dialog.details.viewport().width() > 0)
    assert dialog.details.horizontalScrollBar().maximum() == 0  # every line fits without scrolling sideways
    assert dialog.close_button.hasFocus() and dialog.close_button.isDefault()
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert not dialog.isVisible()


def test_refresh_clears_the_messages_of_earlier_actions(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    rig.window.show_message(Message(Level.ERROR, "IPv4 could not be changed.", "netsh said: The parameter is wrong"))
    assert rig.window.details_button.isEnabled()
    read_at = rig.vm.read_at
    qtbot.mouseClick(rig.window.refresh_button, Qt.MouseButton.LeftButton)
    assert rig.window.last_message is None  # cleared as the intent is forwarded, before the read ends
    assert "could not be changed" not in rig.window.message_label.text()
    wait.until(lambda: rig.vm.read_at != read_at and not rig.vm.busy)
    assert rig.window.last_message is None
    assert rig.window.message_label.text().startswith("Values read at")
    assert rig.window.message_label.styleSheet() == ""  # not in the red of the old error
    assert not rig.window.details_button.isEnabled()


def test_a_simulated_reboot_clears_the_messages_of_earlier_actions(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    banner = rig.window.banner
    assert banner is not None
    rig.window.show_message(Message(Level.WARNING, "IPv4 worker count did not stick: expected 2, the machine shows 4"))
    boots, read_at = rig.state.load().boots, rig.vm.read_at
    qtbot.mouseClick(banner.reboot, Qt.MouseButton.LeftButton)
    assert rig.window.last_message is None and "did not stick" not in rig.window.message_label.text()
    wait.until(lambda: rig.state.load().boots == boots + 1 and rig.vm.read_at != read_at and not rig.vm.busy)
    assert rig.window.last_message is None and not rig.window.details_button.isEnabled()
