"""How a read or a change ended, decided once for both faces: the command line maps an ending to its exit code,
the window to a message's level. Chosen from typed values only (outcomes, exceptions' types), never from text."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING

from app.domain.model import Family, MachineState, ReadProblem
from app.domain.netsh_failure import SetFailure
from app.domain.outcomes import Outcome

if TYPE_CHECKING:  # the trial machinery is imported only by a change: `show` never pays for it
    from app.usecases.trial_results import TransactionResult


# Said after a change is kept, by both faces (Microsoft's text does not say whether open connections follow a
# change at once: UNCONFIRMED, hence "may").
RECONNECT_NOTE = (
    "programs already connected over localhost may keep the old behavior until they reconnect; "
    "restart the program you are tuning to be sure it uses the new values."
)


class Ending(enum.StrEnum):
    """Every way a read or a change can end."""

    OK = "ok"  # a read that worked, or a change that was kept and re-read as kept
    REVERTED = "reverted"  # the trial ended without keeping (any reason: asked, deadline, channel, helper error)
    DID_NOT_STICK = "did-not-stick"  # kept or reverted, but a fresh read shows other values
    FAILED = "failed"  # the change could not be applied; what was touched was put back
    KEEP_FAILED = "keep-failed"  # in effect, but saving it failed: it lasts until reboot
    REVERT_FAILED = "revert-failed"  # putting the previous values back failed: the trial's values are still in place
    HELPER_FAILED = "helper-failed"  # the helper crashed, broke the protocol, or its channel failed
    CANCELLED = "cancelled"  # the UAC prompt was cancelled
    NEEDS_ELEVATION = "needs-elevation"  # no administrator rights (netsh said so, or an admin terminal is needed)
    HELPER_START_FAILED = "helper-start-failed"  # Windows could not start the (elevated) helper
    BUSY = "busy"  # another change is being tried
    UNSUPPORTED = "unsupported"  # the build predates the loopback settings
    UNRECOGNIZED = "unrecognized"  # netsh's output could not be mapped with certainty
    NETSH_FAILED = "netsh-failed"  # netsh exited non-zero or timed out
    NETSH_MISSING = "netsh-missing"  # netsh could not be started

    @property
    def succeeded(self) -> bool:
        """The request ended as asked for: kept, or reverted with the previous values checked back."""
        return self in (Ending.OK, Ending.REVERTED)


_OUTCOME_ENDING = {
    Outcome.KEPT: Ending.OK,
    Outcome.REVERTED: Ending.REVERTED,
    Outcome.FAILED: Ending.FAILED,
    Outcome.KEEP_FAILED: Ending.KEEP_FAILED,
    Outcome.REVERT_FAILED: Ending.REVERT_FAILED,
}
_READ_ENDING = {
    ReadProblem.UNSUPPORTED: Ending.UNSUPPORTED,
    ReadProblem.UNRECOGNIZED: Ending.UNRECOGNIZED,
    ReadProblem.NETSH_FAILED: Ending.NETSH_FAILED,
    ReadProblem.NETSH_MISSING: Ending.NETSH_MISSING,
}


def apply_failed_ending(result: TransactionResult) -> Ending:
    """A change that could not be applied: "needs elevation" only when the helper classified it so."""
    return Ending.NEEDS_ELEVATION if result.failure is SetFailure.NEEDS_ELEVATION else Ending.FAILED


def result_ending(result: TransactionResult) -> Ending:
    """How a finished transaction ended: its outcome, unless a fresh read shows values other than expected."""
    ending = _OUTCOME_ENDING[result.outcome]
    if ending in (Ending.OK, Ending.REVERTED) and result.mismatches:
        return Ending.DID_NOT_STICK
    return ending


def error_ending(exc: BaseException) -> Ending | None:
    """The ending a transaction's exception stands for (None: not one of the transaction's own)."""
    from app.elevation.launchers import AdminTerminalRequiredError, ElevationCancelledError, HelperStartError
    from app.elevation.session import HelperError, TransactionBusyError
    from app.usecases.trial_results import ApplyFailedError

    if isinstance(exc, ElevationCancelledError):
        return Ending.CANCELLED
    if isinstance(exc, TransactionBusyError):
        return Ending.BUSY
    if isinstance(exc, AdminTerminalRequiredError):
        return Ending.NEEDS_ELEVATION
    if isinstance(exc, HelperStartError):
        return Ending.HELPER_START_FAILED
    if isinstance(exc, HelperError):
        return Ending.HELPER_FAILED
    if isinstance(exc, ApplyFailedError):
        return apply_failed_ending(exc.result)
    return None


def read_endings(state: MachineState, families: Iterable[Family] | None = None) -> list[Ending]:
    """How reading each of ``families`` (default: all) ended."""
    chosen = list(state.families) if families is None else list(families)
    return [Ending.OK if (failure := state[f].failure) is None else _READ_ENDING[failure.problem] for f in chosen]


def problem_ending(problem: ReadProblem) -> Ending:
    """How a read that failed with ``problem`` ended (any store: a compliance check reads the saved one too)."""
    return _READ_ENDING[problem]
