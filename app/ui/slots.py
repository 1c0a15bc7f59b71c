"""``async_slot``: qasync's ``asyncSlot``, with qasync (and asyncio) imported on the slot's first call.

The window is built and painted before asyncio and qasync are imported and qasync's loop is installed (issue 16,
make bench figure 1: they cost about 30 ms that the first paint need not wait for). A slot called before that
(a signal in the first turns of Qt's loop) runs one Qt loop turn later, once the loop is there.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QTimer, Slot

if TYPE_CHECKING:
    import asyncio

F = TypeVar("F", bound=Callable[..., Coroutine[Any, Any, Any]])


def _loop_installed() -> bool:
    """Whether qasync's loop runs in this thread (asyncio imported is not enough: a worker thread imports it before
    the loop is installed on the GUI thread)."""
    asyncio_module = sys.modules.get("asyncio")
    return asyncio_module is not None and asyncio_module.events._get_running_loop() is not None


def async_slot(*types: type) -> Callable[[F], Callable[..., asyncio.Future[Any] | None]]:
    """Decorate an ``async def`` method as a Qt slot that runs it as a task on the asyncio loop (qasync's
    ``asyncSlot``: the task is returned; its failure goes to ``sys.excepthook``)."""

    def decorate(function: F) -> Callable[..., asyncio.Future[Any] | None]:
        running: Callable[..., asyncio.Future[Any]] | None = None

        @Slot(*types)
        @functools.wraps(function)
        def slot(*args: Any, **kwargs: Any) -> asyncio.Future[Any] | None:
            nonlocal running
            if not _loop_installed():  # before the loop is installed: run once it is
                QTimer.singleShot(0, lambda: slot(*args, **kwargs))
                return None
            if running is None:
                from qasync import asyncSlot

                running = asyncSlot(*types)(function)
            return running(*args, **kwargs)

        return slot

    return decorate
