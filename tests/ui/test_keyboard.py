"""Every shortcut and mnemonic, pressed on the real widgets (offscreen): the effect on the view-model or machine.

Keys go through ``qtbot.keyClick`` (Qt's shortcut map, as a user's keyboard does); no test calls a slot. A
mnemonic click is animated (Qt clicks about 100 ms after the key), so tests wait for its effect.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QMessageBox, QWidget

from app.domain.model import ExecutionMode, Family, LoopbackSettings
from app.domain.outcomes import Outcome
from app.domain.presets import PresetId
from app.simulator.machine import SimulatedMachine
from app.ui.history_dialog import HistoryDialog
from app.ui.restore_dialog import RestoreDialog
from tests.ui.conftest import Rig, SignalWaiter, start_trial_by

Run = Callable[[Any], Any]
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
INITIAL = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)


def active(qtbot: Any, wait: SignalWaiter, window: QWidget) -> QWidget:
    """Make ``window`` the active window (shortcuts only reach the active one) and return it.

    Activation takes Qt events: they are processed by the running qasync loop, never outside it (where qasync
    would step the app's tasks without a running loop)."""
    window.activateWindow()
    if wait.loop.is_running():
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    else:
        wait.until(lambda: QApplication.activeWindow() is window, timeout_s=5)
    return window


def alt(qtbot: Any, wait: SignalWaiter, window: QWidget, letter: str) -> None:
    qtbot.keyClick(active(qtbot, wait, window), getattr(Qt.Key, f"Key_{letter.upper()}"), ALT)


def mnemonics(window: QWidget) -> Counter[str]:
    """The Alt letters of every visible button, buddy label and menu title in ``window``."""
    texts = [b.text() for b in window.findChildren(QAbstractButton) if b.isVisibleTo(window)]
    texts += [label.text() for label in window.findChildren(QLabel) if label.buddy() and label.isVisibleTo(window)]
    if hasattr(window, "menuBar"):
        texts += [action.text() for action in window.menuBar().actions()]
    keys = [QKeySequence.mnemonic(text).toString() for text in texts]
    return Counter(key for key in keys if key)


def assert_unique(window: QWidget) -> None:
    clashes = {key: n for key, n in mnemonics(window).items() if n > 1}
    assert not clashes, f"an Alt key shared by several controls only moves the focus: {clashes}"


# --- the main window -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("simulated", [True, False], ids=["simulated", "netsh"])
def test_no_two_controls_of_the_main_window_share_an_alt_key(rig_factory: Callable[..., Rig], simulated: bool) -> None:
    rig = rig_factory()
    if not simulated:
        assert rig.window.banner is not None
        rig.window.banner.hide()  # the netsh window is the same one without the simulation banner
    assert_unique(rig.window)
    assert {"Alt+R", "Alt+S", "Alt+D", "Alt+P", "Alt+F", "Alt+T", "Alt+H"} <= set(mnemonics(rig.window))


def test_ctrl_tab_and_ctrl_shift_tab_switch_family_tabs(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    window, tabs = active(qtbot, wait, rig.window), rig.window.tabs
    assert tabs.currentIndex() == 0
    qtbot.keyClick(window, Qt.Key.Key_Tab, CTRL)
    assert tabs.currentIndex() == 1 and tabs.currentWidget() is rig.window.panels[Family.IPV6]
    qtbot.keyClick(window, Qt.Key.Key_Tab, CTRL)  # wraps around
    assert tabs.currentIndex() == 0
    qtbot.keyClick(window, Qt.Key.Key_Backtab, CTRL | SHIFT)
    assert tabs.currentIndex() == 1
    qtbot.keyClick(window, Qt.Key.Key_Backtab, CTRL | SHIFT)
    assert tabs.currentIndex() == 0


def test_ctrl_page_down_and_up_switch_family_tabs(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    window, tabs = active(qtbot, wait, rig.window), rig.window.tabs
    qtbot.keyClick(window, Qt.Key.Key_PageDown, CTRL)
    assert tabs.currentIndex() == 1
    qtbot.keyClick(window, Qt.Key.Key_PageUp, CTRL)
    assert tabs.currentIndex() == 0


def _changed_behind_the_app(rig: Rig) -> LoopbackSettings:
    """Another program (the command line) changes the machine; the window does not know yet."""
    worker = LoopbackSettings(ExecutionMode.WORKER, 7, True)

    def change(machine: SimulatedMachine) -> None:
        machine.active[Family.IPV4] = worker

    rig.state.update(change)
    assert rig.vm.family_view(Family.IPV4).machine == INITIAL
    return worker


@pytest.mark.parametrize(
    ("key", "modifiers"),
    [(Qt.Key.Key_F5, Qt.KeyboardModifier.NoModifier), (Qt.Key.Key_R, ALT)],
    ids=["F5", "Alt+R"],
)
def test_f5_and_alt_r_read_the_machine_again(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter, key: Qt.Key, modifiers: Any
) -> None:
    rig = rig_factory()
    worker = _changed_behind_the_app(rig)
    window = active(qtbot, wait, rig.window)
    qtbot.keyClick(window, key, modifiers)
    wait.until(lambda: rig.vm.family_view(Family.IPV4).machine == worker and not rig.vm.busy)
    assert rig.window.panels[Family.IPV4].mode_buttons[ExecutionMode.WORKER].isChecked()
    assert rig.window.panels[Family.IPV4].workers.value() == 7


def test_alt_d_discards_the_pending_edits(rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter) -> None:
    rig = rig_factory()
    rig.vm.set_workers(Family.IPV4, 9)
    alt(qtbot, wait, rig.window, "d")
    wait.until(lambda: not rig.vm.has_pending)
    assert rig.window.panels[Family.IPV4].workers.value() == 4


def test_alt_s_opens_restore_and_esc_there_changes_nothing(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    alt(qtbot, wait, rig.window, "s")
    wait.until(lambda: any(d.isVisible() for d in rig.window.findChildren(RestoreDialog)))
    dialog = next(d for d in rig.window.findChildren(RestoreDialog) if d.isVisible())
    assert_unique(dialog)
    alt(qtbot, wait, dialog, "4")
    wait.until(lambda: dialog.families == (Family.IPV4,))
    qtbot.keyClick(active(qtbot, wait, dialog), Qt.Key.Key_Escape)
    wait.until(lambda: not any(d.isVisible() for d in rig.window.findChildren(RestoreDialog)))
    assert not rig.vm.has_pending and rig.window.apply_dialog is None


def _kept_worker_mode(rig: Rig, run: Run, wait: SignalWaiter) -> None:
    rig.vm.set_mode(Family.IPV4, ExecutionMode.WORKER)
    run(rig.vm.apply())
    assert rig.window.keep_dialog is not None
    wait(rig.vm.trialEnded, rig.window.keep_dialog.keep_button.click)
    assert rig.state.load().persistent[Family.IPV4].execution_mode is ExecutionMode.WORKER


def test_restore_by_keyboard_alone_fills_in_the_originals(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    _kept_worker_mode(rig, run, wait)
    alt(qtbot, wait, rig.window, "s")
    wait.until(lambda: any(d.isVisible() for d in rig.window.findChildren(RestoreDialog)))
    dialog = next(d for d in rig.window.findChildren(RestoreDialog) if d.isVisible())
    alt(qtbot, wait, dialog, "o")  # &Original values on this machine
    alt(qtbot, wait, dialog, "r")  # &Restore…
    wait.until(lambda: rig.window.apply_dialog is not None)
    assert rig.window.apply_dialog.windowTitle() == "Restore these values?"
    assert rig.vm.pending_summary() == ["IPv4 execution mode: worker \u2192 adaptive"]
    qtbot.keyClick(active(qtbot, wait, rig.window.apply_dialog), Qt.Key.Key_Escape)
    wait.until(lambda: rig.window.apply_dialog is None)
    assert not rig.vm.in_trial


def test_alt_p_opens_the_confirmation_and_esc_there_applies_nothing(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    rig.vm.set_workers(Family.IPV4, 9)
    alt(qtbot, wait, rig.window, "p")
    wait.until(lambda: rig.window.apply_dialog is not None and rig.window.apply_dialog.isVisible())
    dialog = rig.window.apply_dialog
    assert dialog is not None and dialog.windowTitle() == "Apply these changes?"
    assert_unique(dialog)
    qtbot.keyClick(active(qtbot, wait, dialog), Qt.Key.Key_Escape)
    wait.until(lambda: rig.window.apply_dialog is None)
    assert not rig.vm.in_trial and rig.vm.has_pending  # the edit is still there
    assert rig.state.load().active[Family.IPV4] == INITIAL


@pytest.mark.parametrize(
    ("key", "modifiers"),
    [(Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier), (Qt.Key.Key_A, ALT)],
    ids=["Enter", "Alt+A"],
)
def test_enter_or_alt_a_in_the_confirmation_starts_the_trial(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter, key: Qt.Key, modifiers: Any
) -> None:
    rig = rig_factory()
    rig.vm.set_workers(Family.IPV4, 9)
    alt(qtbot, wait, rig.window, "p")
    wait.until(lambda: rig.window.apply_dialog is not None and rig.window.apply_dialog.isVisible())
    dialog = rig.window.apply_dialog
    assert dialog is not None
    start_trial_by(wait, rig.vm, lambda: qtbot.keyClick(active(qtbot, wait, dialog), key, modifiers))
    assert rig.vm.in_trial and rig.state.load().active[Family.IPV4].worker_count == 9
    assert rig.window.keep_dialog is not None
    wait(rig.vm.trialEnded, rig.window.keep_dialog.revert_button.click)


def _trial(rig: Rig, run: Run) -> QWidget:
    rig.vm.set_large_mtu(Family.IPV6, False)
    run(rig.vm.apply())
    assert rig.vm.in_trial and rig.window.keep_dialog is not None
    return rig.window.keep_dialog


def test_alt_k_in_the_keep_dialog_keeps(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    dialog = _trial(rig, run)
    assert_unique(dialog)
    ended = wait(rig.vm.trialEnded, lambda: alt(qtbot, wait, dialog, "k"))
    assert ended[0].outcome is Outcome.KEPT
    assert rig.state.load().persistent[Family.IPV6].large_mtu is False


def test_alt_r_in_the_keep_dialog_reverts(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    dialog = _trial(rig, run)
    ended = wait(rig.vm.trialEnded, lambda: alt(qtbot, wait, dialog, "r"))
    assert ended[0].outcome is Outcome.REVERTED
    assert rig.state.load().active[Family.IPV6] == INITIAL


@pytest.mark.parametrize(
    ("key", "mode"),
    [("i", ExecutionMode.INLINE), ("w", ExecutionMode.WORKER)],
)
def test_alt_keys_choose_the_execution_mode(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter, key: str, mode: ExecutionMode
) -> None:
    rig = rig_factory()
    alt(qtbot, wait, rig.window, key)
    wait.until(lambda: rig.vm.has_pending)
    assert rig.vm.pending_change().families[0].after.execution_mode is mode
    alt(qtbot, wait, rig.window, "a")  # back to &Adaptive: nothing is pending any more
    wait.until(lambda: not rig.vm.has_pending)


def test_alt_l_toggles_large_mtu_on_the_current_tab(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    qtbot.keyClick(active(qtbot, wait, rig.window), Qt.Key.Key_Tab, CTRL)  # the IPv6 tab
    alt(qtbot, wait, rig.window, "l")
    wait.until(lambda: rig.vm.has_pending)
    (change,) = rig.vm.pending_change().families
    assert change.family is Family.IPV6 and change.after == dataclasses.replace(INITIAL, large_mtu=False)


def test_alt_c_puts_the_focus_on_the_worker_count(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    alt(qtbot, wait, rig.window, "c")
    spin = rig.window.panels[Family.IPV4].workers
    qtbot.waitUntil(spin.hasFocus, timeout=5000)
    qtbot.keyClick(spin, Qt.Key.Key_Up)
    assert rig.vm.pending_change().families[0].after.worker_count == 5


@pytest.mark.parametrize(("key", "preset_id"), [("n", PresetId.LATENCY), ("u", PresetId.THROUGHPUT)])
def test_alt_keys_fill_in_a_preset(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter, key: str, preset_id: PresetId
) -> None:
    from app.domain.presets import preset

    rig = rig_factory()
    alt(qtbot, wait, rig.window, key)
    wait.until(lambda: rig.vm.has_pending)
    # the configured (simulated) machine's processors, not this computer's (issue 13)
    expected = preset(preset_id).settings(INITIAL, rig.state.load().profile.processors)
    assert expected != INITIAL
    assert {fc.family: fc.after for fc in rig.vm.pending_change().families} == dict.fromkeys(Family, expected)


def test_the_simulation_banner_by_keyboard(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    banner = rig.window.banner
    assert banner is not None and rig.state.load().profile.elevated

    async def press(letter: str, effect: Callable[[], bool]) -> None:
        """Press Alt+letter, wait for ``effect``, then until no other task has run for three 10 ms turns: a
        profile change re-reads the machine and its facts in the background, all inside this one loop run."""
        alt(qtbot, wait, rig.window, letter)
        me, calm = asyncio.current_task(), 0
        for _ in range(2000):  # bounded: 20 s at most
            await asyncio.sleep(0.01)
            working = not effect() or rig.vm.busy or any(t is not me and not t.done() for t in asyncio.all_tasks())
            calm = 0 if working else calm + 1
            if calm == 3:
                assert banner.isEnabled()
                return
        raise AssertionError(f"Alt+{letter}: no effect, or background work never ended")

    run(press("m", lambda: not rig.state.load().profile.elevated))  # Run as ad&ministrator
    boots = rig.state.load().boots
    run(press("o", lambda: rig.state.load().boots == boots + 1))  # Simulate reb&oot
    for letter, widget in (("b", banner.build), ("g", banner.language), ("e", banner.latency)):
        run(press(letter, widget.hasFocus))
    workers = rig.window.panels[Family.IPV4].workers
    run(press("c", workers.hasFocus))  # leaving the delay box saves it (editingFinished): that finishes here too


def test_ctrl_q_closes_the_window(rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter) -> None:
    rig = rig_factory()
    qtbot.keyClick(active(qtbot, wait, rig.window), Qt.Key.Key_Q, CTRL)
    wait.until(lambda: not rig.window.isVisible())


def test_ctrl_h_opens_the_history_and_alt_r_there_fills_in_the_revert(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    _kept_worker_mode(rig, run, wait)
    qtbot.keyClick(active(qtbot, wait, rig.window), Qt.Key.Key_H, CTRL)
    wait.until(lambda: any(d.isVisible() for d in rig.window.findChildren(HistoryDialog)))
    dialog = next(d for d in rig.window.findChildren(HistoryDialog) if d.isVisible())
    assert dialog.table.rowCount() == 1
    dialog.table.selectRow(0)
    assert_unique(dialog)
    alt(qtbot, wait, dialog, "r")
    wait.until(lambda: rig.window.apply_dialog is not None)
    assert rig.window.apply_dialog.windowTitle() == "Revert this change?"
    assert rig.vm.pending_summary() == ["IPv4 execution mode: worker \u2192 adaptive"]
    qtbot.keyClick(active(qtbot, wait, rig.window.apply_dialog), Qt.Key.Key_Escape)
    wait.until(lambda: rig.window.apply_dialog is None)


def test_f1_opens_the_help(rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter) -> None:
    rig = rig_factory()
    qtbot.keyClick(active(qtbot, wait, rig.window), Qt.Key.Key_F1)

    def help_box() -> list[QMessageBox]:
        return [b for b in rig.window.findChildren(QMessageBox) if b.isVisible()]

    wait.until(lambda: bool(help_box()))
    assert help_box()[0].windowTitle() == "What do these settings do?"
    help_box()[0].close()


def test_the_standard_keys_are_bound_on_every_platform(rig_factory: Callable[..., Rig]) -> None:
    """Qt's standard Quit key is empty on Windows: Ctrl+Q must be bound explicitly, F5 and F1 too."""
    rig = rig_factory()
    bound = {
        k.toString() for action in rig.window.findChildren(type(rig.window.refresh_action)) for k in action.shortcuts()
    }
    assert {"Ctrl+Q", "F5", "F1", "Ctrl+H"} <= bound
