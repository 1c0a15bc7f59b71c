"""The command line's apply flow, shared by set, restore and import: trial or direct, one prompt, verify."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO

from app.cli_parts.common import (
    EXIT_BUSY,
    EXIT_ELEVATION,
    EXIT_NETSH,
    EXIT_OK,
    EXIT_REVERTED,
    ask_confirm,
    ask_keep,
    print_change,
)
from app.domain.commands import commands_for, display
from app.domain.model import Change, Store
from app.elevation.launchers import ElevationCancelledError, HelperStartError
from app.elevation.protocol import Outcome
from app.services.formatting import outcome_text
from app.services.transactions import ApplyFailedError, HelperError, TransactionBusyError, TransactionResult
from app.wiring import Services

ELEVATION_HINT = "requires elevation"  # English only: a hint for the exit code, never relied on


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
            print(f"Applied for a trial of {options.trial} s (active store).", file=out)
            for m in trial.mismatches:
                print(f"  warning: {m.describe()}", file=out)
            keep = True if options.yes else await ask_keep(options.trial, stdin, out)
            result = await (trial.keep() if keep else trial.revert())
        else:
            result = await services.transactions.apply(change, store=options.store)
    except ElevationCancelledError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ELEVATION
    except TransactionBusyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except (HelperStartError, HelperError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ELEVATION if isinstance(exc, HelperStartError) else EXIT_NETSH
    except ApplyFailedError as exc:
        _print_runs(exc.result, out, verbose)
        print(f"error: the change could not be applied: {exc}", file=sys.stderr)
        output = " ".join(r.output for r in exc.result.results)
        return EXIT_ELEVATION if ELEVATION_HINT in output else EXIT_NETSH
    return _report(result, options.store, out, verbose)


def _report(result: TransactionResult, store: Store, out: TextIO, verbose: bool) -> int:
    _print_runs(result, out, verbose)
    for notice in result.notices:
        print(f"note: {notice}", file=out)
    if result.outcome not in (Outcome.KEPT, Outcome.REVERTED):
        print(f"error: {outcome_text(result)}", file=sys.stderr)
        return EXIT_NETSH
    for m in result.mismatches:
        print(f"warning: {m.describe()}", file=out)
    if result.outcome is Outcome.KEPT:
        where = "saved (persistent)" if store is Store.PERSISTENT else "active until reboot"
        print(f"Kept: {where}." if not result.mismatches else "Kept, but not every value stuck.", file=out)
    elif result.outcome is Outcome.REVERTED:
        print(f"Reverted ({result.reason}): the previous values are back.", file=out)
    if result.mismatches:
        return EXIT_NETSH
    return EXIT_REVERTED if result.outcome is Outcome.REVERTED else EXIT_OK
