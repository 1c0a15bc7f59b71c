"""The command line's one way to change settings (set, restore, import, history revert, save): print the change
and its netsh lines, apply it as a trial, verify, then keep on "y" or --yes; anything else reverts (exit 7).

The command is the request and the trial is the confirmation, as in the window: there is no separate "Apply?"
question. With --json the text goes to standard error and standard output holds one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import dataclass
from typing import TextIO

from app.cli_parts.common import EXIT_FOR, EXIT_OK, UsageError, ask_keep, print_change
from app.domain.commands import commands_for, display
from app.domain.errors import LoopbackTunerError
from app.domain.model import Change, Store
from app.domain.outcomes import Mismatch, Outcome
from app.usecases.endings import RECONNECT_NOTE, Ending, apply_failed_ending, error_ending, result_ending
from app.usecases.formatting import outcome_text
from app.usecases.trials import DEFAULT_TRIAL_S, ApplyFailedError, TransactionResult, Trial
from app.wiring import Services

JSON_FORMAT = "loopback-tuner-change"  # the --json result's "format"; its "version" changes only with its shape
JSON_VERSION = 1
NOT_VERIFIED = "the values could not be read back to check them"
BEAT_SLICE_S = 1.0  # while it waits for the check, the command line beats this often (the helper allows 5 s)


@dataclass(frozen=True)
class ApplyOptions:
    store: Store = Store.PERSISTENT
    trial: int | None = None  # --trial seconds; None: the window's countdown length, answered from a terminal only
    yes: bool = False  # keep as soon as the values are verified, without asking
    dry_run: bool = False
    json: bool = False
    save: bool = False  # `save`: write once, no trial and no question (it changes no behavior now)

    @property
    def seconds(self) -> int:
        return self.trial or DEFAULT_TRIAL_S


def options_from(args: argparse.Namespace) -> ApplyOptions:
    """The apply options of a changing command's parsed arguments (every one takes the same)."""
    return ApplyOptions(
        store=Store(getattr(args, "store", "persistent")),
        trial=getattr(args, "trial", None),
        yes=getattr(args, "yes", False),
        dry_run=getattr(args, "dry_run", False),
        json=getattr(args, "json", False),
        save=args.command == "save",
    )


def require_answerable(options: ApplyOptions, stdin: TextIO, *, command: str) -> None:
    """Refuse, before anything is read or run, a change nobody could confirm: standard input is no terminal and
    neither --yes nor --trial N (answer from the pipe) nor --dry-run was given. Raises UsageError (exit 2)."""
    if options.yes or options.dry_run or (options.trial is not None and not options.save):
        return
    if not _isatty(stdin):
        hint = "" if options.save else " (or --trial N to answer from standard input, --dry-run to only show it)"
        raise UsageError(f"standard input is not a terminal: add --yes to {command} without asking{hint}")


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (OSError, ValueError):  # a closed stream
        return False


def verify_within(trial: Trial, timeout_s: float) -> tuple[Mismatch, ...] | None:
    """Check what took effect within ``timeout_s`` (the user's time to answer is not spent waiting for a slow
    read: it is then left to finish on its own, a daemon thread). None: it could not be checked in time."""
    found: list[tuple[Mismatch, ...] | None] = []

    def verify() -> None:
        try:
            found.append(trial.verify()[1])
        except LoopbackTunerError:
            found.append(None)

    reader = threading.Thread(target=verify, name="verify", daemon=True)
    reader.start()
    left = timeout_s
    while left > 0:  # the wait is this loop's: it beats, so a slow read never lets the helper revert (BEAT_WINDOW_S)
        reader.join(min(BEAT_SLICE_S, left))
        left -= BEAT_SLICE_S
        if not reader.is_alive():
            break
        trial.beat()
    return found[0] if found else None


