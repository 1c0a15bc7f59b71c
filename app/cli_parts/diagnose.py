"""``diagnose``: write the diagnostics file (to stdout, or to a new file with --output); and ``--capture``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from app.cli_parts.exits import EXIT_OK, EXIT_USAGE, UsageError
from app.runners.factory import Backend, BackendKind
from app.storage.files import write_atomic

# Commands a replayed capture cannot serve: they change the machine (a replay only reads).
CHANGING = ("set", "restore", "import", "save", "compare", "simulate")


def add_arguments(parser: argparse.ArgumentParser, sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The ``diagnose`` command (the global ``--capture`` option is one of the backend options, app/wiring.py)."""
    diag = sub.add_parser(
        "diagnose", help="write a diagnostics file for a bug report (no user, computer or domain names)"
    )
    diag.add_argument("--output", metavar="FILE", help="write it to FILE (a new file) instead of standard output")
    diag.add_argument("--force", action="store_true", help="with --output: replace an existing file")


def check_capture(args: argparse.Namespace) -> None:
    """A replay only reads: refuse a command that would change something; raises UsageError."""
    revert = args.command == "history" and getattr(args, "action", None) == "revert"
    if args.capture is not None and (args.command in CHANGING or revert):
        raise UsageError(f"--capture replays a diagnostics file, which can only be read: '{args.command}' is refused")


def cmd_diagnose(backend: Backend, args: argparse.Namespace, out: TextIO, stderr: TextIO) -> int:
    """Run diagnose and write the file; the output path is checked before netsh runs."""
    path = Path(args.output) if args.output else None
    if path is None and args.force:
        raise UsageError("--force goes with --output")
    if path is not None:
        if path.exists() and not args.force:
            raise UsageError(f"{path} exists; add --force to replace it")
        folder = path.absolute().parent
        if not folder.is_dir():
            raise UsageError(f"the folder {folder} does not exist; create it first, or choose another")
    from app.usecases.diagnose_sources import diagnostics_text
    from app.wiring import make_machine_info

    text = diagnostics_text(backend, None if backend.kind is BackendKind.CAPTURE else make_machine_info(backend))
    if path is None:
        out.write(text)
        return EXIT_OK
    try:
        write_atomic(path, text)
    except OSError as exc:
        print(f"loopback-tuner-cli: error: {path} could not be written: {exc.strerror or exc}", file=stderr)
        return EXIT_USAGE
    print(
        f"Diagnostics written to {path}. It holds no user, computer or domain names; read it before sending.",
        file=stderr,
    )
    return EXIT_OK
