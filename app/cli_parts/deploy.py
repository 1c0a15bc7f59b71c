"""``deploy PROFILE --for TOOL --output DIR``: the glue for Intune, Configuration Manager, Group Policy, Ansible."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from app import __version__
from app.cli_parts.common import EXIT_OK, EXIT_USAGE
from app.domain.glue import Tool


def cmd_deploy(args: argparse.Namespace, out: TextIO) -> int:
    from app.resources import resource_path
    from app.usecases.deploy import DeployError, deploy, load_templates

    def read(name: str) -> str:
        return resource_path(f"deploy/{name}").read_text(encoding="utf-8")

    try:
        templates = load_templates(read)
    except (OSError, UnicodeDecodeError) as exc:
        missing = f"the deploy templates are missing from this installation ({exc})"
        print(f"loopback-tuner-cli: error: {missing}", file=sys.stderr)
        return EXIT_USAGE
    try:
        done = deploy(
            Path(args.profile),
            Tool(args.tool),
            Path(args.output),
            force=args.force,
            app_version=__version__,
            templates=templates,
        )
    except DeployError as exc:
        print(f"loopback-tuner-cli: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"Wrote {len(done.files)} files for {args.tool} into {done.folder}:", file=out)
    for name in done.files:
        print(f"  {name}", file=out)
    return EXIT_OK
