"""The machine-wide records: originals recorded once, the machine history, the simulated event log, the check."""

from __future__ import annotations

import json
import os
import sys
import types
from collections.abc import Iterator
from multiprocessing.connection import Connection, Pipe
from pathlib import Path

import pytest

from app.domain.model import ExecutionMode, Family, FamilyState, LoopbackSettings, MachineState, SettingsPatch, Store
from app.domain.outcomes import Outcome
from app.elevation.protocol import decision_message
from app.elevation.trial import Transaction
from app.simulator.machine import SIMULATED_INITIAL
from app.simulator.profile import Fault
from app.storage.machine import MachineRecords, PosixFolderGuard, WindowsFolderGuard, machine_records
from app.storage.machine_events import ChangeStage, JsonLinesEventLog, MachineEvent, MachineFolderError
from app.storage.originals import OriginalsSource, OriginalsStore, load_originals
from tests.elevation.test_transaction import Netsh

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="the simulated folder check is POSIX ownership")

WORKER = LoopbackSettings(ExecutionMode.WORKER, 2, False)
INLINE = SettingsPatch(execution_mode=ExecutionMode.INLINE)


class FakeGuard:
    """Records the calls; ``ok`` says whether the folder passes."""

    def __init__(self, ok: bool = True) -> None:
        self.ok, self.calls = ok, []  # type: tuple[bool, list[tuple[str, Path]]]

    def check(self, path: Path) -> bool:
        self.calls.append(("check", path))
        return self.ok and path.is_dir()

    def ensure(self, path: Path) -> None:
        self.calls.append(("ensure", path))
        if not self.ok:
            raise MachineFolderError(f"{path} is not admin-only")
        path.mkdir(parents=True, exist_ok=True)


def records(folder: Path, guard: object | None = None, clock: float = 1000.0) -> MachineRecords:
    g = guard if guard is not None else FakeGuard()
    return MachineRecords(
        folder,
        g,  # type: ignore[arg-type]
        JsonLinesEventLog(folder / "event-log.jsonl", g),  # type: ignore[arg-type]
        who=lambda: "alice",
        clock=lambda: clock,
    )


def state_of(values: dict[Family, LoopbackSettings]) -> MachineState:
    return MachineState({f: FamilyState(f, s, s) for f, s in values.items()})


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def pipe() -> Iterator[tuple[Connection, Connection]]:
    app_end, helper_end = Pipe()
    yield app_end, helper_end
    app_end.close()
    helper_end.close()


def test_originals_are_recorded_once_and_never_overwritten(tmp_path: Path) -> None:
    folder = tmp_path / "machine"
    records(folder, clock=1000.0).record_originals({Family.IPV4: SIMULATED_INITIAL})
    records(folder, clock=2000.0).record_originals({Family.IPV4: WORKER, Family.IPV6: WORKER})
    recorded = records(folder).read_originals()
    assert recorded[Family.IPV4] == (SIMULATED_INITIAL, 1000.0)  # the first change's before-values stay
    assert recorded[Family.IPV6] == (WORKER, 2000.0)  # a family first changed later is added, once


def test_a_folder_that_fails_the_check_is_neither_read_nor_written(tmp_path: Path) -> None:
    folder = tmp_path / "machine"
    folder.mkdir()
    (folder / "machine-originals.json").write_text(
        json.dumps({"ipv4": {"settings": WORKER.to_json(), "saved_at": 5.0}})
    )  # planted by someone who could write the folder
    bad = records(folder, FakeGuard(ok=False))
    with pytest.raises(MachineFolderError):
        bad.read_originals()
    with pytest.raises(MachineFolderError):
        bad.record_originals({Family.IPV4: SIMULATED_INITIAL})
    bad.append(MachineEvent(ChangeStage.KEPT, Family.IPV4, SIMULATED_INITIAL, WORKER, "alice", 1.0))
    assert sorted(p.name for p in folder.iterdir()) == ["machine-originals.json"]
    assert any("machine history was not written" in n for n in bad.notices)
    assert any("event log entry was not written" in n for n in bad.notices)
    # The app falls back to this user's own record, and says why.
    store = OriginalsStore(tmp_path / "user.json", bad)
    originals = load_originals(store, state_of({Family.IPV4: SIMULATED_INITIAL}))
    assert originals.values[Family.IPV4].settings == SIMULATED_INITIAL
    assert originals.values[Family.IPV4].source is OriginalsSource.USER
    assert any("were not used" in n and "not administrators" in n for n in originals.notices)


@posix_only
def test_posix_guard_creates_0755_and_refuses_a_group_writable_folder(tmp_path: Path) -> None:
    guard = PosixFolderGuard()
    folder = tmp_path / "machine"
    old = os.umask(0o077)
    try:
        guard.ensure(folder)
    finally:
        os.umask(old)
    assert folder.stat().st_mode & 0o777 == 0o755 and guard.check(folder)
    folder.chmod(0o775)
    assert not guard.check(folder)
    with pytest.raises(MachineFolderError, match="other users"):
        guard.ensure(folder)
    link = tmp_path / "link"
    link.symlink_to(folder)
    folder.chmod(0o755)
    assert not guard.check(link)


