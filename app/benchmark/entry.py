"""Whether this process was started as a benchmark worker: one decision for both frozen executables and both
entry points (before Qt or the command line's parser)."""

from __future__ import annotations

from collections.abc import Sequence

WORKER_FLAG = "--benchmark-worker"


def worker_arguments(argv: Sequence[str]) -> list[str] | None:
    """The worker's own arguments when ``argv`` (without the program name) starts with the flag, else None."""
    args = list(argv)
    return args[1:] if args[:1] == [WORKER_FLAG] else None


def run_worker_if_asked(argv: Sequence[str]) -> int | None:
    """Run a benchmark worker and return its exit code when ``argv`` asks for one; None for a normal start."""
    worker_args = worker_arguments(argv)
    if worker_args is None:
        return None
    from app.benchmark.worker import main as worker_main

    return worker_main(worker_args)
