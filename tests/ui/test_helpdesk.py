"""Help-desk features at view-model and window level against the simulated machine."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QAction, QGuiApplication

from app.domain.model import ExecutionMode, Family, LoopbackSettings
from app.domain.presets import PresetId
from app.domain.profile_file import dump_profile
from app.simulator.profile import SimProfile
from app.ui.history_dialog import HistoryDialog
from app.ui.restore_dialog import RestoreDialog, RestoreSource
from app.viewmodels.messages import Level, Message
from tests.ui.conftest import Rig, SignalWaiter

Run = Callable[[Any], Any]
INITIAL = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)


def messages_of(rig: Rig) -> list[Message]:
    out: list[Message] = []
    rig.vm.message.connect(out.append)
    return out


def test_preset_buttons_only_fill_pending_edits(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory()
    rig.window.preset_bar.buttons[PresetId.LATENCY].click()
    change = rig.vm.pending_change()
    assert {fc.family for fc in change.families} == {Family.IPV4, Family.IPV6}
    assert all(fc.after.execution_mode is ExecutionMode.INLINE and fc.after.large_mtu for fc in change.families)
    assert rig.state.load().active[Family.IPV4] == INITIAL  # nothing applied
    assert rig.window.panels[Family.IPV4].mode_buttons[ExecutionMode.INLINE].isChecked()


def test_bbr2_warning_appears_in_the_background_with_a_pending_fix(rig_factory: Callable[..., Rig], run: Run) -> None:
    rig = rig_factory(SimProfile(elevated=True, build=26100, congestion_provider="bbr2"))
    assert not rig.window.warning_banner.isVisible()  # start-up did not wait for the check
    run(rig.helpdesk.facts.check_interactions())
    assert rig.window.warning_banner.isVisible()
    assert "BBR2" in rig.window.warning_banner.text.text()
    rig.window.warning_banner.fix_button.click()
    assert all(not fc.after.large_mtu for fc in rig.vm.pending_change().families)
    assert len(rig.vm.pending_change().families) == 2


def test_no_bbr2_warning_on_older_builds_or_other_providers(rig_factory: Callable[..., Rig], run: Run) -> None:
    rig = rig_factory(SimProfile(elevated=True, build=19045, congestion_provider="bbr2"))
    run(rig.helpdesk.facts.check_interactions())
    assert not rig.helpdesk.facts.warnings
    rig.state.set_profile(SimProfile(elevated=True, build=26100, congestion_provider="cubic"))
    run(rig.helpdesk.facts.load_info())
    run(rig.helpdesk.facts.check_interactions())
    assert not rig.helpdesk.facts.warnings


def test_report_has_both_families_pending_and_history(
    rig_factory: Callable[..., Rig], run: Run, wait: SignalWaiter
) -> None:
    rig = rig_factory()
    rig.vm.set_workers(Family.IPV4, 6)
    run(rig.vm.apply())
    wait(rig.vm.trialEnded, lambda: rig.window.keep_dialog.keep_button.click())
    rig.vm.set_mode(Family.IPV6, ExecutionMode.INLINE)
    text = run(rig.helpdesk.facts.report())
    assert "(SIMULATED MACHINE)" in text and "Windows 11 23H2" in text and "build 22631" in text
    assert "IPv4 now (active):" in text and "adaptive, 6 workers, large MTU on" in text
    assert "IPv6 execution mode: adaptive \u2192 inline" in text
    assert "kept" in text and "IPv4 worker count: 4 \u2192 6" in text
    markdown = run(rig.helpdesk.facts.report(markdown=True))
    assert "| Display language | en-US |" in markdown


def test_copy_report_puts_it_on_the_clipboard(rig_factory: Callable[..., Rig], wait: SignalWaiter) -> None:
    rig = rig_factory()
    QGuiApplication.clipboard().clear()
    (action,) = [a for a in rig.window.findChildren(QAction) if a.text() == "Copy report as &Markdown"]
    action.trigger()  # Tools > Copy report as Markdown
    wait.until(lambda: "Loopback Tuner" in QGuiApplication.clipboard().text())
    assert QGuiApplication.clipboard().text().startswith("### Loopback Tuner")  # Markdown, not plain text
    assert rig.window.last_message is not None and "copied" in rig.window.last_message.text


def test_export_and_import_profiles(rig_factory: Callable[..., Rig], run: Run, tmp_path: Path) -> None:
    rig = rig_factory()
    target = tmp_path / "profile.json"
    assert run(rig.helpdesk.profiles.export_profile(target, pending=False))
    assert json.loads(target.read_text())["ipv4"] == INITIAL.to_json()
    data = json.loads(target.read_text())
    data["ipv6"]["execution_mode"] = "worker"
    target.write_text(json.dumps(data))
    assert run(rig.helpdesk.profiles.import_profile(target))
    assert rig.vm.pending_summary() == ["IPv6 execution mode: adaptive \u2192 worker"]
    assert rig.state.load().active[Family.IPV6] == INITIAL  # imported as pending only


def test_a_bad_profile_file_changes_nothing_and_says_why(
    rig_factory: Callable[..., Rig], run: Run, tmp_path: Path
) -> None:
    rig = rig_factory()
    messages = messages_of(rig)
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "format": "loopback-tuner-profile",
                "version": 1,
                "ipv4": {"execution_mode": "inline", "worker_count": 99, "large_mtu": True},
            }
        )
    )
    assert not run(rig.helpdesk.profiles.import_profile(bad))
    assert messages[-1].level is Level.ERROR and "1 to 16, got 99" in messages[-1].text
    assert not rig.vm.has_pending
    assert not run(rig.helpdesk.profiles.import_profile(tmp_path / "missing.json"))
    assert "could not be read" in messages[-1].text


def test_restore_windows_defaults_and_unknown_builds(rig_factory: Callable[..., Rig], run: Run) -> None:
    rig = rig_factory()
    rig.vm.set_pending(Family.IPV4, LoopbackSettings(ExecutionMode.WORKER, 2, False))
    rig.vm.discard()
    entry = rig.helpdesk.presets.windows_defaults()
    assert entry is not None and "simulated machine" in entry.source
    dialog = RestoreDialog(rig.vm.originals, entry, 22631, "", rig.window)
    assert dialog.defaults.isEnabled() and dialog.original.isChecked()
    dialog.defaults.setChecked(True)
    assert dialog.source is RestoreSource.WINDOWS_DEFAULTS
    # A build the table does not know: only the original values are offered.
    unknown = RestoreDialog(rig.vm.originals, None, 17134, "", rig.window)
    assert not unknown.defaults.isEnabled() and unknown.source is RestoreSource.ORIGINAL


EMPTY_TABLE = '{"format": "loopback-tuner-defaults", "version": 1, "entries": []}'


def test_a_table_without_this_build_offers_only_the_originals(
    rig_factory: Callable[..., Rig], run: Run, tmp_path: Path
) -> None:
    rig = rig_factory(defaults_source=lambda: EMPTY_TABLE)
    messages = messages_of(rig)
    assert rig.helpdesk.presets.windows_defaults() is None and rig.helpdesk.presets.defaults_problem == ""
    assert not rig.helpdesk.presets.restore_windows_defaults((Family.IPV4,))
    assert messages[-1] == Message(
        Level.WARNING,
        "The Windows defaults for this build are not known; use the original values of this machine instead.",
    )
    assert not rig.vm.has_pending


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        (None, "The Windows defaults table is missing from this installation."),
        ("{not json", "The Windows defaults table is damaged: the defaults table is not valid JSON"),
    ],
    ids=["missing", "damaged"],
)
def test_a_missing_or_damaged_table_is_said_in_the_restore_dialog(
    rig_factory: Callable[..., Rig], table: str | None, problem: str
) -> None:
    from PySide6.QtWidgets import QLabel

    rig = rig_factory(defaults_source=lambda: table)
    assert rig.helpdesk.presets.defaults_problem.startswith(problem) and rig.helpdesk.presets.windows_defaults() is None
    dialog = RestoreDialog(
        rig.vm.originals,
        rig.helpdesk.presets.windows_defaults(),
        22631,
        rig.helpdesk.presets.defaults_problem,
        rig.window,
    )
    assert not dialog.defaults.isEnabled() and dialog.source is RestoreSource.ORIGINAL
    assert any(label.text().startswith(problem) for label in dialog.findChildren(QLabel))


def test_history_view_can_revert_a_kept_change(rig_factory: Callable[..., Rig], run: Run, wait: SignalWaiter) -> None:
    rig = rig_factory()
    rig.vm.set_mode(Family.IPV4, ExecutionMode.WORKER)
    run(rig.vm.apply())
    wait(rig.vm.trialEnded, lambda: rig.window.keep_dialog.keep_button.click())
    entries, notices = run(rig.helpdesk.history.entries())
    dialog = HistoryDialog(entries, notices, rig.window)
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 1).text() == "kept"
    dialog.table.selectRow(0)
    assert dialog.revert_button.isEnabled()
    assert rig.helpdesk.history.revert_entry(entries[0])
    assert rig.vm.pending_summary() == ["IPv4 execution mode: worker \u2192 adaptive"]


def test_undo_commands_are_the_inverse(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory()
    rig.vm.set_large_mtu(Family.IPV6, False)
    assert rig.vm.pending_commands() == ["netsh interface ipv6 set global loopbacklargemtu=disable store=persistent"]
    assert rig.vm.undo_commands() == ["netsh interface ipv6 set global loopbacklargemtu=enable store=persistent"]


def test_netsh_runs_reach_the_support_log(rig_factory: Callable[..., Rig], run: Run, tmp_path: Path) -> None:
    from app.support_log import LOG_FILE, configure_logging

    assert configure_logging(tmp_path / "logs") is None
    rig = rig_factory()
    run(rig.vm.refresh())
    log = (tmp_path / "logs" / LOG_FILE).read_text(encoding="utf-8")
    assert "netsh interface ipv4 show global store=active -> exit 0" in log
    assert "Loopback Execution Mode" in log


def test_import_and_presets_wait_while_something_runs(
    rig_factory: Callable[..., Rig], run: Run, tmp_path: Path
) -> None:
    rig = rig_factory(SimProfile(elevated=True, latency_ms=400))  # every simulated netsh call takes 400 ms
    good = tmp_path / "good.json"
    good.write_text(dump_profile({Family.IPV4: LoopbackSettings(ExecutionMode.WORKER, 2, False)}))
    messages = messages_of(rig)

    async def while_reading() -> tuple[bool, list[Message], bool, list[Message]]:
        reading = asyncio.ensure_future(rig.vm.refresh())  # real work: a slow read
        while not rig.vm.busy:
            await asyncio.sleep(0)  # the read's first step marks the window busy
        imported, after_import = await rig.helpdesk.profiles.import_profile(good), list(messages)
        filled, after_preset = rig.helpdesk.presets.apply_preset(PresetId.LATENCY), list(messages)
        assert rig.vm.busy  # both were asked while the read still ran
        await reading
        return imported, after_import, filled, after_preset

    imported, after_import, filled, after_preset = run(while_reading())
    wait_text = Message(Level.INFO, "Please wait: Reading the current values\u2026")
    assert not imported and after_import[-1] == wait_text
    assert not filled and after_preset[-1] == wait_text
    assert not rig.vm.busy and not rig.vm.has_pending  # nothing was filled in behind the user's back
    assert run(rig.helpdesk.profiles.import_profile(good))  # and once the read is over, the same file goes in
    assert rig.vm.pending_change().families[0].after == LoopbackSettings(ExecutionMode.WORKER, 2, False)


def test_restore_dialog_shows_the_machine_wide_originals_and_says_so(rig_factory: Callable[..., Rig], run: Run) -> None:
    from PySide6.QtWidgets import QLabel

    from app.storage.machine import machine_records
    from app.storage.originals import OriginalsSource

    rig = rig_factory()
    assert rig.vm.originals[Family.IPV4].source is OriginalsSource.USER  # no change was ever made here
    dialog = RestoreDialog(rig.vm.originals, None, 22631, "", rig.window)
    assert any("recorded by this user on" in label.text() for label in dialog.findChildren(QLabel))
    earlier = LoopbackSettings(ExecutionMode.WORKER, 2, False)
    records = machine_records("simulated", rig.state.path)  # what the helper wrote before the first change
    assert records is not None
    records.record_originals({Family.IPV4: earlier})
    run(rig.vm.refresh())
    original = rig.vm.originals[Family.IPV4]
    assert (original.settings, original.source) == (earlier, OriginalsSource.MACHINE)
    assert rig.vm.originals[Family.IPV6].source is OriginalsSource.USER
    dialog = RestoreDialog(rig.vm.originals, None, 22631, "", rig.window)
    texts = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert "IPv4: " + earlier.describe() + " (recorded for this machine on " in texts
    assert "recorded by this user on" in texts


def test_a_family_that_cannot_be_read_is_left_out_of_presets_and_restore_with_what_to_do(
    rig_factory: Callable[..., Rig],
) -> None:
    """Issue 13: presets and Restore work for the readable family only, and say what the user can do next."""
    from app.simulator.profile import Fault

    rig = rig_factory(SimProfile(elevated=True, faults=frozenset({Fault.IPV6_UNREADABLE})))
    bar = rig.window.preset_bar
    assert all(b.isEnabled() for b in bar.buttons.values())
    assert bar.note.text() == "for IPv4 only: IPv6 cannot be read (see its tab)"
    assert rig.window.panels[Family.IPV6].save_diagnostics.isVisibleTo(rig.window.panels[Family.IPV6])
    bar.buttons[PresetId.LATENCY].click()
    assert {fc.family for fc in rig.vm.pending_change().families} == {Family.IPV4}
    rig.vm.discard()
    dialog = RestoreDialog(rig.vm.originals, None, 22631, "", rig.window, readable=(Family.IPV4,))
    assert [b.isEnabled() for b in dialog.choices.values()] == [False, True, False]
    assert dialog.families == (Family.IPV4,)
    from PySide6.QtWidgets import QLabel

    assert any("IPv6 cannot be read" in label.text() for label in dialog.findChildren(QLabel))
    dialog.deleteLater()


def test_where_bbr2_stalls_loopback_the_mtu_hint_and_the_pending_list_explain_both(
    rig_factory: Callable[..., Rig], run: Run
) -> None:
    """Issue 13: the large-MTU hint does not just say 'Microsoft recommends keeping this on' next to a banner that
    says to turn it off; a preset leaves large MTU as it is there, and the pending list says why."""
    from app.domain.presets import LargeMtuChoice
    from app.ui.texts import MTU_TEXT, MTU_TEXT_KNOWN_PROBLEM

    rig = rig_factory(SimProfile(elevated=True, build=26100, congestion_provider="bbr2"))
    panel = rig.window.panels[Family.IPV4]
    assert panel.mtu_hint.text() == MTU_TEXT
    run(rig.helpdesk.facts.check_interactions())
    assert panel.mtu_hint.text() == MTU_TEXT_KNOWN_PROBLEM
    rig.window.preset_bar.buttons[PresetId.LATENCY].click()
    assert all(fc.after.large_mtu == fc.before.large_mtu for fc in rig.vm.pending_change().families)
    assert LargeMtuChoice.LEFT_AS_IS.text in rig.window.pending_label.text()
    rig.vm.discard()
    assert LargeMtuChoice.LEFT_AS_IS.text not in rig.window.pending_label.text()
