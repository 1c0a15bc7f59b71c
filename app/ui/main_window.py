"""The main window: simulated banner, IPv4/IPv6 tabs, pending summary, actions and the message channel.

Only what the first paint shows is imported and built here; each dialog (and the measure view-model) is imported
and built when it is first opened (issue 16: make bench's figures 1 and 2).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QSize, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QGuiApplication,
    QKeySequence,
    QPaintEvent,
    QShortcut,
)
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import APP_NAME, __version__
from app.domain.interactions import ProblemKind
from app.domain.model import Family
from app.ui.family_panel import FamilyPanel
from app.ui.helpdesk import PresetBar, WarningBanner
from app.ui.inputs import WrappedLabel
from app.ui.sim_banner import SimulationBanner
from app.ui.slots import async_slot
from app.ui.status import StatusLabel
from app.ui.texts import CHANGED_MARK
from app.ui.theme import polish
from app.viewmodels.helpdesk import HelpDesk
from app.viewmodels.main_vm import MainViewModel, TrialView
from app.viewmodels.messages import Level, Message
from app.viewmodels.simulation_vm import SimulationViewModel

if TYPE_CHECKING:  # the dialogs are imported where they are first opened
    from app.ui.dialogs import ApplyDialog, KeepDialog
    from app.viewmodels.measure_vm import MeasureViewModel

DEFAULT_SIZE = QSize(800, 700)  # the first window, and every screenshot
_LEVEL_COLOURS = {Level.INFO: "", Level.SUCCESS: "#0f7b0f", Level.WARNING: "#9d5d00", Level.ERROR: "#c42b1c"}


def _keys(fixed: str, standard: QKeySequence.StandardKey) -> list[QKeySequence]:
    """``fixed`` on every platform, then the platform's standard keys for the same command (no duplicates)."""
    keys = [QKeySequence(fixed)]
    keys += [k for k in QKeySequence.keyBindings(standard) if k not in keys]
    return keys


