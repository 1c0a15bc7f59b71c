"""The many-machines commands, hooked into app/cli.py in one place: check (compliance) and deploy (glue files).

Each is loaded only when used: ``show`` never pays for them.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from app.wiring import Services


# The parsers are built here from plain words, so every command's start-up pays nothing for check and deploy;
# tests/fleet check these words against the modules that act on them (check.STORES, domain.glue.Tool).
STORE_CHOICES = ("active", "persistent", "both")
TOOL_CHOICES = ("intune", "configmgr", "gpo", "ansible")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    check = sub.add_parser("check", help="compare this machine with a profile (exit 0 compliant, 8 not compliant)")
    check.add_argument("profile", metavar="PROFILE", help="a profile file (as written by export)")
    check.add_argument(
        "--store",
        choices=STORE_CHOICES,
        default="both",
        help="the values to compare: active (in effect), persistent (saved) or both (default)",
    )
    check.add_argument("--json", action="store_true", help="machine-readable result (a stable contract)")
    deploy = sub.add_parser(
        "deploy", help="write the scripts (or playbook) a management tool runs to apply a profile on many machines"
    )
    deploy.add_argument("profile", metavar="PROFILE", help="a profile file (as written by export)")
    deploy.add_argument("--for", dest="tool", required=True, choices=TOOL_CHOICES, help="the tool")
    deploy.add_argument("--output", required=True, metavar="DIR", help="the folder to create (its parent must exist)")
    deploy.add_argument("--force", action="store_true", help="write into DIR even when it exists and is not empty")


def cmd_check(services: Services, args: argparse.Namespace, out: TextIO) -> int:
    from app.cli_parts.check import cmd_check as run

    return run(services, args, out)


def cmd_deploy(args: argparse.Namespace, out: TextIO) -> int:
    from app.cli_parts.deploy import cmd_deploy as run

    return run(args, out)