def test_windows_guard_calls_win32_security(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[tuple[str, str]] = []

    def is_admin_only(path: str, api: object = None) -> bool:
        calls.append(("is_admin_only", path))
        return False

    def create_admin_only_folder(path: str, api: object = None) -> None:
        calls.append(("create_admin_only_folder", path))
        raise OSError("exists and is not admin-only")

    fake = types.ModuleType("app.platform.win32_security")
    fake.is_admin_only = is_admin_only  # type: ignore[attr-defined]
    fake.create_admin_only_folder = create_admin_only_folder  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "app.platform.win32_security", fake)
    guard = WindowsFolderGuard()
    assert not guard.check(tmp_path)
    with pytest.raises(MachineFolderError, match="administrators only"):
        guard.ensure(tmp_path)
    assert calls == [("is_admin_only", str(tmp_path)), ("create_admin_only_folder", str(tmp_path))]


def test_the_trial_records_originals_first_then_each_stage(tmp_path: Path, pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    folder = tmp_path / "machine"
    rec = records(folder)
    changes = [(Family.IPV4, INLINE)]
    app_end.send_bytes(decision_message(True))
    outcome = Transaction(
        Netsh(), helper_end, changes, deadline_s=5.0, keep_store=Store.PERSISTENT, observer=rec.observer(changes)
    ).execute()
    assert outcome is Outcome.KEPT
    assert rec.read_originals() == {Family.IPV4: (SIMULATED_INITIAL, 1000.0)}
    after = SIMULATED_INITIAL.with_patch(INLINE)
    history = lines(folder / "machine-history.jsonl")
    assert history == [
        {
            "at": 1000.0,
            "who": "alice",
            "family": "ipv4",
            "before": SIMULATED_INITIAL.to_json(),
            "after": after.to_json(),
            "outcome": stage,
        }
        for stage in ("applied", "kept")
    ]
    log = lines(folder / "event-log.jsonl")
    assert [(e["type"], e["event_id"]) for e in log] == [("information", 101), ("information", 102)]
    assert log[1]["strings"][1:] == [
        "alice",
        "IPv4 loopback settings kept",
        SIMULATED_INITIAL.describe(),
        after.describe(),
    ]
    assert log[1]["source"] == "Loopback Tuner"


def test_reverted_and_failed_changes_are_recorded_too(tmp_path: Path, pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    folder = tmp_path / "machine"
    rec = records(folder)
    changes = [(Family.IPV4, INLINE)]
    app_end.send_bytes(decision_message(False))
    Transaction(
        Netsh(), helper_end, changes, deadline_s=5.0, keep_store=Store.ACTIVE, observer=rec.observer(changes)
    ).execute()
    failing = Netsh(faults=(Fault.SET_FAILS,))
    outcome = Transaction(
        failing, helper_end, changes, deadline_s=5.0, keep_store=Store.ACTIVE, observer=rec.observer(changes)
    ).execute()
    assert outcome is Outcome.FAILED  # every set fails, the restoring one too, but nothing changed (issue 13)
    hangs = Netsh(faults=(Fault.SET_HANGS_ONCE,))
    outcome = Transaction(
        hangs, helper_end, changes, deadline_s=5.0, keep_store=Store.ACTIVE, observer=rec.observer(changes)
    ).execute()
    assert outcome is Outcome.FAILED  # the set was killed, the restore worked
    stages = [h["outcome"] for h in lines(folder / "machine-history.jsonl")]
    assert stages == ["applied", "reverted", "failed", "failed"]
    log = lines(folder / "event-log.jsonl")
    assert [(e["type"], e["event_id"]) for e in log] == [
        ("information", 101),
        ("information", 103),
        ("warning", 201),
        ("warning", 201),
    ]


def test_an_observer_that_raises_never_stops_the_revert(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()

    def broken(stage: ChangeStage, before: object) -> None:
        raise RuntimeError("disk on fire")

    app_end.send_bytes(decision_message(False))
    outcome = Transaction(
        netsh, helper_end, [(Family.IPV4, INLINE)], deadline_s=5.0, keep_store=Store.ACTIVE, observer=broken
    ).execute()
    assert outcome is Outcome.REVERTED
    assert netsh.machine.active[Family.IPV4] == SIMULATED_INITIAL


def test_machine_originals_win_over_the_users_and_say_so(tmp_path: Path) -> None:
    folder = tmp_path / "machine"
    records(folder, clock=1000.0).record_originals({Family.IPV4: SIMULATED_INITIAL})
    # This user first read the machine after someone else's change: their "original" would be wrong.
    store = OriginalsStore(tmp_path / "user.json", records(folder))
    originals = load_originals(store, state_of({Family.IPV4: WORKER, Family.IPV6: WORKER}))
    ipv4, ipv6 = originals.values[Family.IPV4], originals.values[Family.IPV6]
    assert (ipv4.settings, ipv4.source) == (SIMULATED_INITIAL, OriginalsSource.MACHINE)
    assert ipv4.provenance.startswith("recorded for this machine on ")
    assert (ipv6.settings, ipv6.source) == (WORKER, OriginalsSource.USER)
    assert ipv6.provenance.startswith("recorded by this user on ")


def test_simulated_records_sit_beside_the_state_and_custom_has_none(tmp_path: Path) -> None:
    rec = machine_records("simulated", tmp_path / "state.json")
    assert rec is not None and rec.folder == tmp_path / "machine"
    assert isinstance(rec.guard, PosixFolderGuard)
    assert machine_records("custom", None) is None
    assert machine_records("system", None, platform="linux") is None
