"""The one place that picks the backend: environment, options, platform."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from app.domain.errors import ValidationError
from app.paths import AppPaths
from app.runners.factory import (
    ENV_NETSH,
    Backend,
    BackendKind,
    choose_backend,
    make_runner,
    process_is_elevated,
    sim_state,
)
from app.runners.subprocess_runner import SubprocessRunner
from app.simulator.runner import SimulatedRunner

LINUX = "linux"


def test_default_off_windows_is_the_simulated_machine_in_the_user_folder(paths: AppPaths) -> None:
    backend = choose_backend(environ={}, platform=LINUX)
    assert backend == Backend(BackendKind.SIMULATED, state=paths.simulated_state)
    assert backend.is_simulated
    assert choose_backend(environ={}, platform="darwin").kind is BackendKind.SIMULATED


def test_default_on_windows_is_the_system_netsh() -> None:
    assert choose_backend(environ={}, platform="win32") == Backend(BackendKind.SYSTEM)


def test_the_environment_variable_selects_a_custom_netsh_on_any_platform(tmp_path: Path) -> None:
    for platform in (LINUX, "win32"):
        backend = choose_backend(environ={ENV_NETSH: str(tmp_path / "fake")}, platform=platform)
        assert backend == Backend(BackendKind.CUSTOM, netsh=tmp_path / "fake")


def test_the_real_environment_is_read_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_NETSH, str(tmp_path / "fake"))
    assert choose_backend(platform=LINUX).netsh == tmp_path / "fake"


def test_netsh_option_wins_over_the_environment(tmp_path: Path) -> None:
    backend = choose_backend(netsh=str(tmp_path / "opt"), environ={ENV_NETSH: "/env/netsh"}, platform=LINUX)
    assert backend.netsh == tmp_path / "opt"


def test_relative_netsh_path_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    backend = choose_backend(netsh="bin/netsh", environ={}, platform=LINUX)
    assert backend.netsh == tmp_path / "bin" / "netsh"
    assert backend.netsh.is_absolute()
    # A bare name is a path in the current folder, never a lookup on PATH.
    assert choose_backend(netsh="netsh", environ={}, platform=LINUX).netsh == tmp_path / "netsh"


def test_backend_netsh_with_the_option_is_a_custom_netsh(tmp_path: Path) -> None:
    backend = choose_backend(backend="netsh", netsh=str(tmp_path / "n"), environ={}, platform=LINUX)
    assert backend.kind is BackendKind.CUSTOM


def test_backend_netsh_off_windows_is_refused() -> None:
    with pytest.raises(ValidationError, match="only on Windows"):
        choose_backend(backend="netsh", environ={}, platform=LINUX)


def test_backend_simulated_ignores_the_environment_variable(tmp_path: Path) -> None:
    backend = choose_backend(backend="simulated", environ={ENV_NETSH: "/env/netsh"}, platform="win32")
    assert backend.kind is BackendKind.SIMULATED


def test_state_option_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    backend = choose_backend(state="s.json", environ={}, platform=LINUX)
    assert backend.state == tmp_path / "s.json"


@pytest.mark.parametrize(
    "options",
    [
        {"backend": "simulated", "netsh": "/x/netsh"},
        {"backend": "netsh", "state": "s.json"},
        {"netsh": "/x/netsh", "state": "s.json"},
        {"backend": "powershell"},
    ],
)
def test_conflicts_are_rejected(options: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        choose_backend(environ={}, platform=LINUX, **options)


def test_state_with_the_environment_variable_is_rejected() -> None:
    with pytest.raises(ValidationError, match="--state only applies"):
        choose_backend(state="s.json", environ={ENV_NETSH: "/x/netsh"}, platform=LINUX)


def test_make_runner_for_each_backend(tmp_path: Path) -> None:
    simulated = make_runner(Backend(BackendKind.SIMULATED, state=tmp_path / "s.json"), as_admin=True, timeout_s=3)
    assert isinstance(simulated, SimulatedRunner) and simulated.as_admin and simulated.timeout_s == 3
    assert simulated.state.path == tmp_path / "s.json"
    custom = make_runner(Backend(BackendKind.CUSTOM, netsh=tmp_path / "n"))
    assert isinstance(custom, SubprocessRunner) and custom.program == (str(tmp_path / "n"),)
    assert "custom" in custom.description


def test_sim_state_only_for_the_simulated_backend(tmp_path: Path) -> None:
    assert sim_state(Backend(BackendKind.SIMULATED, state=tmp_path / "s.json")).path == tmp_path / "s.json"
    with pytest.raises(ValueError):
        sim_state(Backend(BackendKind.CUSTOM, netsh=tmp_path / "n"))


def test_an_elevated_process_refuses_a_custom_netsh_from_the_environment_or_options(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="administrator rights: refused"):
        choose_backend(environ={"LOOPBACK_TUNER_NETSH": str(tmp_path / "evil.exe")}, platform="win32", elevated=True)
    with pytest.raises(ValidationError, match="--netsh names a program"):
        choose_backend(netsh=str(tmp_path / "evil.exe"), environ={}, platform="win32", elevated=True)
    # The real netsh and the simulated machine stay available to an elevated process.
    assert choose_backend(environ={}, platform="win32", elevated=True).kind is BackendKind.SYSTEM
    assert (
        choose_backend(
            backend="simulated",
            environ={"LOOPBACK_TUNER_NETSH": "x"},
            platform="win32",
            elevated=True,
            state=str(tmp_path / "s.json"),
        ).kind
        is BackendKind.SIMULATED
    )
    # Not elevated: the custom program is the user's own business.
    assert (
        choose_backend(environ={"LOOPBACK_TUNER_NETSH": "x"}, platform="win32", elevated=False).kind
        is BackendKind.CUSTOM
    )


# --- the elevation check, with an injected Win32Api: it fails safe ------------------------------------------------


class _TokenApi:
    """A Win32Api whose token query answers ``elevated``, or fails (OSError) when it is None."""

    def __init__(self, elevated: bool | None) -> None:
        self.elevated, self.calls = elevated, 0

    def is_process_elevated(self) -> bool:
        self.calls += 1
        if self.elevated is None:
            raise OSError(None, "OpenProcessToken failed: Access is denied.", None, 5)
        return self.elevated


@pytest.mark.parametrize(("answer", "expected"), [(True, True), (False, False), (None, True)])
def test_the_elevation_check_asks_windows_and_assumes_elevated_when_it_cannot_tell(
    answer: bool | None, expected: bool
) -> None:
    api = _TokenApi(answer)
    assert process_is_elevated("win32", api=api) is expected  # type: ignore[arg-type]
    assert api.calls == 1


def test_the_elevation_check_asks_nothing_off_windows() -> None:
    api = _TokenApi(None)
    assert process_is_elevated("linux", api=api) is False  # type: ignore[arg-type]
    assert api.calls == 0


@pytest.mark.parametrize(("answer", "refused"), [(True, True), (None, True), (False, False)])
def test_a_custom_netsh_is_refused_when_windows_says_elevated_or_cannot_tell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: bool | None, refused: bool
) -> None:
    # choose_backend's own default path (elevated=None): the answer comes from the token query.
    import app.platform.windows as windows

    api = _TokenApi(answer)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(windows, "default_api", lambda: api)
    options: dict[str, Any] = {"netsh": str(tmp_path / "netsh.exe"), "environ": {}, "platform": "win32"}
    if refused:
        with pytest.raises(ValidationError, match="administrator rights: refused"):
            choose_backend(**options)
    else:
        assert choose_backend(**options).kind is BackendKind.CUSTOM
    assert api.calls == 1


def test_a_backend_is_an_immutable_value(tmp_path: Path) -> None:
    one = Backend(BackendKind.SIMULATED, state=tmp_path / "a.json")
    same = Backend(BackendKind.SIMULATED, None, tmp_path / "a.json")
    assert one == same and hash(one) == hash(same) and len({one, same}) == 1
    for other in (
        Backend(BackendKind.SIMULATED, state=tmp_path / "b.json"),
        Backend(BackendKind.CUSTOM, netsh=tmp_path / "a.json"),
        Backend(BackendKind.CAPTURE, capture=tmp_path / "a.json"),
        Backend(BackendKind.SYSTEM),
    ):
        assert one != other
    assert one != (BackendKind.SIMULATED, None, tmp_path / "a.json", None)  # never equal to a bare tuple
    assert repr(Backend(BackendKind.SYSTEM)) == (
        "Backend(kind=<BackendKind.SYSTEM: 'system'>, netsh=None, state=None, capture=None)"
    )
    with pytest.raises(AttributeError, match="immutable"):
        one.state = tmp_path / "b.json"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del one.kind
    assert one.is_simulated and not Backend(BackendKind.SYSTEM).is_simulated
