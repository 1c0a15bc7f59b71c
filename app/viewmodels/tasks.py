"""Background work the view-models start themselves: blocking calls off the GUI thread, tasks whose failures go
to the one crash dialog, never lost.

asyncio is imported when first used, not with this module: the window's first paint and its first read run
before the qasync loop is installed (issue 16, make bench figure 1), so nothing on that path may import it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

if TYPE_CHECKING:
    import asyncio

P = ParamSpec("P")
T = TypeVar("T")


async def in_thread(function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``asyncio.to_thread``: run blocking ``function`` on the loop's executor and await its result."""
    import asyncio

    return await asyncio.to_thread(function, *args, **kwargs)


def report_failure(task: asyncio.Future[Any]) -> None:
    """Done-callback: send an unexpected exception to ``sys.excepthook`` (the crash dialog)."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        sys.excepthook(type(exc), exc, exc.__traceback__)


def start_task(coroutine: Coroutine[Any, Any, Any], keep: set[asyncio.Future[Any]]) -> asyncio.Future[Any]:
    """Schedule ``coroutine``, hold a reference in ``keep`` until it ends, and report its failure."""
    import asyncio

    task = asyncio.ensure_future(coroutine)
    keep.add(task)
    task.add_done_callback(keep.discard)
    task.add_done_callback(report_failure)
    return task


async def gather(*awaitables: Coroutine[Any, Any, Any] | asyncio.Future[Any], return_exceptions: bool = False) -> Any:
    """``asyncio.gather``."""
    import asyncio

    return await asyncio.gather(*awaitables, return_exceptions=return_exceptions)


def gui_poster() -> Callable[..., bool]:
    """Called on the GUI thread inside a coroutine: a function a worker thread calls as ``post(callback, *args)``
    to have ``callback(*args)`` run on the GUI thread's loop. It returns False, and drops the call, once the loop
    has closed (the app is quitting), so a worker never fails for reporting late."""
    import asyncio

    loop = asyncio.get_running_loop()

    def post(callback: Callable[..., object], *args: object) -> bool:
        try:
            loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop is closed
            return False
        return True

    return post
