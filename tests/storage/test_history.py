"""The append-only history: records, corrupt lines set aside, write failures as notices."""

from __future__ import annotations

import errno
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.domain.model import Change, ExecutionMode, Family, FamilyChange, LoopbackSettings, Store
from app.domain.outcomes import HistoryOutcome
from app.storage import history as history_module
from app.storage.history import MAX_HISTORY_BYTES, History

BASE = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)
CHANGE = Change((FamilyChange(Family.IPV4, BASE, LoopbackSettings(ExecutionMode.INLINE, 4, True)),))


def test_started_and_finished_make_one_entry(tmp_path: Path) -> None:
    history = History(tmp_path / "sub" / "history.jsonl")
    ident, notice = history.record_started(CHANGE, "simulated")
    assert notice is None
    assert history.record_finished(ident, HistoryOutcome.KEPT, "", {"ipv4": BASE.to_json()}, ["p"]) is None
    entries, notices = history.load()
    assert notices == [] and len(entries) == 1
    entry = entries[0]
    assert (entry.id, entry.backend, entry.requested, entry.outcome, entry.after, entry.problems) == (
        ident,
        "simulated",
        CHANGE,
        "kept",
        {"ipv4": BASE.to_json()},
        ["p"],
    )
    assert entry.user and entry.machine and entry.finished is not None and entry.finished >= entry.started
    assert "kept" in entry.summary() and "IPv4 execution mode: adaptive \u2192 inline" in entry.summary()


def test_unfinished_entries_are_visible(tmp_path: Path) -> None:
    history = History(tmp_path / "history.jsonl")
    history.record_started(CHANGE, "simulated")
    (entry,), _ = history.load()
    assert entry.outcome is None and "unfinished" in entry.summary()


def test_every_record_is_one_json_line(tmp_path: Path) -> None:
    history = History(tmp_path / "history.jsonl")
    ident, _ = history.record_started(CHANGE, "netsh")
    history.record_finished(ident, HistoryOutcome.REVERTED, "deadline")
    lines = history.path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["started", "finished"]


def test_missing_file_is_empty(tmp_path: Path) -> None:
    assert History(tmp_path / "none.jsonl").load() == ([], [])


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x00\xff\n",
        b"{not json}\n",
        b"[1, 2]\n",
        b'{"event": "started"}\n',
        b'{"event": "finished", "id": "nope", "outcome": "kept", "time": 1}\n',
        b'{"event": "exploded", "id": "x"}\n',
    ],
)
def test_corrupt_lines_are_set_aside_and_good_entries_kept(tmp_path: Path, garbage: bytes) -> None:
    history = History(tmp_path / "history.jsonl")
    ident, _ = history.record_started(CHANGE, "simulated")
    with open(history.path, "ab") as handle:
        handle.write(garbage)
    history.record_finished(ident, HistoryOutcome.KEPT)
    entries, notices = history.load()
    assert [e.outcome for e in entries] == ["kept"]
    assert len(notices) == 1 and "1 unreadable line(s)" in notices[0]
    (aside,) = tmp_path.glob("history.jsonl.corrupt-*")
    assert garbage in aside.read_bytes() and aside.name in notices[0]
    assert garbage not in history.path.read_bytes()
    assert history.load() == (entries, [])  # repaired: no notice the second time


def test_an_oversized_file_keeps_its_tail(tmp_path: Path) -> None:
    history = History(tmp_path / "history.jsonl")
    history.path.write_bytes(b"x" * (MAX_HISTORY_BYTES + 10) + b"\n")
    ident, _ = history.record_started(CHANGE, "simulated")
    entries, notices = history.load()
    assert [e.id for e in entries] == [ident] and notices


