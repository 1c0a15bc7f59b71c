"""Atomic file writes, setting corrupt files aside, and an inter-process lock."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO


class LockBusyError(Exception):
    """Another process holds the lock."""


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step (temp file, fsync, rename); raises OSError (e.g. disk full)."""
    import tempfile  # loaded by the first write: a read (the CLI's show) needs none

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_json_atomic(path: Path, data: object) -> None:
    """Write ``data`` as indented JSON atomically; raises OSError."""
    write_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def set_aside(path: Path) -> Path:
    """Rename a corrupt file out of the way (kept for inspection) and return its new name; raises OSError."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    os.replace(path, target)
    return target


ON_WINDOWS = sys.platform == "win32"


def _try_lock(handle: IO[bytes], windows: bool) -> bool:
    if windows:
        msvcrt = importlib.import_module("msvcrt")  # by name: the tests fake it off Windows

        try:
            handle.seek(0)  # msvcrt.locking locks from the current position: "a+b" opens at the end of the file
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(handle: IO[bytes], windows: bool) -> None:
    if windows:
        msvcrt = importlib.import_module("msvcrt")

        with contextlib.suppress(OSError):
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class InterProcessLock:
    """An exclusive lock on a file, released when the holder exits or dies (the OS drops it)."""

    def __init__(self, path: Path, *, windows: bool = ON_WINDOWS) -> None:
        """``windows`` picks msvcrt's byte lock over flock (tests run the Windows branch with a fake msvcrt)."""
        self.path = path
        self.windows = windows
        self._handle: IO[bytes] | None = None

    def _open_locked(self, timeout_s: float) -> IO[bytes]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+b")  # noqa: SIM115 - held open for the lock's lifetime
        deadline = time.monotonic() + timeout_s
        pause = 0.0005  # a holder keeps it about a millisecond (4 concurrent reads): retry soon, back off to 10 ms
        while not _try_lock(handle, self.windows):
            if time.monotonic() >= deadline:
                handle.close()
                raise LockBusyError(str(self.path))
            time.sleep(pause)
            pause = min(pause * 2, 0.01)
        return handle

    def acquire(self, *, timeout_s: float = 0.0) -> None:
        """Take the lock, retrying until ``timeout_s``; raises LockBusyError, or OSError if the file fails."""
        if self._handle is not None:
            raise LockBusyError(f"{self.path} is already held by this object")
        self._handle = self._open_locked(timeout_s)

    def release(self) -> None:
        if self._handle is not None:
            _unlock(self._handle, self.windows)
            self._handle.close()
            self._handle = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    @contextlib.contextmanager
    def hold(self, *, timeout_s: float = 0.0) -> Iterator[None]:
        """Hold the lock for a block; each use has its own handle, so threads may share this object."""
        handle = self._open_locked(timeout_s)
        try:
            yield
        finally:
            _unlock(handle, self.windows)
            handle.close()
