"""The helper process for a comparison (``--elevated-helper --compare-session ...``): the same checks as a trial's
helper (app/elevation/helper.py: arguments, channel address, key, runner, the one-session-per-machine lock, the
authenticated channel), then app/elevation/comparison.py's session instead of one trial.

Each ``--config`` is one configuration, ``family:tag=value,...`` for each family it sets, families joined by
``/`` (``ipv4:loopbackexecutionmode=inline/ipv6:loopbacklargemtu=disable``); every one is validated with the core's
strict parser before anything runs, like a trial's ``--change``.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence

from app.domain.errors import ValidationError
from app.domain.model import Family, SettingsPatch, Store
from app.elevation.compare_protocol import MAX_CONFIGURATIONS
from app.elevation.comparison import ComparisonSession
from app.elevation.helper import (
    EXIT_FAILED,
    Connect,
    _connect,
    _machine_records,
    exit_code_for,
    open_session,
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
    opened = open_session(argv, held, connect, lambda options: parse_configurations(options.config), comparison=True)
    if isinstance(opened, int):
        return opened
    options = opened.options
    records = _machine_records(options)
    with opened.conn:
        outcome = ComparisonSession(
            opened.runner.run_blocking,
            opened.conn,
            opened.asked,
            deadline_s=options.deadline_seconds,
            keep_store=Store(options.keep_store),
            observer_for=records.observer if records else None,
        ).execute()
    return exit_code_for(outcome, records)
