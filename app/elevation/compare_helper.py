"""The helper process for a comparison (``--elevated-helper --compare-session ...``): the same checks as a trial's
helper (app/elevation/helper.py: arguments, channel address, key, runner, the one-session-per-machine lock, the
authenticated channel), then app/elevation/comparison.py's session instead of one trial.

Each ``--config`` is one configuration, ``family:tag=value,...`` for each family it sets, families joined by
``/`` (``ipv4:loopbackexecutionmode=inline/ipv6:loopbacklargemtu=disable``); every one is validated with the core's
strict parser before anything runs, like a trial's ``--change``.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Sequence

from app.domain.errors import ValidationError
from app.domain.model import Family, SettingsPatch, Store
from app.domain.outcomes import Outcome
from app.elevation.compare_protocol import MAX_CONFIGURATIONS
from app.elevation.comparison import ComparisonSession
from app.elevation.helper import (
    EXIT_FAILED,
    EXIT_KEPT,
    EXIT_REVERTED,
    EXIT_USAGE,
    Connect,
    HelperUsageError,
    _connect,
    _machine_records,
    _parser,
    _take_machine,
    checked_session,
    parse_changes,
)


def parse_configurations(values: Sequence[str]) -> list[list[tuple[Family, SettingsPatch]]]:
    """The ``--config`` values, each validated like a trial's change; raises ValidationError."""
    if not 2 <= len(values) <= MAX_CONFIGURATIONS:
        raise ValidationError(f"a comparison takes 2 to {MAX_CONFIGURATIONS} configurations, got {len(values)}")
    return [parse_changes(value.split("/")) for value in values]


def main(argv: Sequence[str], *, connect: Connect | None = None) -> int:
    """Run one comparison session; exit code 0 kept, 1 reverted, 2 refused arguments, 3 failed, 6 busy."""
    try:
        with contextlib.ExitStack() as held:
            return _main(argv, held, connect or _connect)
    except BaseException as exc:  # a bug must never exit 1 ("reverted"): the session has put back what it touched
        with contextlib.suppress(Exception):
            print(f"helper: failed: {exc!r}", file=sys.stderr)
        return EXIT_FAILED


def _main(argv: Sequence[str], held: contextlib.ExitStack, connect: Connect) -> int:
    if hasattr(signal, "SIGINT"):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in the app's terminal must not skip the revert
    try:
        options = _parser(comparison=True).parse_args(list(argv))
        configurations = parse_configurations(options.config)
        authkey, runner = checked_session(options)
    except (HelperUsageError, ValidationError, ValueError) as exc:
        print(f"helper: refused: {exc}", file=sys.stderr)
        return EXIT_USAGE
    refusal = _take_machine(options, held)
    if refusal is not None:
        return refusal
    try:
        conn = connect(options.address, authkey, options.app_pid)
    except Exception as exc:
        print(f"helper: no authenticated channel ({type(exc).__name__}: {exc}); nothing changed", file=sys.stderr)
        return EXIT_FAILED
    records = _machine_records(options)
    with conn:
        outcome = ComparisonSession(
            runner.run_blocking,
            conn,
            configurations,
            deadline_s=options.deadline_seconds,
            keep_store=Store(options.keep_store),
            observer_for=records.observer if records else None,
        ).execute()
    for notice in records.notices if records else ():
        print(f"helper: note: {notice}", file=sys.stderr)
    return {Outcome.KEPT: EXIT_KEPT, Outcome.REVERTED: EXIT_REVERTED}.get(outcome, EXIT_FAILED)
