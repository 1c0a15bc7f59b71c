"""Background tasks the view-models start themselves: failures go to the one crash dialog, never lost."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any


def report_failure(task: asyncio.Future[Any]) -> None:
    """Done-callback: send an unexpected exception to ``sys.excepthook`` (the crash dialog)."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        sys.excepthook(type(exc), exc, exc.__traceback__)


def start_task(coroutine: Coroutine[Any, Any, Any], keep: set[asyncio.Future[Any]]) -> asyncio.Future[Any]:
    """Schedule ``coroutine``, hold a reference in ``keep`` until it ends, and report its failure."""
    task = asyncio.ensure_future(coroutine)
    keep.add(task)
    task.add_done_callback(keep.discard)
    task.add_done_callback(report_failure)
    return task
