"""make_runner's three runners and their exact arguments, where the Windows build comes from for each backend,
and the code page a custom netsh is read in, through recording stand-ins and the fake Win32 layer (in-process, so
mutmut sees them)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest

from app.platform import win32_version, windows
from app.runners import factory, subprocess_runner
from app.runners.factory import Backend, BackendKind, make_runner, windows_build_source
from app.simulator.runner import SimulatedRunner
from app.simulator.store import SimStateFile
from tests.platform.test_windows import FakeWin32Api


class Recorder:
    """Stands in for SubprocessRunner: records the program and the keyword arguments."""

    made: ClassVar[list[tuple[tuple[str, ...], dict[str, Any]]]] = []

    def __init__(self, program: list[str], **kwargs: Any) -> None:
        Recorder.made.append((tuple(program), kwargs))


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    Recorder.made = []
    monkeypatch.setattr(subprocess_runner, "SubprocessRunner", Recorder)
    return Recorder.made


@pytest.fixture
def on_windows(monkeypatch: pytest.MonkeyPatch) -> FakeWin32Api:
    api = FakeWin32Api(system_root=r"E:\Sys", oem_cp=852)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(windows, "default_api", lambda: api)
    return api


def test_a_simulated_backend_gets_the_simulated_runner_on_its_state_file(tmp_path: Path) -> None:
    state = tmp_path / "sim.json"
    runner = make_runner(Backend(BackendKind.SIMULATED, state=state), as_admin=True, timeout_s=2.5)
    assert isinstance(runner, SimulatedRunner)
    assert (runner.state.path, runner.as_admin, runner.timeout_s) == (state, True, 2.5)
    plain = make_runner(Backend(BackendKind.SIMULATED, state=state))
    assert isinstance(plain, SimulatedRunner)
    assert (plain.as_admin, plain.timeout_s) == (False, 15.0)


def test_a_simulated_backend_without_a_state_file_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^not a simulated backend$"):
        make_runner(Backend(BackendKind.SIMULATED))


def test_a_custom_netsh_runs_by_its_path_off_windows_in_utf8(
    recorded: list[tuple[tuple[str, ...], dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    make_runner(Backend(BackendKind.CUSTOM, netsh=Path("/opt/fake netsh")), timeout_s=3.0)
    make_runner(Backend(BackendKind.CUSTOM, netsh=Path("/opt/n")))
    assert recorded == [
        (("/opt/fake netsh",), {"timeout_s": 3.0, "codepage": None, "label": "netsh at /opt/fake netsh (custom)"}),
        (("/opt/n",), {"timeout_s": 15.0, "codepage": None, "label": "netsh at /opt/n (custom)"}),
    ]


def test_a_custom_netsh_on_windows_is_read_in_the_oem_code_page(
    recorded: list[tuple[tuple[str, ...], dict[str, Any]]], on_windows: FakeWin32Api
) -> None:
    make_runner(Backend(BackendKind.CUSTOM, netsh=Path("/n")), timeout_s=1.0)
    assert recorded == [(("/n",), {"timeout_s": 1.0, "codepage": 852, "label": "netsh at /n (custom)"})]
    assert on_windows.calls == [("get_oem_cp", ())]


def test_a_custom_backend_without_a_program_is_a_programming_error() -> None:
    with pytest.raises(AssertionError):
        make_runner(Backend(BackendKind.CUSTOM))


def test_the_system_backend_runs_system32_netsh_with_the_given_timeout(
    recorded: list[tuple[tuple[str, ...], dict[str, Any]]], on_windows: FakeWin32Api
) -> None:
    make_runner(Backend(BackendKind.SYSTEM), timeout_s=4.0)
    make_runner(Backend(BackendKind.SYSTEM))
    program = (str(windows.netsh_path(on_windows)),)  # type: ignore[arg-type]
    rest = {"codepage": 852, "env": {"SystemRoot": r"E:\Sys", "PATH": r"E:\Sys\System32"}, "cwd": r"E:\Sys\System32"}
    assert recorded == [(program, {"timeout_s": 4.0, **rest}), (program, {"timeout_s": 15.0, **rest})]


def test_the_child_code_page_is_the_oem_one_as_an_int() -> None:
    api = FakeWin32Api(oem_cp=866, console_cp=65001)
    assert factory._child_codepage(api) == 866
    assert api.calls == [("get_oem_cp", ())]


def test_the_windows_code_page_is_none_off_windows_and_never_asks(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeWin32Api()
    monkeypatch.setattr(windows, "default_api", lambda: api)
    monkeypatch.setattr(sys, "platform", "linux")
    assert factory._windows_codepage() is None
    assert api.calls == []


def test_the_windows_code_page_on_windows_asks_the_default_api(on_windows: FakeWin32Api) -> None:
    assert factory._windows_codepage() == 852


def test_the_simulated_build_comes_from_the_profile_each_time(tmp_path: Path) -> None:
    store = SimStateFile(tmp_path / "sim.json")
    source = windows_build_source(Backend(BackendKind.SIMULATED, state=store.path))

    def set_build(number: int) -> None:
        def change(machine: Any) -> None:
            machine.profile = dataclasses.replace(machine.profile, build=number)

        store.update(change)

    set_build(17134)
    assert source() == 17134
    set_build(19045)
    assert source() == 19045


def test_the_system_build_comes_from_rtlgetversion_and_a_custom_one_is_unknown(tmp_path: Path) -> None:
    assert windows_build_source(Backend(BackendKind.SYSTEM)) is win32_version.system_build
    assert windows_build_source(Backend(BackendKind.CUSTOM, netsh=tmp_path / "n"))() is None
    with pytest.raises(ValueError, match=r"^not a simulated backend$"):
        windows_build_source(Backend(BackendKind.SIMULATED))
