"""One entry of the history of changes: what was asked, what happened (the storage reads and writes them)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from app.domain.model import Change, Store
from app.domain.outcomes import HistoryOutcome


@dataclass
class HistoryEntry:
    """One transaction: what was asked, what happened."""

    id: str
    started: float
    user: str
    machine: str
    backend: str
    requested: Change
    outcome: HistoryOutcome | None = None  # None while unfinished
    reason: str = ""
    finished: float | None = None
    after: dict[str, object] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    store: Store | None = None  # the trial's target store; None in records written before it was kept

    def summary(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started))
        what = "; ".join(self.requested.describe()) or "no change"
        status = self.outcome or "unfinished"
        return f"{when}  {status:<20} {what}"

    @property
    def stayed(self) -> bool:
        """The change stayed on the machine (kept, or kept in the active store until the next restart)."""
        return self.outcome in (HistoryOutcome.KEPT, HistoryOutcome.ACTIVE_UNTIL_RESTART)
