"""The support log: a rotating per-user file of every netsh run, its exit code and output."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Iterable
from pathlib import Path

from app.domain.runs import CommandResult

LOGGER = "loopback_tuner"
LOG_FILE = "loopback-tuner.log"
MAX_BYTES = 1024 * 1024
BACKUPS = 3


def configure_logging(folder: Path, *, verbose: bool = False) -> str | None:
    """Log to ``folder``/loopback-tuner.log (rotating) and, when verbose, to stderr.

    Returns a message for the user when the log file cannot be opened; the app works on without it.
    """
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    problem = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            folder / LOG_FILE, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
    except OSError as exc:
        problem = f"The support log cannot be written in {folder} ({exc.strerror or exc})."
    if verbose:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(stream)
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    return problem


def log_results(results: Iterable[CommandResult], *, via: str = "") -> None:
    """Record netsh runs (``via`` names where they ran, e.g. "helper")."""
    logger = logging.getLogger(LOGGER)
    for result in results:
        status = "timed out" if result.timed_out else f"exit {result.exit_code}"
        where = f" [{via}]" if via else ""
        logger.info(
            "netsh%s: %s -> %s (%.2f s)\n%s",
            where,
            result.command_line,
            status,
            result.duration_s,
            result.output or "(no output)",
        )
