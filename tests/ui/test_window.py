"""The window against the simulated machine, offscreen: render, edit, apply, keep/revert, failures, busy."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QSpinBox

from app.domain.model import ExecutionMode, Family, LoopbackSettings, Store
from app.domain.outcomes import Outcome
from app.elevation.launchers import HelperLauncher, HelperProcess
from app.simulator.profile import Fault, SimProfile, UacAnswer
from app.usecases.trials import TransactionBusyError
from app.viewmodels.messages import Level, Message
from tests.ui.conftest import Rig, SignalWaiter, settle, start_trial_by

Run = Callable[[Any], Any]
INITIAL = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)


def machine(rig: Rig) -> Any:
    return rig.state.load()


def collect_messages(rig: Rig) -> list[Message]:
    messages: list[Message] = []
    rig.vm.message.connect(messages.append)
    return messages


def test_controls_show_the_machine_values(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory()
    panel = rig.window.panels[Family.IPV4]
    assert panel.mode_buttons[ExecutionMode.ADAPTIVE].isChecked()
    assert panel.workers.value() == 4
    assert panel.mtu.isChecked()
    assert panel.isEnabled() and panel.workers.isEnabled()
    assert not panel.failure_box.isVisible()
    assert rig.window.tabs.tabText(0) == "IPv4"
    assert not rig.window.apply_button.isEnabled()


def test_edits_become_a_pending_change_and_discard_returns(rig_factory: Callable[..., Rig], qtbot: Any) -> None:
    rig = rig_factory()
    panel = rig.window.panels[Family.IPV4]
    inline = panel.mode_buttons[ExecutionMode.INLINE]
    qtbot.mouseClick(inline, Qt.MouseButton.LeftButton, pos=QPoint(8, inline.height() // 2))  # on the indicator
    panel.workers.setValue(9)
    change = rig.vm.pending_change()
    assert [fc.family for fc in change.families] == [Family.IPV4]
    assert change.families[0].after == LoopbackSettings(ExecutionMode.INLINE, 9, True)
    assert "\u270e" in rig.window.tabs.tabText(0) and "\u270e" not in rig.window.tabs.tabText(1)
    assert panel.workers_note.isVisible()  # inline: the worker count has no effect
    assert rig.window.apply_button.isEnabled()
    assert "IPv4 execution mode: adaptive \u2192 inline" in rig.window.pending_label.text()
    assert rig.vm.pending_commands() == [
        "netsh interface ipv4 set global loopbackexecutionmode=inline loopbackworkercount=9 store=persistent"
    ]
    qtbot.mouseClick(rig.window.discard_button, Qt.MouseButton.LeftButton)
    assert rig.vm.pending_change().is_empty
    assert panel.mode_buttons[ExecutionMode.ADAPTIVE].isChecked() and panel.workers.value() == 4


def _start_trial(rig: Rig, run: Run) -> None:
    rig.vm.set_large_mtu(Family.IPV6, False)
    run(rig.vm.apply())
    assert rig.vm.in_trial and rig.window.keep_dialog is not None
    assert machine(rig).active[Family.IPV6].large_mtu is False  # in effect during the trial
    assert machine(rig).persistent[Family.IPV6].large_mtu is True  # but not saved yet


def test_apply_then_keep_runs_exactly_the_expected_commands(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    _start_trial(rig, run)
    assert not rig.window.panels[Family.IPV6].mtu.isEnabled()  # busy during the trial
    ended = wait(rig.vm.trialEnded, lambda: rig.window.keep_dialog.keep_button.click())
    result = ended[0]
    assert result.outcome is Outcome.KEPT
    assert [r.argv for r in result.results] == [
        ("interface", "ipv6", "set", "global", "loopbacklargemtu=disable", "store=active"),
        ("interface", "ipv6", "set", "global", "loopbacklargemtu=disable", "store=persistent"),
    ]
    assert machine(rig).persistent[Family.IPV6].large_mtu is False
    assert not rig.window.panels[Family.IPV6].mtu.isChecked()
    assert rig.window.keep_dialog is None and not rig.vm.busy
    assert rig.window.last_message is not None and rig.window.last_message.level is Level.SUCCESS


def _assert_reverted(rig: Rig) -> None:
    state = machine(rig)
    assert state.active[Family.IPV6] == INITIAL and state.persistent[Family.IPV6] == INITIAL
    assert rig.window.panels[Family.IPV6].mtu.isChecked()
    assert rig.vm.pending_change().is_empty


def test_revert_button_restores(rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter) -> None:
    rig = rig_factory()
    _start_trial(rig, run)
    ended = wait(rig.vm.trialEnded, lambda: rig.window.keep_dialog.revert_button.click())
    assert ended[0].outcome is Outcome.REVERTED
    _assert_reverted(rig)


def test_escape_restores(rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter) -> None:
    rig = rig_factory()
    _start_trial(rig, run)
    wait(rig.vm.trialEnded, lambda: qtbot.keyClick(rig.window.keep_dialog, Qt.Key.Key_Escape))
    _assert_reverted(rig)


def test_closing_the_dialog_restores(rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter) -> None:
    rig = rig_factory()
    _start_trial(rig, run)
    wait(rig.vm.trialEnded, lambda: rig.window.keep_dialog.close())
    _assert_reverted(rig)


def test_countdown_running_out_restores(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory(countdown_s=3)  # the countdown ticks every 100 ms in tests
    ticks: list[int] = []
    rig.vm.trialTick.connect(ticks.append)
    _start_trial(rig, run)
    ended = wait(rig.vm.trialEnded)
    assert ticks == [3, 2, 1, 0]
    assert ended[0].outcome is Outcome.REVERTED
    _assert_reverted(rig)


def test_closing_the_window_during_a_trial_reverts_first(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    _start_trial(rig, run)
    wait(rig.vm.trialEnded, lambda: rig.window.close())
    _assert_reverted(rig)
    wait.until(lambda: not rig.window.isVisible())


def test_unsupported_build_is_explained_and_disabled(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(SimProfile(build=17134))
    panel = rig.window.panels[Family.IPV4]
    assert panel.failure_box.isVisible()
    assert "does not have the loopback settings" in panel.failure_title.text()
    assert "(17134)" in panel.failure_text.text()  # from the build number: netsh is not run, so no raw output
    assert not panel.raw.isVisible() and not panel.copy_raw.isVisible()
    assert not panel.workers.isEnabled() and not panel.mtu.isEnabled()
    assert not any(b.isChecked() for b in panel.mode_buttons.values())
    assert "\u26a0" in rig.window.tabs.tabText(0)
    assert rig.window.last_message is not None and rig.window.last_message.level is Level.WARNING


def test_unrecognized_output_is_never_guessed(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(SimProfile(language="zh-CN"))
    panel = rig.window.panels[Family.IPV6]
    assert "could not be read with certainty" in panel.failure_title.text()
    assert "\u73af\u56de\u5927 Mtu" in panel.raw.toPlainText()  # decoded from cp936
    assert rig.vm.family_view(Family.IPV6).pending is None


def test_cancelled_elevation_is_a_message_and_nothing_changes(rig_factory: Callable[..., Rig], run: Run) -> None:
    rig = rig_factory(SimProfile(uac=UacAnswer.CANCEL))
    messages = collect_messages(rig)
    rig.vm.set_mode(Family.IPV4, ExecutionMode.WORKER)
    run(rig.vm.apply())
    assert not rig.vm.in_trial and not rig.vm.busy
    assert messages[-1].level is Level.INFO and "cancelled" in messages[-1].text
    assert machine(rig).active[Family.IPV4] == INITIAL
    assert rig.vm.has_pending  # the edit is not lost


def test_netsh_failure_reaches_the_message_channel_with_details(rig_factory: Callable[..., Rig], run: Run) -> None:
    rig = rig_factory(SimProfile(elevated=True, faults=frozenset({Fault.SET_FAILS})))
    messages = collect_messages(rig)
    rig.vm.set_workers(Family.IPV4, 2)
    run(rig.vm.apply())
    assert messages[-1].level is Level.ERROR
    assert "The parameter is incorrect." in messages[-1].details
    assert rig.window.details_button.isEnabled()
    assert machine(rig).active[Family.IPV4] == INITIAL


def test_value_that_did_not_stick_is_said_plainly(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory(SimProfile(elevated=True, faults=frozenset({Fault.SET_IGNORED})))
    messages = collect_messages(rig)
    rig.vm.set_workers(Family.IPV4, 2)
    run(rig.vm.apply())
    wait(rig.vm.trialEnded, lambda: rig.window.keep_dialog.keep_button.click())
    assert messages[-1].level is Level.WARNING
    assert "IPv4 worker count did not stick: expected 2, the machine shows 4" in messages[-1].text


def test_busy_state_disables_controls_and_the_loop_keeps_ticking(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run
) -> None:
    rig = rig_factory(SimProfile(elevated=True, latency_ms=300))
    ticks: list[float] = []
    timer = QTimer(rig.window)
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    busy_seen: list[bool] = []
    rig.vm.busyChanged.connect(
        lambda busy: busy_seen.append(
            busy
            and not rig.window.panels[Family.IPV4].workers.isEnabled()
            and rig.window.busy_bar.isVisible()
            and not rig.window.refresh_button.isEnabled()
        )
    )
    timer.start()
    run(rig.vm.refresh())
    timer.stop()
    assert busy_seen[0] is True  # controls disabled and the busy bar shown while reading
    assert rig.window.panels[Family.IPV4].workers.isEnabled() and not rig.window.busy_bar.isVisible()
    # Four reads of 300 ms each ran concurrently, and the event loop ran all the while.
    assert len(ticks) >= 10
    assert max(b - a for a, b in itertools.pairwise(ticks)) < 0.25


class CountingLauncher:
    """The real (simulated) launcher, counting the helpers it starts."""

    def __init__(self, inner: HelperLauncher) -> None:
        self.inner = inner
        self.launches = 0

    @property
    def prompts(self) -> int:
        return self.inner.prompts

    def launch(self, args: Sequence[str], authkey: bytes) -> HelperProcess:
        self.launches += 1
        return self.inner.launch(args, authkey)


def counted(rig: Rig) -> CountingLauncher:
    launcher = CountingLauncher(rig.services.transactions.launcher)
    rig.services.transactions.launcher = launcher
    return launcher


def test_a_second_apply_while_one_runs_is_refused(rig_factory: Callable[..., Rig], run: Run) -> None:
    rig = rig_factory()
    helpers = counted(rig)
    _start_trial(rig, run)
    during = machine(rig)
    with pytest.raises(TransactionBusyError, match=r"^A change is already being tried; finish it first\.$"):
        rig.services.transactions.begin(_any_change(), seconds=5)
    assert helpers.launches == 1  # the refusal started no second helper
    assert machine(rig).active == during.active and machine(rig).persistent == during.persistent
    assert rig.vm.in_trial and rig.window.keep_dialog is not None  # the first trial runs on
    entries, _ = rig.services.history.load()
    assert [(e.outcome, e.requested.describe()) for e in entries] == [(None, ["IPv6 large MTU: on \u2192 off"])]
    result = run(rig.vm.revert())
    assert result is not None and result.outcome is Outcome.REVERTED
    _assert_reverted(rig)
    assert helpers.launches == 1
    assert [e.outcome for e in rig.services.history.load()[0]] == ["reverted"]


def test_a_second_window_cannot_apply_while_one_runs(rig_factory: Callable[..., Rig], run: Run) -> None:
    first = rig_factory()
    _start_trial(first, run)
    second = rig_factory()  # another window on the same machine and the same user's files
    helpers = counted(second)
    messages = collect_messages(second)
    second.vm.set_workers(Family.IPV4, 9)
    run(second.vm.apply())
    assert messages[-1] == Message(
        Level.WARNING,
        "Another Loopback Tuner (a window or the command line) is trying a change; finish it there first.",
    )
    assert second.window.last_message == messages[-1]
    assert helpers.launches == 0 and not second.vm.in_trial and not second.vm.busy
    assert second.vm.has_pending  # the edit is not lost
    assert machine(second).active[Family.IPV4] == INITIAL  # only the first trial's change is in effect
    assert machine(second).active[Family.IPV6].large_mtu is False
    run(first.vm.revert())
    _assert_reverted(first)


def _any_change() -> Any:
    from app.domain.model import Change, FamilyChange

    return Change((FamilyChange(Family.IPV4, INITIAL, LoopbackSettings(ExecutionMode.WORKER, 4, True)),))


def test_restore_original_goes_through_the_same_flow(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    rig.vm.set_mode(Family.IPV4, ExecutionMode.WORKER)
    run(rig.vm.apply())
    wait(rig.vm.trialEnded, lambda: rig.window.keep_dialog.keep_button.click())
    assert machine(rig).persistent[Family.IPV4].execution_mode is ExecutionMode.WORKER
    assert rig.vm.originals[Family.IPV4].settings == INITIAL  # saved once, on the first read
    assert rig.vm.restore_original((Family.IPV4, Family.IPV6))
    assert rig.vm.pending_summary() == ["IPv4 execution mode: worker \u2192 adaptive"]
    run(rig.vm.apply())
    wait(rig.vm.trialEnded, lambda: rig.window.keep_dialog.keep_button.click())
    assert machine(rig).persistent[Family.IPV4] == INITIAL


def test_simulated_banner_changes_the_profile_and_rereads(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    banner = rig.window.banner
    assert banner is not None and banner.isVisible()
    index = banner.build.findData(17134)
    banner.build.setCurrentIndex(index)
    wait(rig.vm.changed, lambda: banner.build.activated.emit(index))
    wait.until(lambda: rig.window.panels[Family.IPV4].failure_box.isVisible())
    assert machine(rig).profile.build == 17134


def test_every_control_has_an_accessible_name_or_text(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory()
    for widget in (
        rig.window.findChildren(QAbstractButton)
        + rig.window.findChildren(QSpinBox)
        + rig.window.findChildren(QComboBox)
    ):
        if widget.objectName().startswith("qt_"):
            continue  # Qt's own helpers (e.g. the menu bar's overflow button)
        name = widget.accessibleName() or (widget.text() if isinstance(widget, QAbstractButton) else "")
        assert name.strip(), f"{widget!r} has no accessible name"


def test_unfinished_transaction_is_reported_at_start(rig_factory: Callable[..., Rig], tmp_path: Any, run: Run) -> None:
    rig = rig_factory(start=False)
    rig.services.history.record_started(_any_change(), "simulated")
    messages = collect_messages(rig)
    run(rig.vm.start())
    assert any("did not finish" in m.text for m in messages)
    entries, _ = rig.services.history.load()
    assert entries[0].outcome == "interrupted"


def test_crash_dialog_shows_unexpected_errors_and_app_keeps_working(
    qtbot: Any, rig_factory: Callable[..., Rig]
) -> None:
    from app.ui.crash import CrashReporter

    rig = rig_factory()
    reporter = CrashReporter(lambda: rig.window)
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        reporter.handle(type(exc), exc, exc.__traceback__)
    assert reporter.dialog is not None and reporter.dialog.isVisible()
    assert "RuntimeError: boom" in reporter.dialog.details.toPlainText()
    reporter.dialog.close()
    rig.vm.set_workers(Family.IPV4, 3)
    assert rig.vm.has_pending


def test_the_trial_runs_in_the_active_store_for_the_configured_time_and_the_history_names_its_target(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    rig = rig_factory(countdown_s=15)
    ticks: list[int] = []
    rig.vm.trialTick.connect(ticks.append)
    rig.window.panels[Family.IPV4].workers.setValue(6)
    qtbot.mouseClick(rig.window.apply_button, Qt.MouseButton.LeftButton)
    dialog = rig.window.apply_dialog
    assert dialog is not None
    assert any("15-second trial" in label.text() for label in dialog.findChildren(QLabel))
    started = start_trial_by(wait, rig.vm, dialog.apply_button.click)
    assert started[0].seconds == 15
    keep = rig.window.keep_dialog
    assert keep is not None and "seconds" in keep.countdown.text()
    assert machine(rig).active[Family.IPV4].worker_count == 6 and machine(rig).persistent[Family.IPV4] == INITIAL
    (entry,) = rig.services.history.load()[0]
    assert entry.store is Store.PERSISTENT and entry.outcome is None  # the trial's target, for a later recovery
    ended = wait(rig.vm.trialEnded, keep.keep_button.click)
    assert [r.argv[-1] for r in ended[0].results] == ["store=active", "store=persistent"]
    assert ticks[0] == 15 and ticks == sorted(ticks, reverse=True)  # counts down from the configured time
    assert machine(rig).persistent[Family.IPV4].worker_count == 6


def test_escape_or_closing_after_keep_changes_nothing_and_keeps(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory(SimProfile(elevated=True, latency_ms=300), countdown_s=1000)  # 100 s at the test's 100 ms tick
    _start_trial(rig, run)
    dialog = rig.window.keep_dialog
    assert dialog is not None

    def keep_then_escape_and_close() -> None:
        dialog.keep_button.click()
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # ignored: the decision is on its way
        rig.window.close()  # waits for the keep, then closes

    ended = wait(rig.vm.trialEnded, keep_then_escape_and_close)
    assert ended[0].outcome is Outcome.KEPT
    assert machine(rig).persistent[Family.IPV6].large_mtu is False
    wait.until(lambda: not rig.window.isVisible())


def test_the_whole_flow_by_clicking_apply_then_keep(
    rig_factory: Callable[..., Rig], qtbot: Any, wait: SignalWaiter
) -> None:
    """Every step by a real click: Apply opens the confirmation, Apply there starts the trial, Keep keeps."""
    rig = rig_factory()
    rig.window.panels[Family.IPV4].mtu.click()
    qtbot.mouseClick(rig.window.apply_button, Qt.MouseButton.LeftButton)
    dialog = rig.window.apply_dialog
    assert dialog is not None and dialog.isVisible() and dialog.windowTitle() == "Apply these changes?"
    start_trial_by(wait, rig.vm, lambda: qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton))
    assert rig.window.keep_dialog is not None
    keep = rig.window.keep_dialog.keep_button
    ended = wait(rig.vm.trialEnded, lambda: qtbot.mouseClick(keep, Qt.MouseButton.LeftButton))
    assert ended[0].outcome is Outcome.KEPT
    assert machine(rig).persistent[Family.IPV4].large_mtu is False


def test_enter_in_the_keep_dialog_reverts(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    _start_trial(rig, run)
    dialog = rig.window.keep_dialog
    assert dialog is not None and dialog.revert_button.isDefault() and not dialog.keep_button.autoDefault()
    ended = wait(rig.vm.trialEnded, lambda: qtbot.keyClick(dialog, Qt.Key.Key_Return))
    assert ended[0].outcome is Outcome.REVERTED
    _assert_reverted(rig)


def test_the_banner_keeps_changes_made_from_the_command_line(rig_factory: Callable[..., Rig], run: Run) -> None:
    rig = rig_factory()
    rig.state.set_profile(SimProfile(elevated=True, congestion_provider="bbr2", latency_ms=100))  # e.g. the CLI
    run(rig.sim_vm.update(build=26100))
    run(settle())  # the re-read and the BBR2 check the change started
    profile = rig.state.load().profile
    assert (profile.build, profile.congestion_provider, profile.latency_ms) == (26100, "bbr2", 100)
    assert rig.window.banner is not None and rig.window.banner.latency.value() == 100


def test_restore_is_refused_with_other_pending_edits_or_unreadable_values(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory()
    messages: list[Message] = []
    rig.vm.message.connect(messages.append)
    rig.vm.set_workers(Family.IPV4, 9)
    assert not rig.vm.restore_original((Family.IPV6,))
    assert "pending edits first" in messages[-1].text
    rig.vm.discard()
    unreadable = rig_factory(SimProfile(elevated=True, build=17134))
    unreadable.vm.message.connect(messages.append)
    assert not unreadable.vm.restore_original((Family.IPV4, Family.IPV6))
    assert "cannot be restored" in messages[-1].text and "already has" not in messages[-1].text


def test_ctrl_q_in_the_keep_dialog_reverts_then_closes_and_the_window_stays_reachable(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    from PySide6.QtGui import QGuiApplication

    rig = rig_factory()
    _start_trial(rig, run)
    dialog = rig.window.keep_dialog
    assert dialog is not None and dialog.isVisible()
    assert QGuiApplication.modalWindow() is None  # nothing blocks the main window's title-bar X
    ended = wait(rig.vm.trialEnded, lambda: qtbot.keyClick(dialog, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier))
    assert ended[0].outcome is Outcome.REVERTED
    _assert_reverted(rig)
    wait.until(lambda: not rig.window.isVisible())


def test_a_value_lost_at_restart_can_be_saved_from_its_tab(
    rig_factory: Callable[..., Rig], qtbot: Any, run: Run, wait: SignalWaiter
) -> None:
    """Issue 13: the 'not saved' banner has a Save button that runs the save through the elevated path."""
    rig = rig_factory()
    panel = rig.window.panels[Family.IPV4]
    assert not panel.save_button.isVisible()

    def active_only(machine: Any) -> None:
        machine.active[Family.IPV4] = LoopbackSettings(ExecutionMode.WORKER, 6, True)

    rig.state.update(active_only)
    run(rig.vm.refresh())
    assert panel.save_button.isVisible() and panel.save_button.isEnabled()
    assert not rig.window.panels[Family.IPV6].save_button.isVisible()
    rig.vm.set_workers(Family.IPV4, 7)  # pending edits would be saved unseen: the button waits for them
    assert not panel.save_button.isEnabled()
    rig.vm.discard()
    messages = wait(rig.vm.message, lambda: qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton))
    while messages[0].level is not Level.SUCCESS:
        messages = wait(rig.vm.message)
    assert rig.state.load().persistent[Family.IPV4] == LoopbackSettings(ExecutionMode.WORKER, 6, True)
    assert not panel.save_button.isVisible()


def test_the_named_widgets_get_their_look_and_the_hints_are_dimmed(rig_factory: Callable[..., Rig]) -> None:
    """theme.polish styles the few named widgets (found by name) and dims the hint labels."""
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QFrame, QWidget

    rig = rig_factory()
    (banner,) = rig.window.findChildren(QFrame, "simBanner")
    assert banner.styleSheet().startswith("#simBanner { background: #fff4ce")  # the light palette's sheet
    failures = rig.window.findChildren(QWidget, "failure")
    assert len(failures) == 2 and all("#c42b1c" in f.styleSheet() for f in failures)  # one per family tab
    hints = [label for label in rig.window.findChildren(QLabel) if label.property("role") == "hint"]
    assert hints and all(label.foregroundRole() == QPalette.ColorRole.PlaceholderText for label in hints)
