"""Every window and dialog: where the focus is when it opens, unique Alt letters, and the history's detail pane."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialog,
    QGroupBox,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QTabBar,
    QWidget,
)

from app.domain.model import ExecutionMode, Family
from app.simulator.profile import SimProfile
from app.ui.crash import CrashReporter
from app.ui.details_dialog import DetailsDialog
from app.ui.history_dialog import HistoryDialog
from app.ui.restore_dialog import RestoreDialog
from app.viewmodels.messages import Level, Message
from tests.ui.conftest import Rig, SignalWaiter, start_trial_by
from tests.ui.test_keyboard import active

Run = Callable[[Any], Any]


def _visible(rig: Rig, kind: type[QWidget]) -> Any:
    return next(d for d in rig.window.findChildren(kind) if d.isVisible())


def _opens(rig: Rig, wait: SignalWaiter, kind: type[QWidget]) -> Any:
    wait.until(lambda: any(d.isVisible() for d in rig.window.findChildren(kind)))
    return _visible(rig, kind)


def _action(rig: Rig, text: str) -> QAction:
    return next(a for a in rig.window.findChildren(QAction) if a.text() == text)


def _kept_change(rig: Rig, run: Run, wait: SignalWaiter) -> None:
    rig.vm.set_mode(Family.IPV4, ExecutionMode.WORKER)
    run(rig.vm.apply())
    assert rig.window.keep_dialog is not None
    wait(rig.vm.trialEnded, rig.window.keep_dialog.keep_button.click)


# --- focus when a dialog opens ------------------------------------------------------------------------------


def _assert_focus_on(dialog: QWidget, button: QPushButton, qtbot: Any, wait: SignalWaiter) -> None:
    """``button`` has the focus as ``dialog`` opens, is shown, and is the one Enter presses."""
    assert dialog.focusWidget() is button
    assert button.isVisible() and button.isEnabled() and button.isDefault()
    active(qtbot, wait, dialog)
    qtbot.waitUntil(button.hasFocus, timeout=5000)


def test_the_apply_dialog_opens_with_the_focus_on_apply_and_enter_applies(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    rig.vm.set_workers(Family.IPV4, 9)
    qtbot.mouseClick(rig.window.apply_button, Qt.MouseButton.LeftButton)
    dialog = rig.window.apply_dialog
    assert dialog is not None and dialog.isVisible()
    _assert_focus_on(dialog, dialog.apply_button, qtbot, wait)
    assert not dialog.commands.copy.autoDefault()
    start_trial_by(wait, rig.vm, lambda: qtbot.keyClick(dialog, Qt.Key.Key_Return))
    assert rig.vm.in_trial and rig.window.keep_dialog is not None
    wait(rig.vm.trialEnded, rig.window.keep_dialog.revert_button.click)


def test_the_keep_dialog_opens_with_the_focus_on_revert(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    rig.vm.set_large_mtu(Family.IPV6, False)
    run(rig.vm.apply())
    dialog = rig.window.keep_dialog
    assert dialog is not None
    _assert_focus_on(dialog, dialog.revert_button, qtbot, wait)
    wait(rig.vm.trialEnded, dialog.revert_button.click)


def test_the_restore_dialog_opens_with_the_focus_on_restore(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    qtbot.mouseClick(rig.window.restore_button, Qt.MouseButton.LeftButton)
    dialog = _opens(rig, wait, RestoreDialog)
    _assert_focus_on(dialog, dialog.ok, qtbot, wait)
    dialog.reject()


def test_the_history_opens_with_the_focus_on_close_and_shows_seconds_and_the_whole_entry(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    _kept_change(rig, run, wait)
    _action(rig, "&History of changes\u2026").trigger()
    dialog = _opens(rig, wait, HistoryDialog)
    _assert_focus_on(dialog, dialog.close_button, qtbot, wait)
    when = dialog.table.item(0, 0).text()
    assert len(when) == len("2026-12-06 07:15:42") and when.count(":") == 2  # seconds, as the CLI shows them
    assert dialog.detail.toPlainText() == ""
    dialog.table.selectRow(0)
    text = dialog.detail.toPlainText()
    assert text.startswith(f"{when}: kept")
    assert "\u2022 IPv4 execution mode: adaptive \u2192 worker" in text
    assert dialog.detail.lineWrapMode() == dialog.detail.LineWrapMode.WidgetWidth  # long details wrap, never cut
    dialog.reject()


def test_the_details_dialog_opens_with_the_focus_on_close(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    rig.window.show_message(Message(Level.ERROR, "IPv4 could not be changed.", "netsh: The parameter is incorrect."))
    qtbot.mouseClick(rig.window.details_button, Qt.MouseButton.LeftButton)
    dialog = _opens(rig, wait, DetailsDialog)
    _assert_focus_on(dialog, dialog.close_button, qtbot, wait)
    dialog.reject()


# --- Alt letters: unique in every window, every state ---------------------------------------------------------


def _texts(window: QWidget) -> Iterator[str]:
    """The text of everything in ``window`` an Alt letter can reach: buttons, buddy labels, group boxes, tabs and
    the menu titles."""
    for widget in window.findChildren(QWidget):
        if not widget.isVisibleTo(window):
            continue
        if isinstance(widget, QAbstractButton) or (isinstance(widget, QLabel) and widget.buddy() is not None):
            yield widget.text()
        elif isinstance(widget, QGroupBox):
            yield widget.title()
        elif isinstance(widget, QTabBar):
            yield from (widget.tabText(i) for i in range(widget.count()))
    if isinstance(window, QMainWindow):
        yield from (action.text() for action in window.menuBar().actions())


def _letters(texts: Iterator[str] | list[str]) -> Counter[str]:
    return Counter(key for key in (QKeySequence.mnemonic(t).toString() for t in texts) if key)


def _assert_unique(window: QWidget, where: str) -> Counter[str]:
    letters = _letters(_texts(window))
    clashes = {key: n for key, n in letters.items() if n > 1}
    assert not clashes, f"{where}: an Alt key shared by several controls only moves the focus: {clashes}"
    return letters


def _walk_main_window(rig: Rig, where: str) -> set[str]:
    """Every tab of the main window, and each menu on its own; returns every letter seen."""
    seen: set[str] = set()
    for index in range(rig.window.tabs.count()):
        rig.window.tabs.setCurrentIndex(index)
        seen |= set(_assert_unique(rig.window, f"{where}, tab {rig.window.tabs.tabText(index)}"))
    for title in rig.window.menuBar().actions():
        menu = title.menu()
        assert menu is not None
        items = _letters([a.text() for a in menu.actions() if a.isVisible() and not a.isSeparator()])
        assert all(n == 1 for n in items.values()), f"{where}: menu {title.text()!r} shares a letter: {items}"
    return seen


@pytest.mark.parametrize(
    ("where", "profile"),
    [
        ("readable", SimProfile(elevated=True)),
        ("unreadable (raw output shown)", SimProfile(elevated=True, language="zh-CN")),
        ("known problem", SimProfile(elevated=True, build=26100, congestion_provider="bbr2")),
    ],
)
def test_every_state_of_the_main_window_has_unique_alt_letters(
    rig_factory: Callable[..., Rig], run: Run, where: str, profile: SimProfile
) -> None:
    rig = rig_factory(profile)
    run(rig.helpdesk.facts.check_interactions())
    rig.window.show_message(Message(Level.WARNING, "Something to see in Details.", "details"))
    seen = _walk_main_window(rig, where)
    assert {"Alt+R", "Alt+S", "Alt+P", "Alt+F", "Alt+T", "Alt+H", "Alt+B", "Alt+O"} <= seen
    if "unreadable" in where:
        assert "Alt+Y" in seen  # Cop&y raw output
    assert rig.window.banner is not None
    rig.window.banner.hide()  # the window on real netsh: the same one without the simulation banner
    _walk_main_window(rig, f"{where}, netsh")


def test_every_dialog_has_unique_alt_letters(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    _kept_change(rig, run, wait)
    dialogs: list[tuple[str, QWidget]] = []

    rig.vm.set_workers(Family.IPV4, 9)
    qtbot.mouseClick(rig.window.apply_button, Qt.MouseButton.LeftButton)
    apply = rig.window.apply_dialog
    assert apply is not None
    apply.commands.toggle.setChecked(True)  # the commands and their Copy button shown
    _assert_unique(apply, "Apply")
    apply.reject()
    wait.until(lambda: rig.window.apply_dialog is None)

    run(rig.vm.apply())
    assert rig.window.keep_dialog is not None
    _assert_unique(rig.window.keep_dialog, "Keep")
    wait(rig.vm.trialEnded, rig.window.keep_dialog.revert_button.click)

    qtbot.mouseClick(rig.window.restore_button, Qt.MouseButton.LeftButton)
    dialogs.append(("Restore", _opens(rig, wait, RestoreDialog)))
    _action(rig, "&History of changes\u2026").trigger()
    history = _opens(rig, wait, HistoryDialog)
    history.table.selectRow(0)  # Revert this change enabled
    dialogs.append(("History", history))
    rig.window.show_message(Message(Level.ERROR, "IPv4 could not be changed.", "netsh: The parameter is incorrect."))
    qtbot.mouseClick(rig.window.details_button, Qt.MouseButton.LeftButton)
    dialogs.append(("Details", _opens(rig, wait, DetailsDialog)))
    reporter = CrashReporter(lambda: rig.window)
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        reporter.handle(type(exc), exc, exc.__traceback__)
    assert reporter.dialog is not None
    dialogs.append(("Crash", reporter.dialog))
    _action(rig, "&What do these settings do?").trigger()
    dialogs.append(("Help", _opens(rig, wait, QMessageBox)))
    for where, dialog in dialogs:
        assert isinstance(dialog, QDialog) and dialog.isVisible()
        _assert_unique(dialog, where)
        dialog.close()


def test_the_apply_dialog_grows_to_show_the_commands_whole_and_shrinks_back(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    for family in Family:
        rig.vm.set_mode(family, ExecutionMode.WORKER)
        rig.vm.set_workers(family, 9)
    qtbot.mouseClick(rig.window.apply_button, Qt.MouseButton.LeftButton)
    dialog = rig.window.apply_dialog
    assert dialog is not None
    closed_height = dialog.height()
    qtbot.mouseClick(dialog.commands.toggle, Qt.MouseButton.LeftButton)
    text, copy = dialog.commands.text, dialog.commands.copy
    wait.until(lambda: text.isVisible() and dialog.height() > closed_height)
    assert copy.mapTo(dialog, copy.rect().topLeft()).y() >= text.mapTo(dialog, text.rect().bottomLeft()).y()
    assert text.verticalScrollBar().maximum() == 0  # every command line shows
    assert text.horizontalScrollBar().maximum() == 0  # and each one whole
    assert text.toPlainText().splitlines() == rig.vm.pending_commands()
    qtbot.mouseClick(dialog.commands.toggle, Qt.MouseButton.LeftButton)
    wait.until(lambda: dialog.height() == closed_height)  # no empty space where the commands were
    dialog.reject()


def test_the_history_names_a_comparison_for_what_it_was(qtbot: Any) -> None:
    """A reverted comparison changed nothing: its row must still say it was a comparison, not an empty change."""
    from app.domain.history import ComparisonStart, HistoryEntry, HistoryOutcome
    from app.domain.model import Change, LoopbackSettings

    found = {Family.IPV4: LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)}
    start = ComparisonStart(found, (("current", found), ("latency", found)))
    entry = HistoryEntry("1", 0.0, "u", "m", "sim", Change(()), HistoryOutcome.REVERTED, comparison=start)
    dialog = HistoryDialog([entry], [])
    qtbot.addWidget(dialog)
    item = dialog.table.item(0, 2)
    assert item is not None and item.text() == "comparison of 2 configurations (current, latency)"
