"""The command line's apply flow, shared by set, restore and import: trial or direct, one prompt, verify."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from typing import TextIO

from app.cli_parts.common import (
    EXIT_FOR,
    EXIT_OK,
    Ending,
    ask_confirm,
    ask_keep,
    print_change,
)
from app.domain.commands import commands_for, display
from app.domain.model import Change, Store
from app.domain.netsh_failure import SetFailure
from app.domain.outcomes import Outcome
from app.elevation.launchers import AdminTerminalRequiredError, ElevationCancelledError, HelperStartError
from app.services.formatting import outcome_text
from app.services.transactions import ApplyFailedError, HelperError, TransactionBusyError, TransactionResult
from app.wiring import Services

_OUTCOME_ENDING = {
    Outcome.KEPT: Ending.OK,
    Outcome.REVERTED: Ending.REVERTED,
    Outcome.FAILED: Ending.FAILED,
    Outcome.KEEP_FAILED: Ending.KEEP_FAILED,
    Outcome.REVERT_FAILED: Ending.REVERT_FAILED,
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


@dataclass(frozen=True)
class ApplyOptions:
    store: Store = Store.PERSISTENT
    trial: int | None = None  # seconds; None applies and keeps at once
    yes: bool = False  # keep without asking
    confirm: bool = False  # ask "Apply these changes?" first (restore and import without --trial/--yes)
    dry_run: bool = False


def _print_runs(result: TransactionResult, out: TextIO, verbose: bool) -> None:
    if verbose:
        for run in result.results:
            print(f"  ran: {run.command_line} -> exit {run.exit_code}", file=out)


async def apply_change(
    services: Services, change: Change, options: ApplyOptions, out: TextIO, stdin: TextIO, *, verbose: bool = False
) -> int:
    """Print the change, then run it as the options say; returns the exit code."""
    if change.is_empty:
        print("Nothing to change: the machine already has these values.", file=out)
        return EXIT_OK
    print_change(change, out)
    if options.dry_run:
        for argv in commands_for(change, options.store):
            print(display(argv), file=out)
        return EXIT_OK
    if options.confirm and not await ask_confirm("Apply these changes?", stdin, out):
        print("Nothing was changed.", file=out)
        return EXIT_OK
    try:
        if options.trial:
            trial = await services.transactions.begin(change, seconds=options.trial, store=options.store)
            started = time.monotonic()  # the helper's deadline runs from here
            print(f"Applied for a trial of {options.trial} s (active store).", file=out)
            why = ""
            if options.yes:
                keep = True
            else:
                try:  # check what took effect, but never at the cost of the user's time to answer
                    _, found = await asyncio.wait_for(trial.verify(), timeout=min(2.0, options.trial / 3))
                except TimeoutError:
                    found = ()
                for m in found:
                    print(f"  warning: {m.describe()}", file=out)
                left = max(1, round(options.trial - (time.monotonic() - started)))
                keep, why = await ask_keep(left, stdin, out, beat=trial.beat)
            result = await (trial.keep() if keep else trial.revert(why))
        else:
            result = await services.transactions.apply(change, store=options.store)
    except ApplyFailedError as exc:
        _print_runs(exc.result, out, verbose)
        print(f"loopback-tuner-cli: error: the change could not be applied: {exc}", file=sys.stderr)
        return EXIT_FOR[apply_failed_ending(exc.result)]
    except (ElevationCancelledError, TransactionBusyError, HelperStartError, HelperError) as exc:
        print(f"loopback-tuner-cli: error: {exc}", file=sys.stderr)
        ending = error_ending(exc)
        assert ending is not None
        return EXIT_FOR[ending]
    return _report(result, options.store, out, verbose)


def _report(result: TransactionResult, store: Store, out: TextIO, verbose: bool) -> int:
    _print_runs(result, out, verbose)
    for notice in result.notices:
        print(f"note: {notice}", file=out)
    ending = result_ending(result)
    if result.outcome not in (Outcome.KEPT, Outcome.REVERTED):
        print(f"loopback-tuner-cli: error: {outcome_text(result)}", file=sys.stderr)
        if ending is Ending.REVERT_FAILED:
            still = "the trial's values are still in place: check them, or restore the original values."
            print(f"loopback-tuner-cli: error: {still}", file=sys.stderr)
        return EXIT_FOR[ending]
    for m in result.mismatches:
        print(f"warning: {m.describe()}", file=out)
    if result.outcome is Outcome.KEPT:
        where = "saved (persistent)" if store is Store.PERSISTENT else "active until reboot"
        print(f"Kept: {where}." if not result.mismatches else "Kept, but not every value stuck.", file=out)
    elif result.outcome is Outcome.REVERTED:
        print(f"Reverted ({result.reason}): the previous values are back.", file=out)
    return EXIT_FOR[ending]