class MainWindow(QMainWindow):
    def __init__(
        self,
        vm: MainViewModel,
        helpdesk: HelpDesk,
        sim_vm: SimulationViewModel | None,
        backend_label: str,
        settings: QSettings | None = None,
        log_folder: Path | None = None,
        measure: Callable[[], MeasureViewModel] | None = None,
    ) -> None:
        """``measure`` builds the Measure dialog's view-model, on its first use (None: no Measure item)."""
        super().__init__()
        self.vm, self.helpdesk, self.sim_vm, self.settings = vm, helpdesk, sim_vm, settings
        self._make_measure_vm = measure
        self._measure_vm: MeasureViewModel | None = None
        self.log_folder = log_folder
        self.setWindowTitle(APP_NAME + (" \u2014 simulated machine" if sim_vm else ""))
        self.keep_dialog: KeepDialog | None = None
        self.apply_dialog: ApplyDialog | None = None
        self.last_message: Message | None = None
        self._close_after_trial = False
        self._after_paint: Callable[[], None] | None = None

        central = QWidget()
        layout = QVBoxLayout(central)
        self.banner = SimulationBanner(sim_vm) if sim_vm else None
        if self.banner:
            layout.addWidget(self.banner)
        self.warning_banner = WarningBanner(helpdesk.facts)
        helpdesk.facts.warningsChanged.connect(self._known_problems_changed)
        layout.addWidget(self.warning_banner)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("IP families")
        self.panels = {f: FamilyPanel(vm, f) for f in Family}
        for family, panel in self.panels.items():
            self.tabs.addTab(panel, family.label)
            panel.saveRequested.connect(self._save)
        layout.addWidget(self.tabs, 1)
        self.preset_bar = PresetBar(helpdesk.presets)
        layout.addWidget(self.preset_bar)

        self.pending_box = QGroupBox("Pending changes")
        pending_layout = QVBoxLayout(self.pending_box)
        self.pending_label = WrappedLabel()  # one line per pending change, each whole
        self.pending_label.setAccessibleName("Pending changes")
        pending_layout.addWidget(self.pending_label)
        layout.addWidget(self.pending_box)

        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setToolTip("Read the current values again (F5)")
        self.restore_button = QPushButton("Re&store\u2026")
        self.restore_button.setToolTip("Put a family back to this machine's original values or Windows' defaults")
        self.discard_button = QPushButton("&Discard")
        self.discard_button.setToolTip("Forget the pending edits and show the machine's values")
        self.apply_button = QPushButton("A&pply\u2026")
        self.apply_button.setToolTip("Apply the pending edits for a trial, then keep or revert them")
        self.apply_button.setDefault(True)
        row = QHBoxLayout()
        for button in (self.refresh_button, self.restore_button):
            row.addWidget(button)
        row.addStretch(1)
        for button in (self.discard_button, self.apply_button):
            row.addWidget(button)
        layout.addLayout(row)
        self.setCentralWidget(central)

        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(120)
        self.busy_bar.setAccessibleName("Busy")
        self.message_label = StatusLabel()  # one line; when cut, Details shows it whole
        self.message_label.setAccessibleName("Messages")
        self.details_button = QPushButton("Details\u2026")
        self.details_button.setAccessibleDescription("Show the whole message and its details")
        self.statusBar().addWidget(self.message_label, 1)
        self.statusBar().addPermanentWidget(self.details_button)
        self.statusBar().addPermanentWidget(self.busy_bar)
        backend = QLabel("Simulated machine" if sim_vm else "netsh")
        backend.setToolTip(backend_label)
        backend.setAccessibleName("Backend")
        backend.setAccessibleDescription(backend_label)
        self.statusBar().addPermanentWidget(backend)

        self._build_menus()
        self._connect()
        self.show_view()
        polish(self)
        if settings is not None and settings.value("geometry") is not None:
            self.restoreGeometry(settings.value("geometry"))
        else:
            self.resize(DEFAULT_SIZE)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.refresh_action = QAction("&Refresh", self)
        self.refresh_action.setShortcuts(_keys("F5", QKeySequence.StandardKey.Refresh))
        self.refresh_action.triggered.connect(self._refresh)
        file_menu.addAction(self.refresh_action)
        self.copy_action = QAction("&Copy netsh commands for the pending change", self)
        self.copy_action.triggered.connect(self._copy_commands)
        file_menu.addAction(self.copy_action)
        self.copy_undo_action = QAction("Copy netsh commands that &undo the pending change", self)
        self.copy_undo_action.triggered.connect(self._copy_undo)
        file_menu.addAction(self.copy_undo_action)
        file_menu.addSeparator()
        export_action = QAction("&Export settings to a file\u2026", self)
        export_action.triggered.connect(self._export)
        file_menu.addAction(export_action)
        import_action = QAction("&Import settings from a file\u2026", self)
        import_action.triggered.connect(self._import)
        file_menu.addAction(import_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        # Qt's standard Quit key is empty on Windows: Ctrl+Q everywhere, plus the platform's own if it has one
        quit_action.setShortcuts(_keys("Ctrl+Q", QKeySequence.StandardKey.Quit))
        quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)  # from the Keep dialog too
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        tools = self.menuBar().addMenu("&Tools")
        report_action = QAction("Copy &report for a ticket", self)
        report_action.triggered.connect(self._copy_report_text)
        tools.addAction(report_action)
        markdown_action = QAction("Copy report as &Markdown", self)
        markdown_action.triggered.connect(self._copy_report_markdown)
        tools.addAction(markdown_action)
        history_action = QAction("&History of changes\u2026", self, shortcut=QKeySequence("Ctrl+H"))
        history_action.triggered.connect(self._history)
        tools.addAction(history_action)
        if self._make_measure_vm is not None:
            measure_action = QAction("Measure &loopback\u2026", self)
            measure_action.triggered.connect(self._measure)
            tools.addAction(measure_action)
        help_menu = self.menuBar().addMenu("&Help")
        help_action = QAction("&What do these settings do?", self)
        help_action.setShortcuts(_keys("F1", QKeySequence.StandardKey.HelpContents))
        help_action.triggered.connect(self._help)
        help_menu.addAction(help_action)
        log_action = QAction("Open &log folder", self)
        log_action.triggered.connect(self._open_logs)
        help_menu.addAction(log_action)
        about = QAction(f"&About {APP_NAME}", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)
        for keys, step in (("Ctrl+Tab", 1), ("Ctrl+Shift+Tab", -1), ("Ctrl+PgDown", 1), ("Ctrl+PgUp", -1)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(self._next_tab if step > 0 else self._previous_tab)

    @property
    def measure_vm(self) -> MeasureViewModel | None:
        """The Measure dialog's view-model, built the first time it is asked for (None: no Measure item)."""
        if self._measure_vm is None and self._make_measure_vm is not None:
            self._measure_vm = self._make_measure_vm()
        return self._measure_vm

    def _next_tab(self) -> None:
        self.tabs.setCurrentIndex((self.tabs.currentIndex() + 1) % self.tabs.count())

    def _previous_tab(self) -> None:
        self.tabs.setCurrentIndex((self.tabs.currentIndex() - 1) % self.tabs.count())

    def _connect(self) -> None:
        self.vm.changed.connect(self.show_view)
        self.vm.message.connect(self.show_message)
        self.vm.trialStarted.connect(self._open_keep_dialog)
        self.vm.trialTick.connect(self._tick)
        self.vm.trialVerified.connect(self._trial_verified)
        self.vm.trialEnded.connect(self._trial_ended)
        self.refresh_button.clicked.connect(self._refresh)
        self.discard_button.clicked.connect(self.vm.discard)
        self.apply_button.clicked.connect(self._apply_clicked)
        self.restore_button.clicked.connect(self._restore)
        self.details_button.clicked.connect(self._details)
        self.message_label.elidedChanged.connect(self._update_details_button)
        if self.banner is not None:
            self.banner.reboot.clicked.connect(self._clear_message)
        if self.sim_vm is not None:
            self.sim_vm.machineChanged.connect(self._refresh)
            self.sim_vm.failed.connect(self._sim_failed)

    def _sim_failed(self, text: str) -> None:
        self.show_message(Message(Level.WARNING, text))

    # --- rendering ------------------------------------------------------------------------------------------
    def show_view(self) -> None:
        vm = self.vm
        for index, (family, panel) in enumerate(self.panels.items()):
            view = vm.family_view(family)
            panel.show_view(view)
            mark = f" {CHANGED_MARK}" if view.changed else (" \u26a0" if view.failure else "")
            self.tabs.setTabText(index, family.label + mark)
            self.tabs.setTabToolTip(
                index, "Has pending edits" if view.changed else (view.failure.message if view.failure else "")
            )
        summary = vm.pending_summary()
        note = self.helpdesk.presets.pending_note()
        self.pending_label.setText(
            "\n".join([f"\u2022 {line}" for line in summary] + ([f"({note})"] if note else []))
            if summary
            else "No pending changes: the controls show the machine's current values."
        )
        idle = not vm.busy
        self.apply_button.setEnabled(idle and vm.has_pending)
        self.discard_button.setEnabled(idle and vm.has_pending)
        self.copy_action.setEnabled(vm.has_pending)
        self.copy_undo_action.setEnabled(vm.has_pending)
        self.preset_bar.show_state(self.helpdesk.presets.readable_families(), busy=not idle or vm.state is None)
        self.refresh_button.setEnabled(idle)
        self.refresh_action.setEnabled(idle)
        self.restore_button.setEnabled(idle and vm.state is not None)
        self.busy_bar.setVisible(vm.busy)
        if self.banner:
            self.banner.setEnabled(idle)
        if vm.busy:
            self.message_label.setStyleSheet("")  # not in the colour of an earlier message
            self.message_label.show_text(vm.busy_text)
        elif self.last_message is not None:
            self._show_label(self.last_message)
        elif vm.read_at is not None:
            self.message_label.setStyleSheet("")
            self.message_label.show_text(f"Values read at {time.strftime('%H:%M:%S', time.localtime(vm.read_at))}.")
        else:  # nothing read yet, nothing to say: never the text of work that has ended
            self.message_label.setStyleSheet("")
            self.message_label.show_text("")
        self._update_details_button()

    def _show_label(self, message: Message) -> None:
        colour = _LEVEL_COLOURS[message.level]
        self.message_label.setStyleSheet(f"color: {colour};" if colour else "")
        self.message_label.show_text(message.text)

    def show_message(self, message: Message) -> None:
        self.last_message = message
        self._show_label(message)
        self._update_details_button()

    def _update_details_button(self) -> None:
        """Details is there for a message with details, and for one the status bar had to cut."""
        message = self.last_message
        readable = message is not None and (bool(message.details) or self.message_label.is_elided())
        self.details_button.setEnabled(not self.vm.busy and readable)

    def _clear_message(self) -> None:
        """A new action begins: the messages of earlier ones no longer apply."""
        self.last_message = None
        self.message_label.setStyleSheet("")
        self.message_label.show_text("")
        self._update_details_button()

    # --- intent ---------------------------------------------------------------------------------------------
    def _refresh(self) -> None:
        self._clear_message()  # at once, as the user asks: the read's own messages follow
        self._read_again()

    @async_slot()
    async def _read_again(self) -> None:
        if self.sim_vm is not None:
            await self.sim_vm.load()  # the simulated machine may have been changed from the command line
        await self.vm.refresh()

    def _copy_commands(self) -> None:
        QGuiApplication.clipboard().setText("\n".join(self.vm.pending_commands()) + "\n")
        self.show_message(Message(Level.INFO, "The netsh commands were copied; run them in an administrator prompt."))

    def _apply_clicked(self) -> None:
        self._confirm_apply()  # a slot of its own: clicked(bool) must not land in the title argument

    def _confirm_apply(self, title: str = "Apply these changes?") -> None:
        if not self.vm.has_pending or self.vm.busy:
            return
        from app.ui.dialogs import ApplyDialog

        self.apply_dialog = ApplyDialog(
            self.vm.pending_summary(), self.vm.pending_commands(), self.vm.countdown_s, self, title=title
        )
        self.apply_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.apply_dialog.accepted.connect(self._apply)
        self.apply_dialog.finished.connect(self._apply_dialog_closed)
        self.apply_dialog.open()

    def _apply_dialog_closed(self) -> None:
        self.apply_dialog = None

    @async_slot()
    async def _apply(self) -> None:
        await self.vm.apply()

    def _restore(self) -> None:
        from app.ui.restore_dialog import RestoreDialog, RestoreSource

        info = self.helpdesk.facts.info
        dialog = RestoreDialog(
            self.vm.originals,
            self.helpdesk.presets.windows_defaults(),
            info.build if info else None,
            self.helpdesk.presets.defaults_problem,
            self,
            readable=self.helpdesk.presets.readable_families(),
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def chosen() -> None:
            if dialog.source is RestoreSource.WINDOWS_DEFAULTS:
                ready = self.helpdesk.presets.restore_windows_defaults(dialog.families)
            else:
                ready = self.vm.restore_original(dialog.families)
            if ready:
                self._confirm_apply("Restore these values?")

        dialog.accepted.connect(chosen)
        dialog.open()

    def _copy_undo(self) -> None:
        QGuiApplication.clipboard().setText("\n".join(self.vm.undo_commands()) + "\n")
        self.show_message(Message(Level.INFO, "The netsh commands that undo the pending change were copied."))

    @async_slot()
    async def _copy_report_text(self) -> None:
        await self._copy_report(markdown=False)

    @async_slot()
    async def _copy_report_markdown(self) -> None:
        await self._copy_report(markdown=True)  # a slot each: sender() is gone by the time an asyncSlot runs

    async def _copy_report(self, *, markdown: bool) -> None:
        text = await self.helpdesk.facts.report(markdown=markdown)
        QGuiApplication.clipboard().setText(text)
        self.show_message(Message(Level.INFO, "The report was copied; paste it into the ticket.", text))

    @async_slot()
    async def _history(self) -> None:
        from app.ui.history_dialog import HistoryDialog

        entries, notices = await self.helpdesk.history.entries()
        dialog = HistoryDialog(entries, notices, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.revertRequested.connect(self._revert_entry)
        dialog.open()

    def _measure(self) -> None:
        from app.ui.measure_dialog import MeasureDialog

        assert self.measure_vm is not None
        dialog = MeasureDialog(self.measure_vm, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _revert_entry(self, entry: object) -> None:
        from app.domain.history import HistoryEntry

        if isinstance(entry, HistoryEntry) and self.helpdesk.history.revert_entry(entry):
            self._confirm_apply("Revert this change?")

    def _export(self) -> None:
        from app.ui.file_dialogs import choose_file_to_save

        suggested = Path.home() / "loopback-settings.json"
        choose_file_to_save(self, "Export settings", suggested, "Loopback Tuner profile (*.json)", self._export_to)

    @async_slot(str)
    async def _export_to(self, path: str) -> None:
        await self.helpdesk.profiles.export_profile(Path(path), pending=self.vm.has_pending)

    def _import(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        dialog = QFileDialog(self, "Import settings", str(Path.home()), "Loopback Tuner profile (*.json);;All (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self._import_from)
        dialog.open()

    @async_slot(str)
    async def _import_from(self, path: str) -> None:
        await self.helpdesk.profiles.import_profile(Path(path))

    def _about(self) -> None:
        from PySide6.QtWidgets import QMessageBox  # with the dialogs, on first use (its type costs ms at start-up)

        QMessageBox.about(self, APP_NAME, f"{APP_NAME} {__version__}")

    def _open_logs(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        if self.log_folder is None:
            return
        self.log_folder.mkdir(parents=True, exist_ok=True)
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_folder))):
            self.show_message(Message(Level.INFO, f"The log folder is {self.log_folder}"))

    def _open_keep_dialog(self, trial: TrialView) -> None:
        from app.ui.dialogs import KeepDialog

        dialog = KeepDialog(trial, self, self.vm.measure_now)
        dialog.keepRequested.connect(self._keep)
        dialog.revertRequested.connect(self._revert)
        self.keep_dialog = dialog
        # Modeless: a window-modal dialog would swallow the main window's title-bar X and Ctrl+Q, which must
        # revert and close; the busy view-model disables the window's controls during the trial anyway.
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        dialog.show()

    def _known_problems_changed(self) -> None:
        stalls = any(w.kind is ProblemKind.BBR2_LARGE_MTU for w in self.helpdesk.facts.warnings)
        for panel in self.panels.values():
            panel.show_known_problem(stalls)

    @async_slot(object)
    async def _save(self, family: Family) -> None:
        await self.vm.save((family,))

    @async_slot()
    async def _keep(self) -> None:
        if self.keep_dialog:
            self.keep_dialog.set_working("Keeping the new values\u2026")
        await self.vm.keep()

    @async_slot()
    async def _revert(self) -> None:
        if self.keep_dialog:
            self.keep_dialog.set_working("Restoring the previous values\u2026")
        await self.vm.revert()

    def _trial_verified(self, warnings: tuple[str, ...]) -> None:
        if self.keep_dialog is not None:
            self.keep_dialog.show_warnings(warnings)

    def _tick(self, seconds: int) -> None:
        if self.keep_dialog is not None:
            self.keep_dialog.set_seconds(seconds)

    def _trial_ended(self, _result: object) -> None:
        if self.keep_dialog is not None:
            self.keep_dialog.finish()
            self.keep_dialog.deleteLater()
            self.keep_dialog = None
        if self._close_after_trial:
            self.close()

    def _details(self) -> None:
        if self.last_message is not None:
            from app.ui.details_dialog import DetailsDialog

            box = DetailsDialog("Details", self.last_message.text, self.last_message.details, self)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()

    def _help(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        from app.ui.texts import HELP_TEXT

        box = QMessageBox(
            QMessageBox.Icon.NoIcon, "What do these settings do?", HELP_TEXT, QMessageBox.StandardButton.Close, self
        )
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def call_after_next_paint(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once, on this thread, after the window's next paint has finished (the first one, if it
        has not been shown yet): for work that must not hold up what the window is about to show (issue 16)."""
        self._after_paint = callback
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._after_paint is not None:
            callback, self._after_paint = self._after_paint, None
            QTimer.singleShot(0, callback)  # after this paint, children included, has been flushed

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.vm.in_trial:
            event.ignore()  # closing means revert, never keep: revert first (or let a keep finish), then close
            self._close_after_trial = True
            if not self.vm.deciding:
                self._revert()
            return
        if self.apply_dialog is not None and self.apply_dialog.isVisible():
            self.apply_dialog.reject()
        if self._measure_vm is not None:  # built only if Measure was opened
            self._measure_vm.cancel()  # its worker processes end with the window
        if self.settings is not None:
            self.settings.setValue("geometry", self.saveGeometry())
            self.settings.sync()
        super().closeEvent(event)
