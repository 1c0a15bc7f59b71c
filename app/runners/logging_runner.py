"""A NetshRunner decorator that writes every run to the support log."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from app.domain.commands import Argv, display
from app.domain.runs import CommandResult, NetshMissingError
from app.runners.base import NetshRunner
from app.support_log import LOGGER, log_results


class LoggingRunner:
    """Passes every call through to ``inner`` and logs the command, exit code and output."""

    def __init__(self, inner: NetshRunner) -> None:
        self.inner = inner

    @property
    def description(self) -> str:
        return self.inner.description

    def run_blocking(self, argv: Argv) -> CommandResult:
        with _not_started_logged(argv):
            result = self.inner.run_blocking(argv)
        log_results([result])
        return result


@contextlib.contextmanager
def _not_started_logged(argv: Argv) -> Iterator[None]:
    try:
        yield
    except NetshMissingError as exc:
        logging.getLogger(LOGGER).warning("netsh: %s -> not started: %s", display(argv), exc)
        raise
