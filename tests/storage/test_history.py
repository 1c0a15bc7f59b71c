"""The append-only history: records, corrupt lines set aside, write failures as notices."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from app.domain.model import Change, ExecutionMode, Family, FamilyChange, LoopbackSettings
from app.storage.history import MAX_HISTORY_BYTES, History

BASE = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)
CHANGE = Change((FamilyChange(Family.IPV4, BASE, LoopbackSettings(ExecutionMode.INLINE, 4, True)),))


def test_started_and_finished_make_one_entry(tmp_path: Path) -> None:
    history = History(tmp_path / "sub" / "history.jsonl")
    ident, notice = history.record_started(CHANGE, "simulated")
    assert notice is None
    assert history.record_finished(ident, "kept", "", {"ipv4": BASE.to_json()}, ["p"]) is None
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
    history.record_finished(ident, "reverted", "deadline")
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
    history.record_finished(ident, "kept")
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


def test_write_failures_become_notices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    history = History(tmp_path / "history.jsonl")

    def full(self: History, record: dict[str, object]) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(History, "_append", full)
    ident, notice = history.record_started(CHANGE, "simulated")
    assert notice is not None and "No space left on device" in notice
    assert history.record_finished(ident, "kept") == notice


def test_an_unwritable_folder_becomes_a_notice(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    _, notice = History(blocker / "history.jsonl").record_started(CHANGE, "simulated")
    assert notice is not None and "could not be written" in notice
