"""``check PROFILE``: is this machine compliant with a profile? Exit 0 yes, 8 no, a read-failure code if unknown."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from app.cli_parts.common import EXIT_NOT_COMPLIANT, EXIT_OK, exit_code
from app.cli_parts.reading import machine_reader, print_notices
from app.domain.compliance import Verdict
from app.domain.model import Store
from app.usecases.compliance import ComplianceCheck, check_compliance, load_profile_path
from app.wiring import Services

STORES = {"active": (Store.ACTIVE,), "persistent": (Store.PERSISTENT,), "both": (Store.ACTIVE, Store.PERSISTENT)}


def check_exit(result: ComplianceCheck) -> int:
    """0 compliant, 8 not compliant; a family that could not be read wins with its read code (3 or 4)."""
    if result.verdict is Verdict.UNREADABLE:
        return exit_code(result.read_endings())
    return EXIT_NOT_COMPLIANT if result.verdict is Verdict.NOT_COMPLIANT else EXIT_OK


def cmd_check(services: Services, args: argparse.Namespace, out: TextIO) -> int:
    profile = load_profile_path(Path(args.profile))  # validated before netsh runs: a bad file is exit 2
    result = check_compliance(machine_reader(services), profile, STORES[args.store])
    print_notices(result.read)
    compliance = result.compliance
    if args.json:
        print(json.dumps({"profile": str(args.profile), **compliance.to_json()}), file=out)
    else:
        families = " and ".join(f.label for f in compliance.families)
        stores = " and ".join(s.value for s in compliance.stores)
        if result.verdict is Verdict.COMPLIANT:
            print(f"Compliant: {families} match {args.profile} ({stores}).", file=out)
        elif result.verdict is Verdict.NOT_COMPLIANT:
            count = len(compliance.differences)
            print(f"Not compliant with {args.profile}: {count} difference{'s' if count != 1 else ''}", file=out)
            for difference in compliance.differences:
                print(f"  {difference.describe()}", file=out)
    for unreadable in compliance.unreadable:
        print(f"loopback-tuner-cli: error: {unreadable.describe()}; compliance unknown", file=sys.stderr)
    return check_exit(result)
