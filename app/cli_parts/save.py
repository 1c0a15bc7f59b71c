"""``save``: make the active values persistent (the values marked "lost at restart"), through the elevated path.

It changes no behavior now, so it is no trial: it prints the lines and writes once (app/cli_parts/apply.py).
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from app.cli_parts.apply import apply_change, options_from
from app.cli_parts.common import read_exit
from app.cli_parts.reading import read_state
from app.domain.model import Family
from app.usecases.planning import FamilyUnavailableError, plan_save
from app.wiring import Services


def cmd_save(services: Services, args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    families = tuple(Family) if args.family == "both" else (Family(args.family),)
    state = read_state(services)
    try:
        change = plan_save(state, families)
    except FamilyUnavailableError as exc:
        print(f"loopback-tuner-cli: error: {exc}", file=sys.stderr)
        return read_exit(state, families)
    if change.is_empty and not args.json:
        print("Every value is saved already: nothing to save.", file=out)
        return 0
    return apply_change(services, change, options_from(args), out, stdin, command="save", verbose=args.verbose)