class ChangeRun:
    """One changing command's run: what it prints where, and its one JSON result."""

    def __init__(self, services: Services, options: ApplyOptions, out: TextIO, stdin: TextIO, verbose: bool) -> None:
        self.services, self.options, self.stdin, self.verbose = services, options, stdin, verbose
        self.out = out
        self.say = sys.stderr if options.json else out  # people's text; stdout holds only the JSON then

    def run(self, change: Change, command: str) -> int:
        options = self.options
        lines = [display(argv) for argv in commands_for(change, options.store)]
        if change.is_empty:
            if command == "import":  # a remediation's second run (issue 17): both stores were compared
                where = "active and saved" if options.store is Store.PERSISTENT else "active"
                print(f"Already compliant: the machine has the profile's values ({where}).", file=self.say)
            else:
                print("Nothing to change: the machine already has these values.", file=self.say)
            return self._finish(command, change, lines, "unchanged", EXIT_OK)
        print_change(change, self.say)
        for line in lines:  # as they would be pasted into an administrator prompt
            print(line, file=self.say)
        if options.dry_run:
            return self._finish(command, change, lines, "dry-run", EXIT_OK)
        try:
            if options.save:
                result = self.services.transactions.apply(change, store=options.store)
                return self._report(command, change, lines, result)
            return self._trial(command, change, lines)
        except ApplyFailedError as exc:
            self._print_runs(exc.result)
            print(f"loopback-tuner-cli: error: the change could not be applied: {exc}", file=sys.stderr)
            ending = apply_failed_ending(exc.result)
            return self._finish(command, change, lines, ending.value, EXIT_FOR[ending], reason=str(exc))
        except LoopbackTunerError as exc:
            found = error_ending(exc)
            if found is None:  # not one of the transaction's own: the caller's handler reports it
                raise
            print(f"loopback-tuner-cli: error: {exc}", file=sys.stderr)
            return self._finish(command, change, lines, found.value, EXIT_FOR[found], reason=str(exc))

    def _trial(self, command: str, change: Change, lines: list[str]) -> int:
        options = self.options
        seconds = options.seconds
        trial = self.services.transactions.begin(change, seconds=seconds, store=options.store)
        started = time.monotonic()  # the helper's deadline runs from here
        print(f"Applied for a trial of {seconds} s (active store).", file=self.say)
        if options.yes:  # keep only what is verified: a value that did not stick is reverted (exit 3)
            found = verify_within(trial, max(1.0, seconds / 2))
            if found is None or found:
                for m in found or ():
                    print(f"  warning: {m.describe()}", file=self.say)
                why = NOT_VERIFIED if found is None else "a value did not take effect"
                result = trial.revert(why)
                return self._report(command, change, lines, result, why=why, did_not_stick=True)
            return self._report(command, change, lines, trial.keep())
        for m in verify_within(trial, min(2.0, seconds / 3)) or ():
            print(f"  warning: {m.describe()}", file=self.say)
        left = max(1, round(seconds - (time.monotonic() - started)))
        keep, why = ask_keep(left, self.stdin, self.say, beat=trial.beat)
        result = trial.keep() if keep else trial.revert(why)
        return self._report(command, change, lines, result, why=why)

    def _print_runs(self, result: TransactionResult) -> None:
        if self.verbose:
            for run in result.results:
                print(f"  ran: {run.command_line} -> exit {run.exit_code}", file=self.say)

    def _report(
        self,
        command: str,
        change: Change,
        lines: list[str],
        result: TransactionResult,
        *,
        why: str = "",
        did_not_stick: bool = False,
    ) -> int:
        """Print how it ended. ``why``: what the user (or --yes) did when it was reverted; ``did_not_stick``: --yes
        reverted because a value did not take effect (exit 3, not 7)."""
        self._print_runs(result)
        for notice in result.notices:
            print(f"note: {notice.text}", file=self.say)
        ending = result_ending(result)
        if did_not_stick and ending is Ending.REVERTED:
            ending = Ending.DID_NOT_STICK
        if result.outcome not in (Outcome.KEPT, Outcome.REVERTED):
            print(f"loopback-tuner-cli: error: {outcome_text(result)}", file=sys.stderr)
            if ending is Ending.REVERT_FAILED:
                still = "the trial's values are still in place: check them, or restore the original values."
                print(f"loopback-tuner-cli: error: {still}", file=sys.stderr)
        else:
            for m in result.mismatches:
                print(f"warning: {m.describe()}", file=self.say)
            if result.outcome is Outcome.KEPT:
                where = "saved (persistent)" if self.options.store is Store.PERSISTENT else "active until reboot"
                print(f"Kept: {where}." if not result.mismatches else "Kept, but not every value stuck.", file=self.say)
                if not self.options.save:
                    print(f"note: {RECONNECT_NOTE}", file=self.say)
            elif result.mismatches:  # the re-read after the revert shows other values
                back = "not every value went back: check them, or restore the original values."
                print(f"Reverted ({why or result.reason}), but {back}", file=self.say)
            elif ending is Ending.DID_NOT_STICK:
                print(f"Reverted ({why}): the previous values are back; nothing was kept.", file=self.say)
            else:
                print(f"Reverted ({result.reason}): the previous values are back.", file=self.say)
        return self._finish(command, change, lines, ending.value, EXIT_FOR[ending], result=result)

    def _finish(
        self,
        command: str,
        change: Change,
        lines: list[str],
        ending: str,
        code: int,
        *,
        result: TransactionResult | None = None,
        reason: str = "",
    ) -> int:
        if self.options.json:
            state = result.state if result is not None else None
            document = {
                "format": JSON_FORMAT,
                "version": JSON_VERSION,
                "command": command,
                "store": self.options.store.value,
                "change": change.to_json(),
                "commands": lines,
                "ending": ending,
                "kept": result is not None and result.outcome is Outcome.KEPT,
                "reason": result.reason if result is not None else reason,
                "verified": state.to_json(self.options.store) if state is not None else None,
                "mismatches": [m.describe() for m in result.mismatches] if result is not None else [],
                "exit_code": code,
            }
            print(json.dumps(document), file=self.out)
        return code


def apply_change(
    services: Services,
    change: Change,
    options: ApplyOptions,
    out: TextIO,
    stdin: TextIO,
    *,
    command: str = "set",
    verbose: bool = False,
) -> int:
    """Print the change, then run it as the options say; returns the exit code."""
    return ChangeRun(services, options, out, stdin, verbose).run(change, command)
