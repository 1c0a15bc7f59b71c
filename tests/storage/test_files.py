"""Atomic writes, corrupt files set aside, and the inter-process lock (tested across real processes)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.storage.files import InterProcessLock, LockBusyError, set_aside, write_atomic, write_json_atomic
from tests.conftest import SUBPROCESS_TIMEOUT_S


def test_write_atomic_replaces_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "a" / "f.json"
    write_atomic(path, "one")
    write_json_atomic(path, {"b": 1, "a": [2]})
    assert json.loads(path.read_text()) == {"a": [2], "b": 1}
    assert [p.name for p in path.parent.iterdir()] == ["f.json"]


def test_a_full_disk_keeps_the_old_file_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "f.json"
    write_atomic(path, "old")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)  # what app.storage.files calls
    with pytest.raises(OSError, match="No space"):
        write_atomic(path, "new")
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_set_aside_never_overwrites(tmp_path: Path) -> None:
    names = set()
    for content in ("1", "2", "3"):
        path = tmp_path / "state.json"
        path.write_text(content)
        names.add(set_aside(path).name)
        assert not path.exists()
    assert len(names) == 3
    assert sorted(p.read_text() for p in tmp_path.iterdir()) == ["1", "2", "3"]


def test_lock_excludes_a_second_holder(tmp_path: Path) -> None:
    first, second = InterProcessLock(tmp_path / "x.lock"), InterProcessLock(tmp_path / "x.lock")
    first.acquire()
    assert first.held
    with pytest.raises(LockBusyError):
        second.acquire()
    first.release()
    second.acquire()
    second.release()
    assert not second.held


HOLD = """
import sys
from pathlib import Path
from app.storage.files import InterProcessLock
lock = InterProcessLock(Path(sys.argv[1]))
lock.acquire()
print("held", flush=True)
sys.stdin.readline()
"""


def test_lock_is_held_across_processes_and_dropped_when_the_holder_dies(tmp_path: Path) -> None:
    path = tmp_path / "t.lock"
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        with pytest.raises(LockBusyError):
            InterProcessLock(path).acquire()
        child.kill()  # no release: the operating system drops the lock with the process
        child.wait(SUBPROCESS_TIMEOUT_S)
        lock = InterProcessLock(path)
        lock.acquire()
        lock.release()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(SUBPROCESS_TIMEOUT_S)
        for stream in (child.stdin, child.stdout):
            if stream is not None:
                stream.close()


class FakeMsvcrt:
    """Stands in for msvcrt: records the file position each locking() call starts from (the range it locks)."""

    LK_UNLCK, LK_NBLCK = 0, 2

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, int]] = []  # (mode, position, bytes)
        self.locked: set[int] = set()

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        position = os.lseek(fd, 0, os.SEEK_CUR)
        self.calls.append((mode, position, nbytes))
        if mode == self.LK_NBLCK:
            if position in self.locked:
                raise OSError(errno.EACCES, "locked")
            self.locked.add(position)
        else:
            self.locked.discard(position)


def test_the_windows_lock_locks_byte_zero_not_the_end_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeMsvcrt()
    monkeypatch.setitem(sys.modules, "msvcrt", fake)
    path = tmp_path / "t.lock"
    path.write_bytes(b"left by an older version")  # "a+b" opens at the end: byte 24, not 0
    lock = InterProcessLock(path, windows=True)
    lock.acquire()
    path.write_bytes(b"longer text written by someone else meanwhile")
    with pytest.raises(LockBusyError):  # the same byte, wherever the file's end now is
        InterProcessLock(path, windows=True).acquire()
    lock.release()
    with InterProcessLock(path, windows=True).hold():
        pass
    assert fake.calls == [
        (FakeMsvcrt.LK_NBLCK, 0, 1),
        (FakeMsvcrt.LK_NBLCK, 0, 1),
        (FakeMsvcrt.LK_UNLCK, 0, 1),
        (FakeMsvcrt.LK_NBLCK, 0, 1),
        (FakeMsvcrt.LK_UNLCK, 0, 1),
    ]
