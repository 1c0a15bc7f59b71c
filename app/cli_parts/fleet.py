"""The many-machines commands, hooked into app/cli.py in one place: check (compliance) and deploy (glue files).

Each is loaded only when used: ``show`` never pays for them.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from app.wiring import Services


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from app.cli_parts import check, deploy

    check.add_parser(sub)
    deploy.add_parser(sub)


def cmd_check(services: Services, args: argparse.Namespace, out: TextIO) -> int:
    from app.cli_parts.check import cmd_check as run

    return run(services, args, out)


def cmd_deploy(args: argparse.Namespace, out: TextIO) -> int:
    from app.cli_parts.deploy import cmd_deploy as run

    return run(args, out)
