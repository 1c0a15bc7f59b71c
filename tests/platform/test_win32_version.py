"""The Windows build number through RtlGetVersion, faked at the raw call: the exact argument is asserted."""

from __future__ import annotations

import sys

import pytest

from app.platform import win32_version as v


class FakeVersionApi:
    """Records each RtlGetVersion call; answers ``status`` and ``version`` or raises ``error``."""

    def __init__(self, status: int = 0, version: v.OsVersion | None = None, error: OSError | None = None) -> None:
        self.calls: list[tuple[str, int]] = []
        self.status, self.error = status, error
        self.version = version if version is not None else v.OsVersion(10, 0, 22631, 2)

    def RtlGetVersion(self, info_size: int) -> tuple[int, v.OsVersion]:  # noqa: N802
        self.calls.append(("RtlGetVersion", info_size))
        if self.error is not None:
            raise self.error
        return self.status, self.version


def test_the_size_is_that_of_rtl_osversioninfow() -> None:
    # ULONG dwOSVersionInfoSize, dwMajorVersion, dwMinorVersion, dwBuildNumber, dwPlatformId; WCHAR szCSDVersion[128]
    assert v.RTL_OSVERSIONINFOW_SIZE == 276


@pytest.mark.parametrize("build", [17134, 17763, 22631, 26100])
def test_the_build_comes_from_one_call_with_the_structure_size(build: int) -> None:
    api = FakeVersionApi(version=v.OsVersion(10, 0, build, 2))
    assert v.windows_build(api) == build
    assert api.calls == [("RtlGetVersion", 276)]


def test_an_old_windows_reports_its_build_too() -> None:
    assert v.windows_build(FakeVersionApi(version=v.OsVersion(6, 3, 9600, 2))) == 9600  # Windows 8.1


@pytest.mark.parametrize(
    "api",
    [
        FakeVersionApi(status=-1073741811),  # STATUS_INVALID_PARAMETER (0xC000000D) as a signed NTSTATUS
        FakeVersionApi(status=1),
        FakeVersionApi(version=v.OsVersion(10, 0, 0, 2)),
        FakeVersionApi(error=OSError("ntdll could not be loaded")),
    ],
    ids=["failure-status", "non-success-status", "zero-build", "os-error"],
)
def test_a_build_windows_does_not_give_is_unknown_never_old(api: FakeVersionApi) -> None:
    assert v.windows_build(api) is None
    assert api.calls == [("RtlGetVersion", 276)]


@pytest.mark.skipif(sys.platform == "win32", reason="off Windows only")
def test_off_windows_the_build_is_unknown() -> None:
    with pytest.raises(OSError):
        v.CtypesVersionApi()
    assert v.system_build() is None


@pytest.mark.windows
@pytest.mark.skipif(sys.platform != "win32", reason="needs Windows")
def test_the_real_call_gives_this_machines_build() -> None:
    import ctypes

    assert ctypes.sizeof(v._RtlOsVersionInfoW) == v.RTL_OSVERSIONINFOW_SIZE
    assert v.system_build() == sys.getwindowsversion().build
