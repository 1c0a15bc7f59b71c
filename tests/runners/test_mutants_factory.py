"""The backend choice's refusals word for word, the elevation check both ways (and failing safe when Windows cannot
tell), and the system netsh runner's program, environment and folder, through injected fakes."""

from __future__ import annotations

import sys
from pathlib import Path, PureWindowsPath
from typing import Any, ClassVar

import pytest

from app.domain.errors import ValidationError
from app.platform import windows
from app.runners import factory, subprocess_runner
from app.runners.factory import ENV_NETSH, Backend, BackendKind, choose_backend, process_is_elevated, sim_state
from tests.platform.test_windows import FakeWin32Api


def refused(**kwargs: Any) -> str:
    kwargs.setdefault("environ", {})
    with pytest.raises(ValidationError) as info:
        choose_backend(**kwargs)
    return str(info.value)


def test_each_refusal_names_the_conflict() -> None:
    assert refused(backend="wsl") == "--backend must be netsh or simulated, got 'wsl'"
    assert refused(backend="simulated", netsh="/x") == "--netsh cannot be combined with --backend simulated"
    assert refused(backend="netsh", state="s.json", platform="win32") == "--state only applies to the simulated backend"
    assert refused(netsh="/x", state="s.json", elevated=False) == "--state only applies to the simulated backend"
    assert refused(backend="netsh", platform="linux") == (
        "the real netsh exists only on Windows; use --backend simulated or --netsh PATH"
    )


def test_a_custom_netsh_is_refused_in_an_elevated_process_naming_where_it_came_from() -> None:
    tail = " names a program to run as netsh, and this process has administrator rights: refused. " + (
        "Run it without administrator rights, or use the real netsh."
    )
    assert refused(netsh="/x", elevated=True) == "--netsh" + tail
    assert refused(environ={ENV_NETSH: "/x"}, elevated=True) == f"{ENV_NETSH} (set in the environment)" + tail
    assert choose_backend(netsh="/x", environ={}, elevated=False) == Backend(BackendKind.CUSTOM, netsh=Path("/x"))


@pytest.fixture
def on_windows(monkeypatch: pytest.MonkeyPatch) -> FakeWin32Api:
    """sys.platform says win32 and the Win32 layer is the recording fake."""
    api = FakeWin32Api()
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(windows, "default_api", lambda: api)
    return api


def test_the_elevation_check_asks_windows_both_ways(on_windows: FakeWin32Api) -> None:
    on_windows.elevated = True
    assert process_is_elevated("win32") is True
    on_windows.elevated = False
    assert process_is_elevated("win32") is False
    assert ("is_process_elevated", ()) in on_windows.calls


def test_the_elevation_check_fails_safe_when_windows_cannot_tell(
    on_windows: FakeWin32Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cannot_tell(api: object) -> bool:
        raise OSError("GetTokenInformation failed")

    monkeypatch.setattr(windows, "is_elevated", cannot_tell)
    assert process_is_elevated("win32") is True
    assert refused(netsh="/x", platform="win32").startswith("--netsh names a program to run as netsh")


def test_the_elevation_check_is_false_when_either_platform_is_not_windows(on_windows: FakeWin32Api) -> None:
    on_windows.elevated = True
    assert process_is_elevated("linux") is False
    assert on_windows.calls == []


def test_choose_backend_asks_the_check_with_its_platform_when_not_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(factory, "process_is_elevated", lambda platform: asked.append(platform) or True)
    assert refused(netsh="/x", platform="win32").startswith("--netsh names")
    assert asked == ["win32"]
    assert choose_backend(netsh="/x", environ={}, elevated=False).kind is BackendKind.CUSTOM
    assert asked == ["win32"]  # told: not asked again


def test_sim_state_refuses_other_backends_and_a_simulated_one_without_a_file() -> None:
    for backend in (Backend(BackendKind.SYSTEM, state=Path("/s.json")), Backend(BackendKind.SIMULATED)):
        with pytest.raises(ValueError, match=r"^not a simulated backend$"):
            sim_state(backend)


class Recorder:
    made: ClassVar[list[tuple[tuple[str, ...], dict[str, Any]]]] = []

    def __init__(self, program: list[str], **kwargs: Any) -> None:
        Recorder.made.append((tuple(program), kwargs))


def test_the_system_netsh_runs_by_its_system32_path_with_a_minimal_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    Recorder.made = []
    monkeypatch.setattr(subprocess_runner, "SubprocessRunner", Recorder)
    api = FakeWin32Api(system_root=r"D:\Win", oem_cp=850)
    factory.system_netsh_runner(api, timeout_s=9.0)  # type: ignore[arg-type]
    system32 = str(PureWindowsPath(r"D:\Win", "System32"))
    assert Recorder.made == [
        (
            (str(windows.netsh_path(api)),),  # type: ignore[arg-type]
            {"timeout_s": 9.0, "codepage": 850, "env": {"SystemRoot": r"D:\Win", "PATH": system32}, "cwd": system32},
        )
    ]
    assert system32 == r"D:\Win\System32"
