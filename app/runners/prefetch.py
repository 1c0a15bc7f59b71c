"""Netsh runs started before the read that needs them, so the command line's remaining start-up overlaps them."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # nothing of the domain at run time: an early read starts before it is imported (issue 16)
    from app.domain.commands import Argv
    from app.domain.runs import CommandResult
    from app.runners.base import NetshRunner


class _Started:
    """One run of ``inner`` on a thread of its own; ``result()`` waits for it and returns or raises what it did."""

    def __init__(self, inner: NetshRunner, argv: Argv) -> None:
        self._result: CommandResult | None = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._result = inner.run_blocking(argv)
            except BaseException as exc:  # handed to whoever takes the result, as run_blocking would have raised it
                self._error = exc

        # A daemon: a run nobody takes (the command failed before its read) must not hold the process open.
        self._thread = threading.Thread(target=run, name="netsh-prefetch", daemon=True)
        self._thread.start()

    def result(self) -> CommandResult:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


class PrefetchingRunner:
    """Starts ``argvs`` on ``inner`` now, each on its own thread; ``run_blocking`` of one of them returns that run's
    result (once: it waits for it if it is still running), and runs any other argv, or the same one again, on
    ``inner``. The runs are only started early: each is the same call, with the same result, as it would be later."""

    def __init__(self, inner: NetshRunner, argvs: Iterable[Argv]) -> None:
        self.inner = inner
        self._lock = threading.Lock()
        self._started = {argv: _Started(inner, argv) for argv in argvs}

    @property
    def description(self) -> str:
        return self.inner.description

    def run_blocking(self, argv: Argv) -> CommandResult:
        with self._lock:
            started = self._started.pop(tuple(argv), None)
        return started.result() if started is not None else self.inner.run_blocking(argv)
