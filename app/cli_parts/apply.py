"""The command line's apply flow, shared by set, restore and import: trial or direct, one prompt, verify."""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from typing import TextIO

from app.cli_parts.common import EXIT_FOR, EXIT_OK, ask_confirm, ask_keep, print_change
from app.domain.commands import commands_for, display
from app.domain.errors import LoopbackTunerError
from app.domain.model import Change, Store
from app.domain.outcomes import Mismatch, Outcome
from app.usecases.endings import Ending, apply_failed_ending, error_ending, result_ending
from app.usecases.formatting import outcome_text
from app.usecases.trials import ApplyFailedError, TransactionResult, Trial
from app.wiring import Services


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


def _verify_within(trial: Trial, timeout_s: float) -> tuple[Mismatch, ...]:
    """Check what took effect, but never at the cost of the user's time to answer: a read slower than
    ``timeout_s`` is left to finish on its own (a daemon thread) and nothing is reported."""
    found: list[tuple[Mismatch, ...]] = []

    def verify() -> None:
        try:
            found.append(trial.verify()[1])
        except LoopbackTunerError:
            found.append(())

    reader = threading.Thread(target=verify, name="verify", daemon=True)
    reader.start()
    reader.join(timeout_s)
    return found[0] if found else ()


def apply_change(
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
    if options.confirm and not ask_confirm("Apply these changes?", stdin, out):
        print("Nothing was changed.", file=out)
        return EXIT_OK
    try:
        if options.trial:
            trial = services.transactions.begin(change, seconds=options.trial, store=options.store)
            started = time.monotonic()  # the helper's deadline runs from here
            print(f"Applied for a trial of {options.trial} s (active store).", file=out)
            why = ""
            if options.yes:
                keep = True
            else:
                for m in _verify_within(trial, min(2.0, options.trial / 3)):
                    print(f"  warning: {m.describe()}", file=out)
                left = max(1, round(options.trial - (time.monotonic() - started)))
                keep, why = ask_keep(left, stdin, out, beat=trial.beat)
            result = trial.keep() if keep else trial.revert(why)
        else:
            result = services.transactions.apply(change, store=options.store)
    except ApplyFailedError as exc:
        _print_runs(exc.result, out, verbose)
        print(f"loopback-tuner-cli: error: the change could not be applied: {exc}", file=sys.stderr)
        return EXIT_FOR[apply_failed_ending(exc.result)]
    except LoopbackTunerError as exc:
        ending = error_ending(exc)
        if ending is None:  # not one of the transaction's own: the caller's handler reports it
            raise
        print(f"loopback-tuner-cli: error: {exc}", file=sys.stderr)
        return EXIT_FOR[ending]
    return _report(result, options.store, out, verbose)


def _report(result: TransactionResult, store: Store, out: TextIO, verbose: bool) -> int:
    _print_runs(result, out, verbose)
    for notice in result.notices:
        print(f"note: {notice.text}", file=out)
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