def disk_full_for(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Appending to ``path`` fails as on a full disk (the OS boundary: the history module's ``open``)."""
    real_open = open

    def full_disk_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "a" in mode and Path(file) == path:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(history_module, "open", full_disk_open, raising=False)


def test_write_failures_become_notices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    history = History(tmp_path / "history.jsonl")
    disk_full_for(history.path, monkeypatch)
    ident, notice = history.record_started(CHANGE, "simulated")
    assert notice is not None and "No space left on device" in notice
    assert history.record_finished(ident, HistoryOutcome.KEPT) == notice


def test_an_unwritable_folder_becomes_a_notice(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    _, notice = History(blocker / "history.jsonl").record_started(CHANGE, "simulated")
    assert notice is not None and "could not be written" in notice


def after_first_read(path: Path, action: Callable[[], object]) -> Path:
    """``path``, but the first ``read_bytes`` runs ``action`` after reading: another process acting in between."""
    done: list[bool] = []

    class Hooked(type(path)):  # type: ignore[misc]
        def read_bytes(self) -> bytes:
            data = super().read_bytes()
            if not done:
                done.append(True)
                action()
            return data

    return Hooked(path)


def test_a_repair_rereads_under_the_lock_and_keeps_what_another_process_wrote(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    ident, _ = History(path).record_started(CHANGE, "simulated")
    with open(path, "ab") as handle:
        handle.write(b"{torn line\n")

    def another_process() -> None:  # between our read and our repair: it repairs, then a trial finishes
        _, notices = History(path).load()
        assert notices and "1 unreadable line(s)" in notices[0]
        History(path).record_finished(ident, HistoryOutcome.KEPT)

    entries, notices = History(after_first_read(path, another_process)).load()
    assert [e.outcome for e in entries] == ["kept"] and notices == []  # the repair was the other one's to report
    assert len(list(tmp_path.glob("history.jsonl.corrupt-*"))) == 1  # repaired once, not twice
    assert [e.outcome for e in History(path).load()[0]] == ["kept"]  # the other process's record survives


def test_the_started_record_keeps_the_trials_store_and_older_records_still_load(tmp_path: Path) -> None:
    history = History(tmp_path / "history.jsonl")
    history.record_started(CHANGE, "simulated", Store.ACTIVE)
    old = {"event": "started", "id": "old", "time": 1.0, "user": "u", "machine": "m", "backend": "netsh"}
    with open(history.path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({**old, "requested": CHANGE.to_json()}) + "\n")
    entries, notices = history.load()
    assert notices == []
    assert [(e.store, e.requested) for e in entries] == [(Store.ACTIVE, CHANGE), (None, CHANGE)]


def test_a_started_record_with_an_unknown_store_is_unreadable(tmp_path: Path) -> None:
    history = History(tmp_path / "history.jsonl")
    record = {"event": "started", "id": "x", "time": 1.0, "user": "u", "machine": "m", "backend": "netsh"}
    history.path.write_text(json.dumps({**record, "requested": CHANGE.to_json(), "store": "cloud"}) + "\n")
    entries, notices = history.load()
    assert entries == [] and len(notices) == 1


def test_a_comparison_keeps_its_start_and_its_kept_change(tmp_path: Path) -> None:
    from app.domain.history import ComparisonStart

    inline = LoopbackSettings(ExecutionMode.INLINE, 4, True)
    start = ComparisonStart({Family.IPV4: BASE}, (("current", {Family.IPV4: BASE}), ("latency", {Family.IPV4: inline})))
    history = History(tmp_path / "history.jsonl")
    ident, _ = history.record_started(Change(), "simulated", Store.PERSISTENT, start)
    (entry,), _ = history.load()
    assert entry.comparison == start and entry.requested.is_empty and entry.outcome is None
    history.record_finished(ident, HistoryOutcome.KEPT, "kept by a comparison (latency)", requested=CHANGE)
    (entry,), notices = history.load()
    assert notices == [] and entry.requested == CHANGE and entry.stayed  # History can revert it
    assert entry.summary().endswith("comparison of 2 configurations (current, latency): " + CHANGE.describe()[0])
    assert entry.describe() == ["comparison of 2 configurations (current, latency)", *CHANGE.describe()]


@pytest.mark.parametrize(
    "comparison",
    [{"originals": {}, "configurations": []}, {"originals": {"ipv5": {}}, "configurations": []}, {"originals": 1}],
)
def test_a_malformed_comparison_record_is_an_unreadable_line(tmp_path: Path, comparison: object) -> None:
    path = tmp_path / "history.jsonl"
    history = History(path)
    history.record_started(CHANGE, "simulated")
    record = {"event": "started", "id": "x", "time": 1.0, "user": "u", "machine": "m", "backend": "simulated"}
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps({**record, "requested": {}, "comparison": comparison}) + "\n")
    entries, notices = history.load()
    assert len(entries) == 1 and "1 unreadable line" in notices[0]
