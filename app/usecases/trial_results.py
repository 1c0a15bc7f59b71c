"""How a trial or an apply ended, as both faces see it: the light half of app/usecases/trials.py.

The view-models and the formatting import these at start-up; the machinery that runs a trial (the helper, its
channel and protocol, app/usecases/trials.py) is imported only when the first change begins (make bench, issue 16).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.errors import LoopbackTunerError
from app.domain.model import Change, MachineState
from app.domain.netsh_failure import SetFailure
from app.domain.notices import Notice
from app.domain.outcomes import Mismatch, Outcome
from app.domain.runs import CommandResult

DEFAULT_TRIAL_S = 15  # the keep-or-revert countdown, the window's and the command line's alike


@dataclass(frozen=True)
class TransactionResult:
    """How a transaction ended, every netsh run it made, and what a fresh read shows now."""

    outcome: Outcome
    reason: str
    change: Change
    results: tuple[CommandResult, ...]
    state: MachineState | None
    mismatches: tuple[Mismatch, ...] = ()
    notices: tuple[Notice, ...] = ()
    failure: SetFailure | None = None  # why the change was not applied (the helper's classification)


class ApplyFailedError(LoopbackTunerError):
    """The change could not be applied (the helper restored what it had touched)."""

    def __init__(self, result: TransactionResult) -> None:
        super().__init__(result.reason)
        self.result = result
