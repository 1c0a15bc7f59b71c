"""The Win32 boundary of the machine-wide records, faked at the raw calls: the exact arguments are asserted."""

from __future__ import annotations

import ctypes
import sys
from pathlib import Path

import pytest

from app.domain.model import ExecutionMode, Family, LoopbackSettings
from app.platform import win32_machine as w
from app.simulator.machine import SIMULATED_INITIAL
from app.storage.machine import WindowsFolderGuard, machine_records
from app.storage.machine_events import ChangeStage, MachineEvent, WindowsEventLog

WORKER = LoopbackSettings(ExecutionMode.WORKER, 2, False)


class FakeApi:
    """Records each raw call with its arguments."""

    def __init__(self, *, program_data: str = "C:\\ProgramData", report_ok: bool = True, handle: int = 77) -> None:
        self.calls: list[tuple[object, ...]] = []
        self.program_data, self.report_ok, self.handle = program_data, report_ok, handle

    def SHGetKnownFolderPath(self, rfid: str, flags: int, token: int | None) -> str:  # noqa: N802
        self.calls.append(("SHGetKnownFolderPath", rfid, flags, token))
        return self.program_data

    def GetUserNameW(self) -> str:  # noqa: N802
        self.calls.append(("GetUserNameW",))
        return "Administrator"

    def RegisterEventSourceW(self, server: str | None, source: str) -> int:  # noqa: N802
        self.calls.append(("RegisterEventSourceW", server, source))
        return self.handle

    def ReportEventW(  # noqa: N802
        self,
        handle: int,
        event_type: int,
        category: int,
        event_id: int,
        user_sid: int | None,
        num_strings: int,
        data_size: int,
        strings: tuple[str, ...],
        raw_data: bytes | None,
    ) -> bool:
        call = ("ReportEventW", handle, event_type, category, event_id, user_sid, num_strings, data_size, strings)
        self.calls.append((*call, raw_data))
        return self.report_ok

    def DeregisterEventSource(self, handle: int) -> bool:  # noqa: N802
        self.calls.append(("DeregisterEventSource", handle))
        return True


def test_constants_match_the_sdk() -> None:
    assert w.FOLDERID_PROGRAM_DATA == "{62AB5D82-FDC1-4DC3-A9DD-070D1D495D97}"
    assert (w.EVENTLOG_ERROR_TYPE, w.EVENTLOG_WARNING_TYPE, w.EVENTLOG_INFORMATION_TYPE) == (1, 2, 4)
    assert w.EVENT_SOURCE == "Loopback Tuner"


def test_the_known_folder_is_used_not_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ProgramData", "C:\\Users\\mallory\\fake")
    monkeypatch.setenv("ALLUSERSPROFILE", "C:\\Users\\mallory\\fake")
    api = FakeApi(program_data="D:\\Data")
    assert w.machine_folder(api) == "D:\\Data\\LoopbackTuner"
    assert api.calls == [("SHGetKnownFolderPath", "{62AB5D82-FDC1-4DC3-A9DD-070D1D495D97}", 0, None)]


def test_system_backend_records_go_to_program_data_with_the_acl_guard() -> None:
    api = FakeApi()
    rec = machine_records("system", None, platform="win32", api=api)
    assert rec is not None
    assert str(rec.folder).replace("/", "\\") == "C:\\ProgramData\\LoopbackTuner"
    assert isinstance(rec.guard, WindowsFolderGuard) and isinstance(rec.event_log, WindowsEventLog)


def test_report_event_makes_exactly_these_calls() -> None:
    api = FakeApi()
    event = MachineEvent(ChangeStage.KEPT, Family.IPV4, SIMULATED_INITIAL, WORKER, "Administrator", 1.0)
    WindowsEventLog(api).write(event)
    strings = (
        f"Administrator: IPv4 loopback settings kept; before: {SIMULATED_INITIAL.describe()}; "
        f"after: {WORKER.describe()}",
        "Administrator",
        "IPv4 loopback settings kept",
        SIMULATED_INITIAL.describe(),
        WORKER.describe(),
    )
    assert api.calls == [
        ("RegisterEventSourceW", None, "Loopback Tuner"),
        ("ReportEventW", 77, w.EVENTLOG_INFORMATION_TYPE, 0, 102, None, 5, 0, strings, None),
        ("DeregisterEventSource", 77),
    ]


def test_a_failed_change_is_a_warning_and_a_failed_report_still_deregisters() -> None:
    api = FakeApi(report_ok=False)
    event = MachineEvent(ChangeStage.REVERT_FAILED, Family.IPV6, SIMULATED_INITIAL, WORKER, "SYSTEM", 1.0)
    with pytest.raises(OSError, match="ReportEventW"):
        WindowsEventLog(api).write(event)
    report = api.calls[1]
    assert report[0] == "ReportEventW" and report[2] == w.EVENTLOG_WARNING_TYPE and report[4] == 202
    assert api.calls[-1] == ("DeregisterEventSource", 77)


def test_an_unregistered_handle_is_an_error_and_nothing_is_reported() -> None:
    api = FakeApi(handle=0)
    with pytest.raises(OSError, match="RegisterEventSourceW"):
        w.report_event(api, w.EVENTLOG_INFORMATION_TYPE, 101, ("x",))
    assert [c[0] for c in api.calls] == ["RegisterEventSourceW"]


def test_account_name_comes_from_the_token() -> None:
    api = FakeApi()
    assert w.account_name(api) == "Administrator" and api.calls == [("GetUserNameW",)]


def test_guid_layout() -> None:
    guid = w.guid(w.FOLDERID_PROGRAM_DATA)
    assert ctypes.sizeof(guid) == 16
    assert (guid.Data1, guid.Data2, guid.Data3) == (0x62AB5D82, 0xFDC1, 0x4DC3)
    assert bytes(guid.Data4) == bytes.fromhex("A9DD070D1D495D97")


def test_the_ctypes_api_refuses_other_platforms() -> None:
    if sys.platform == "win32":
        pytest.skip("this is Windows")
    with pytest.raises(OSError):
        w.CtypesMachineApi()


@pytest.mark.windows
@pytest.mark.skipif(sys.platform != "win32", reason="needs a real Windows machine")
def test_real_program_data_and_account() -> None:
    api = w.CtypesMachineApi()
    folder = Path(w.machine_folder(api))
    assert folder.parent.is_dir() and folder.name == "LoopbackTuner"
    assert w.account_name(api)


def test_the_installer_registers_the_source_the_helper_writes_with() -> None:
    from app.storage.machine_events import EVENT_IDS

    script = (Path(__file__).resolve().parents[2] / "packaging" / "installer.iss").read_text(encoding="utf-8")
    section = script.split("[Registry]", 1)[1].split("\n[", 1)[0]
    key = f'Root: HKLM; Subkey: "SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\{w.EVENT_SOURCE}"'
    rows = [line for line in section.splitlines() if line.startswith("Root:")]
    assert rows and all(row.startswith(key + ";") for row in rows)
    assert any(row.endswith("Flags: uninsdeletekey") for row in rows)  # the uninstaller removes it
    assert any(
        'ValueType: expandsz; ValueName: "EventMessageFile"; ValueData: "%SystemRoot%\\System32\\EventCreate.exe"'
        in row
        for row in rows
    )
    assert all(1 <= event_id <= 1000 for event_id in EVENT_IDS.values())  # EventCreate.exe's message range
