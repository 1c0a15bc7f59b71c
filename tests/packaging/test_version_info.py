"""The generated version resources carry pyproject.toml's version as PyInstaller's VSVersionInfo text expects."""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
LoadModule = Callable[[str], ModuleType]

EXPECTED_FILES = {"loopback-tuner": "loopback-tuner.exe", "loopback-tuner-cli": "loopback-tuner-cli.exe"}


def _pyproject_version() -> str:
    return str(tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"])


def _four_numbers(version: str) -> tuple[int, ...]:
    match = re.match(r"\d+(?:\.\d+)*", version)
    assert match is not None
    numbers = [int(part) for part in match.group().split(".")][:4]
    return tuple(numbers + [0] * (4 - len(numbers)))


def test_version_files_match_pyproject(load_packaging: LoadModule, tmp_path: Path) -> None:
    version_info = load_packaging("version_info")
    version = _pyproject_version()

    written = version_info.write_version_files(tmp_path, REPO / "pyproject.toml")

    assert set(written) == set(EXPECTED_FILES)
    for stem, path in written.items():
        parsed = version_info.parse_version_info(path.read_text(encoding="utf-8"))
        assert parsed.filevers == parsed.prodvers == _four_numbers(version)
        assert len(parsed.filevers) == 4
        strings = parsed.strings
        assert strings["FileVersion"] == strings["ProductVersion"] == version
        assert strings["ProductName"] == "Loopback Tuner"
        assert strings["OriginalFilename"] == EXPECTED_FILES[stem]
        assert strings["InternalName"] == stem
        for key in ("CompanyName", "FileDescription", "LegalCopyright"):
            assert strings[key].strip(), key


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.1.0", (0, 1, 0, 0)),
        ("1.2", (1, 2, 0, 0)),
        ("1.2.3.4.5", (1, 2, 3, 4)),
        ("2.0rc1", (2, 0, 0, 0)),
        ("3.1.4.dev7", (3, 1, 4, 0)),
    ],
)
def test_version_tuple(load_packaging: LoadModule, version: str, expected: tuple[int, int, int, int]) -> None:
    assert load_packaging("version_info").version_tuple(version) == expected


@pytest.mark.parametrize("version", ["", "abc", "70000.1"])
def test_version_tuple_rejects(load_packaging: LoadModule, version: str) -> None:
    with pytest.raises(ValueError):
        load_packaging("version_info").version_tuple(version)


def test_strings_are_quoted_safely(load_packaging: LoadModule) -> None:
    version_info = load_packaging("version_info")
    project = version_info.ProjectInfo(version="1.0", company='O\'Brien "Labs"', license="MIT")
    text = version_info.render_version_info(project, version_info.GUI)
    assert version_info.parse_version_info(text).strings["CompanyName"] == 'O\'Brien "Labs"'


@pytest.mark.windows
@pytest.mark.skipif(sys.platform != "win32", reason="PyInstaller's versioninfo module imports only on Windows")
def test_pyinstaller_loads_the_version_file(load_packaging: LoadModule, tmp_path: Path) -> None:
    """PyInstaller's own loader (Windows-only: it needs pefile and pywin32-ctypes) accepts the file."""
    versioninfo = pytest.importorskip("PyInstaller.utils.win32.versioninfo", reason="needs the package extra")
    written = load_packaging("version_info").write_version_files(tmp_path, REPO / "pyproject.toml")
    major, minor, patch, build = _four_numbers(_pyproject_version())
    for path in written.values():
        info = versioninfo.load_version_info_from_text_file(str(path))
        assert info.ffi.fileVersionMS == (major << 16) | minor
        assert info.ffi.fileVersionLS == (patch << 16) | build
        assert len(info.toRaw()) > 0
