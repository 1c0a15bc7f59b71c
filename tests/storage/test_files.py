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
