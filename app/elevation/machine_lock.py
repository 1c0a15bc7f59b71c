"""One trial per machine: the lock the helper holds for its whole life, chosen by what "the machine" is.

On Windows it is the named mutex ``Global\\LoopbackTuner-Trial`` (every user and session sees it). For the
simulated machine it is an exclusive, non-blocking lock on a file beside the machine's state file. Either is
dropped by the OS when the holder dies, so a crashed helper never blocks the next trial.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from app.storage.files import InterProcessLock, LockBusyError

if TYPE_CHECKING:
    from app.platform.win32_mutex import MutexApi

BUSY_MESSAGE = "a change is being tried or reverted right now"


class MachineLock(Protocol):
    """Taken without waiting; ``acquire`` is False when another trial holds it (raises OSError if it cannot tell)."""

    abandoned: bool  # the previous holder ended without releasing it (only the Win32 mutex can tell)

    def acquire(self) -> bool: ...

    def release(self) -> None: ...


class FileMachineLock:
    """The simulated machine's lock: an exclusive, non-blocking lock on ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.abandoned = False
        self._lock = InterProcessLock(path)

    def acquire(self) -> bool:
        try:
            self._lock.acquire()
        except LockBusyError:
            return False
        return True

    def release(self) -> None:
        self._lock.release()


class MutexMachineLock:
    """The Windows machine's lock: the global trial mutex."""

    def __init__(self, api: MutexApi | None = None) -> None:
        from app.platform.win32_mutex import CtypesMutexApi, Win32Mutex

        self.abandoned = False
        self._mutex = Win32Mutex(CtypesMutexApi() if api is None else api)

    def acquire(self) -> bool:
        from app.platform.win32_mutex import ERROR_ACCESS_DENIED, MutexError, MutexTake

        try:
            take = self._mutex.take()
        except MutexError as exc:
            if exc.errno == ERROR_ACCESS_DENIED:  # it exists (someone holds a handle) with a DACL that keeps us out
                return False
            raise
        self.abandoned = take is MutexTake.ABANDONED
        return take is not MutexTake.BUSY

    def release(self) -> None:
        self._mutex.release()


def sim_machine_lock_path(state: Path) -> Path:
    """The simulated machine's trial lock file, beside its state file."""
    return state.with_name(state.name + ".trial.lock")


def machine_lock_for(backend: str, state: str | None, netsh: str | None, platform: str = sys.platform) -> MachineLock:
    """The lock for the helper's (already validated) backend arguments.

    A custom netsh on Windows acts on the real machine, so it shares the mutex; elsewhere a custom netsh is a
    stand-in whose "machine" is its own program, so the lock file sits beside it.
    """
    if backend == "simulated" and state:
        return FileMachineLock(sim_machine_lock_path(Path(state)))
    if platform == "win32":
        return MutexMachineLock()
    if backend == "custom" and netsh:
        program = Path(netsh)
        return FileMachineLock(program.with_name(program.name + ".trial.lock"))
    raise ValueError(f"no machine lock for the {backend} backend on {platform}")


def machine_lock_for_helper(args: Sequence[str], platform: str = sys.platform) -> MachineLock:
    """The lock a helper started with these backend arguments (option/value pairs) takes: the app checks that one."""
    options = dict(zip(args[::2], args[1::2], strict=False))
    return machine_lock_for(options.get("--backend", ""), options.get("--state"), options.get("--netsh"), platform)
