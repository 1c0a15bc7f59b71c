"""The support log rotates as logging.handlers.RotatingFileHandler would, without importing logging.handlers."""

from __future__ import annotations

import logging
import logging.handlers
import subprocess
import sys
from pathlib import Path

from app.support_log import LOG_FILE, MAX_BYTES, RotatingLog, configure_logging


def _log_through(handler: logging.Handler, count: int) -> None:
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.Logger(f"rotation-test-{id(handler)}")
    logger.addHandler(handler)
    for i in range(count):
        logger.info("record %03d %s", i, "\u00e9" * (i % 7))  # lengths vary; non-ASCII text, written as UTF-8
    handler.close()


def _files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())}


def test_it_keeps_the_same_files_as_the_standard_rotating_handler(tmp_path: Path) -> None:
    ours, standard = tmp_path / "ours", tmp_path / "standard"
    ours.mkdir()
    standard.mkdir()
    _log_through(RotatingLog(ours / "x.log", max_bytes=120, backups=2), 40)
    _log_through(
        logging.handlers.RotatingFileHandler(
            standard / "x.log", maxBytes=120, backupCount=2, encoding="utf-8", delay=True
        ),
        40,
    )
    kept = _files(ours)
    assert kept == _files(standard)
    assert sorted(kept) == ["x.log", "x.log.1", "x.log.2"]  # no .3: the oldest is dropped
    assert kept["x.log"].splitlines()[-1].startswith("record 039")  # the newest record is in the live file
    assert all(len(text.encode("utf-8")) <= 120 + 20 for text in kept.values())


def test_without_backups_the_full_file_starts_again(tmp_path: Path) -> None:
    _log_through(RotatingLog(tmp_path / "x.log", max_bytes=60, backups=0), 10)
    assert sorted(_files(tmp_path)) == ["x.log"]
    assert (tmp_path / "x.log").read_text(encoding="utf-8").splitlines()[-1].startswith("record 009")


def test_no_file_is_made_before_the_first_record(tmp_path: Path) -> None:
    handler = RotatingLog(tmp_path / "x.log", max_bytes=MAX_BYTES, backups=3)
    handler.close()
    assert list(tmp_path.iterdir()) == []


def test_configure_logging_logs_to_the_rotating_file(tmp_path: Path) -> None:
    assert configure_logging(tmp_path / "logs") is None
    logger = logging.getLogger("loopback_tuner")
    (handler,) = logger.handlers
    assert isinstance(handler, RotatingLog)
    assert (handler.max_bytes, handler.backups) == (MAX_BYTES, 3)
    logger.info("hello")
    handler.flush()
    assert (tmp_path / "logs" / LOG_FILE).read_text(encoding="utf-8").endswith(" INFO hello\n")
    configure_logging(tmp_path / "other")  # the next call closes and replaces the handler
    assert handler.stream is None


def test_the_support_log_does_not_import_logging_handlers() -> None:
    code = "import sys, app.support_log; print('logging.handlers' in sys.modules, 'socket' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.split() == ["False", "False"]
