"""The append-only, per-user history of transactions (JSON lines), tolerant of corruption and full disks."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from app.domain.errors import ValidationError
from app.domain.history import ComparisonStart, HistoryEntry
from app.domain.model import Change, Store
from app.domain.outcomes import HistoryOutcome
from app.storage.files import InterProcessLock, LockBusyError, set_aside, write_atomic

MAX_HISTORY_BYTES = 4 * 1024 * 1024
LOCK_TIMEOUT_S = 10.0  # a holder appends one line or rewrites a repaired file: milliseconds
INTERRUPTED = HistoryOutcome.INTERRUPTED

__all__ = ["INTERRUPTED", "History", "HistoryEntry"]


def _user() -> str:
    import getpass  # with platform and uuid, imported by the first record: the window's start reads only

    try:
        return getpass.getuser()
    except Exception:  # getuser raises various errors when no name can be found
        return "unknown"


class History:
    """Reads and appends the history file; every write failure becomes a message, never an exception.

    Appends and repairs hold an inter-process lock beside the file, so a repair never drops a line another
    process appended, and two processes never repair the same file twice.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = InterProcessLock(path.with_name(path.name + ".lock"))

    def load(self) -> tuple[list[HistoryEntry], list[str]]:
        """All entries, oldest first, and notices for the user (a corrupt file is set aside and rebuilt)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return [], []
        except OSError as exc:
            return [], [f"The history could not be read ({exc.strerror})."]
        entries, good_lines, bad = self._parse(raw)
        if not bad:
            return entries, []
        try:
            with self._lock.hold(timeout_s=LOCK_TIMEOUT_S):
                # Re-read under the lock: another process may have repaired it or appended since.
                try:
                    raw = self.path.read_bytes()
                except FileNotFoundError:
                    return [], []
                entries, good_lines, bad = self._parse(raw)
                if not bad:
                    return entries, []
                moved = set_aside(self.path)
                write_atomic(self.path, "".join(line + "\n" for line in good_lines))
        except (OSError, LockBusyError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "another program is writing it"
            return entries, [f"The history file has unreadable lines and could not be repaired ({why})."]
        return entries, [
            f"The history file had {bad} unreadable line(s); the file was kept as {moved.name} "
            f"and the readable entries were carried over."
        ]

    def _parse(self, raw: bytes) -> tuple[list[HistoryEntry], list[str], int]:
        """The entries, the lines they came from, and how many lines were unreadable."""
        entries: dict[str, HistoryEntry] = {}
        bad = 0
        good_lines: list[str] = []
        if len(raw) > MAX_HISTORY_BYTES:
            bad += 1
            raw = raw[-MAX_HISTORY_BYTES:]
        for line in raw.decode("utf-8", errors="replace").splitlines():
            if not line.strip():
                continue
            try:
                self._apply(entries, json.loads(line))
                good_lines.append(line)
            except (ValueError, KeyError, TypeError, ValidationError):
                bad += 1
        return list(entries.values()), good_lines, bad

    @staticmethod
    def _apply(entries: dict[str, HistoryEntry], record: object) -> None:
        if not isinstance(record, dict):
            raise ValueError("not an object")
        event, ident = record["event"], record["id"]
        if not isinstance(ident, str):
            raise ValueError("bad id")
        if event == "started":
            started, user, machine, backend = record["time"], record["user"], record["machine"], record["backend"]
            if not isinstance(started, int | float) or not all(isinstance(x, str) for x in (user, machine, backend)):
                raise ValueError("bad started record")
            store = record.get("store")  # absent in older files: the entry then cannot be checked
            if store is not None and store not in {s.value for s in Store}:
                raise ValueError("bad store")
            entries[ident] = HistoryEntry(
                ident,
                float(started),
                user,
                machine,
                backend,
                Change.from_json(record["requested"]),
                store=None if store is None else Store(store),
                comparison=None if "comparison" not in record else ComparisonStart.from_json(record["comparison"]),
            )
        elif event == "finished":
            entry = entries[ident]
            outcome, reason, finished = record["outcome"], record.get("reason", ""), record["time"]
            after, problems = record.get("after", {}), record.get("problems", [])
            if (
                not isinstance(outcome, str)
                or not isinstance(reason, str)
                or not isinstance(finished, int | float)
                or not isinstance(after, dict)
                or not isinstance(problems, list)
            ):
                raise ValueError("bad finished record")
            entry.outcome, entry.reason, entry.finished = HistoryOutcome(outcome), reason, float(finished)
            entry.after, entry.problems = after, [str(p) for p in problems]
            if "requested" in record:  # a comparison that kept a configuration: the change it made, revertible
                entry.requested = Change.from_json(record["requested"])
        else:
            raise ValueError("unknown event")

    def _append(self, record: dict[str, object]) -> None:
        """Append one JSON line and flush it to disk; raises OSError (e.g. the disk is full)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock.hold(timeout_s=LOCK_TIMEOUT_S), open(self.path, "a", encoding="utf-8", newline="\n") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def _write(self, record: dict[str, object]) -> str | None:
        """Append ``record``; a failure becomes a notice for the user, never an exception."""
        try:
            self._append(record)
        except LockBusyError:
            return "The history could not be written (another program kept it busy); the change itself is not affected."
        except OSError as exc:
            return f"The history could not be written ({exc.strerror or exc}); the change itself is not affected."
        return None

    def record_started(
        self, change: Change, backend: str, store: Store | None = None, comparison: ComparisonStart | None = None
    ) -> tuple[str, str | None]:
        """Append a "started" record; returns its id and a notice if writing failed.

        ``change`` holds each family's values before and after; with the trial's target ``store`` they let a
        later start check an unfinished trial against the machine. A comparison gives an empty ``change`` and
        ``comparison`` (the values found at the start and each configuration), for the same check.
        """
        import platform
        import uuid

        ident = uuid.uuid4().hex
        notice = self._write(
            {
                "event": "started",
                "id": ident,
                "time": time.time(),
                "user": _user(),
                "machine": platform.node() or "unknown",
                "backend": backend,
                "requested": change.to_json(),
                **({} if store is None else {"store": store.value}),
                **({} if comparison is None else {"comparison": comparison.to_json()}),
            }
        )
        return ident, notice

    def record_finished(
        self,
        ident: str,
        outcome: HistoryOutcome,
        reason: str = "",
        after: dict[str, object] | None = None,
        problems: list[str] | None = None,
        requested: Change | None = None,
    ) -> str | None:
        """Append a "finished" record; ``requested`` (a comparison's kept configuration) replaces the started
        record's change, so History can revert it. Returns a notice if writing failed."""
        return self._write(
            {
                "event": "finished",
                "id": ident,
                "time": time.time(),
                "outcome": outcome.value,
                "reason": reason,
                "after": after or {},
                "problems": problems or [],
                **({} if requested is None else {"requested": requested.to_json()}),
            }
        )
