"""Finds transactions that never finished (the app was closed or killed mid-trial) and records them."""

from __future__ import annotations

from pathlib import Path

from app.storage.files import InterProcessLock, LockBusyError
from app.storage.history import INTERRUPTED, History, HistoryEntry


def recover_interrupted(history: History, lock_path: Path) -> tuple[list[HistoryEntry], list[str]]:
    """Unfinished entries, marked "interrupted", unless another instance is still running a transaction.

    Returns the entries and any notices (a corrupt history set aside, a write that failed).
    """
    entries, notices = history.load()
    unfinished = [e for e in entries if e.outcome is None]
    if not unfinished:
        return [], notices
    lock = InterProcessLock(lock_path)
    try:
        lock.acquire()
    except LockBusyError:
        return [], notices  # a trial is running in another window: its entry is not ours to judge
    try:
        for entry in unfinished:
            notice = history.record_finished(
                entry.id, INTERRUPTED, "the app ended during the trial; the helper reverts unconfirmed changes"
            )
            entry.outcome = INTERRUPTED
            if notice and notice not in notices:
                notices.append(notice)
    finally:
        lock.release()
    return unfinished, notices
