"""The machine's facts, the known problems they reveal, and the report for a ticket (the window's side)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.domain.machine_facts import CongestionReading, MachineFactsSource, MachineInfo
from app.domain.model import Change, MachineState
from app.storage.history import History
from app.usecases.known_problems import KnownProblem, known_problems
from app.viewmodels.editing import PendingEditor
from app.viewmodels.tasks import in_thread


class MachineFactsViewModel(QObject):
    """Facts are read off the GUI thread (PowerShell is slow on Windows); warnings follow the values shown."""

    warningsChanged = Signal()
    infoChanged = Signal()

    def __init__(
        self, editor: PendingEditor, source: MachineFactsSource, history: History, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.editor, self.source, self.history = editor, source, history
        self._info: MachineInfo | None = None
        self._congestion: CongestionReading | None = None
        self._warnings: tuple[KnownProblem, ...] = ()

    @property
    def info(self) -> MachineInfo | None:
        return self._info

    @property
    def congestion(self) -> CongestionReading | None:
        return self._congestion

    @property
    def warnings(self) -> list[KnownProblem]:
        return list(self._warnings)

    async def load_info(self) -> None:
        self.take_info(await in_thread(self.source.info))

    def take_info(self, info: MachineInfo) -> None:
        """The machine's facts, read off the GUI thread (``source.info()``)."""
        self._info = info
        self.infoChanged.emit()

    async def check_interactions(self) -> None:
        """Read the TCP congestion provider (in the background) and check the known problems again."""
        self._congestion = await in_thread(self.source.congestion)
        self.refresh_warnings()

    def refresh_warnings(self) -> None:
        state = self.editor.state
        active = state.settings() if state else {}
        pending = {f: v.pending for f in active if (v := self.editor.family_view(f)).pending is not None}
        providers = self._congestion.providers if self._congestion else {}
        found = known_problems(self._info, providers, active, pending)
        if found != self._warnings:
            self._warnings = found
            self.warningsChanged.emit()

    def apply_fix(self, warning: KnownProblem) -> None:
        for family, settings in warning.fix.items():
            self.editor.set_pending(family, settings)

    async def report(self, *, markdown: bool = False) -> str:
        if self._info is None:
            await self.load_info()
        assert self._info is not None
        state = self.editor.state
        entries, _ = await in_thread(self.history.load)
        from app.usecases.report import ReportInput, build_report  # the first report imports it

        return build_report(
            ReportInput(
                self._info,
                state or MachineState(),
                self.editor.pending_change() if state else Change(),
                entries,
                [w.text for w in self._warnings],
            ),
            markdown=markdown,
        )
