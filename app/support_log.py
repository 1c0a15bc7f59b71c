"""The support log: a rotating per-user file of every netsh run, its exit code and output."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from app.domain.runs import CommandResult

LOGGER = "loopback_tuner"
LOG_FILE = "loopback-tuner.log"
MAX_BYTES = 1024 * 1024
BACKUPS = 3


class RotatingLog(logging.FileHandler):
    """``logging.handlers.RotatingFileHandler``'s rotation by size: before a record would take the file to
    ``max_bytes``, the file becomes ``.1``, ``.1`` becomes ``.2`` and so on, and ``.<backups>`` is dropped.

    Written here because ``logging.handlers`` imports ``socket``, ``pickle`` and ``queue`` for handlers the app never
    uses: about 9 ms of the window's start and of ``show``'s (make bench, issue 16). Opened on the first record.
    """

    def __init__(self, path: Path, *, max_bytes: int, backups: int) -> None:
        super().__init__(path, encoding="utf-8", delay=True)
        self.max_bytes, self.backups = max_bytes, backups

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._full_with(record):
                self._rotate()
        except Exception:  # as logging does: a problem with the log never stops the app (reported on stderr)
            self.handleError(record)
            return
        super().emit(record)

    def _full_with(self, record: logging.LogRecord) -> bool:
        if not os.path.isfile(self.baseFilename):
            return False  # not there yet (the first record creates it), or not a regular file: never rotated
        if self.stream is None:
            self.stream = self._open()
        self.stream.seek(0, os.SEEK_END)
        return self.stream.tell() + len(self.format(record) + self.terminator) >= self.max_bytes

    def _rotate(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None  # reopened by the next emit (delay=True)
        for number in range(self.backups - 1, 0, -1):
            older = f"{self.baseFilename}.{number}"
            if os.path.exists(older):
                os.replace(older, f"{self.baseFilename}.{number + 1}")
        if self.backups > 0:
            os.replace(self.baseFilename, f"{self.baseFilename}.1")
        else:
            os.remove(self.baseFilename)


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
        handler = RotatingLog(folder / LOG_FILE, max_bytes=MAX_BYTES, backups=BACKUPS)
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
