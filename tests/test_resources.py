"""app.resources finds the resources folder in a checkout, an installed wheel and a PyInstaller bundle."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from app import resources

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def not_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)


@pytest.fixture
def wheel_layout(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, not_frozen: None) -> Path:
    """``app`` installed in site-packages, its data files under the scheme's data path: returns that data path."""
    site_packages = tmp_path / "venv" / "lib" / "site-packages"
    (site_packages / "app").mkdir(parents=True)
    monkeypatch.setattr(resources, "PACKAGE_DIR", site_packages / "app")
    data = tmp_path / "venv"
    user_data = tmp_path / "user"

    def get_path(name: str, scheme: str | None = None, *args: object, **kwargs: object) -> str:
        assert name == "data"
        return str(user_data if scheme == sysconfig.get_preferred_scheme("user") else data)

    monkeypatch.setattr(sysconfig, "get_path", get_path)
    return data


def _put(folder: Path, name: str = "icon.svg") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("<svg/>", encoding="utf-8")
    return path


# --- source checkout / editable install ------------------------------------------------------


@pytest.mark.usefixtures("not_frozen")
def test_checkout_uses_repo_resources() -> None:
    assert resources.resources_dir() == REPO / "resources"
    assert resources.resource_path("icon.svg") == REPO / "resources" / "icon.svg"
    assert resources.candidate_dirs()[0] == REPO / "resources"


def test_checkout_needs_a_pyproject_beside_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A stray ``site-packages/resources`` folder is never mistaken for a checkout's."""
    monkeypatch.delattr(sys, "frozen", raising=False)
    (tmp_path / "app").mkdir()
    _put(tmp_path / "resources")
    monkeypatch.setattr(resources, "PACKAGE_DIR", tmp_path / "app")
    assert tmp_path / "resources" not in resources.candidate_dirs()
    (tmp_path / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    assert resources.candidate_dirs()[0] == tmp_path / "resources"


# --- installed wheel -------------------------------------------------------------------------


def test_wheel_uses_the_data_files_folder(wheel_layout: Path) -> None:
    icon = _put(wheel_layout.joinpath(*resources.WHEEL_DATA_SUBDIR.parts))
    assert resources.resource_path("icon.svg") == icon
    assert resources.resources_dir() == icon.parent


def test_wheel_installed_with_user_scheme(wheel_layout: Path) -> None:
    icon = _put(wheel_layout.parent.joinpath("user", *resources.WHEEL_DATA_SUBDIR.parts))
    assert resources.resource_path("icon.svg") == icon


def test_wheel_without_resources_names_every_place(wheel_layout: Path) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        resources.resources_dir()
    message = str(caught.value)
    assert str(wheel_layout.joinpath(*resources.WHEEL_DATA_SUBDIR.parts)) in message
    assert "user" in message


# --- PyInstaller bundle ----------------------------------------------------------------------


def test_frozen_uses_meipass(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bundle = tmp_path / "dist" / "loopback-tuner" / "_internal"
    icon = _put(bundle / "resources")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert resources.candidate_dirs() == [bundle / "resources"]
    assert resources.resource_path("icon.svg") == icon


def test_frozen_never_falls_back_to_a_checkout(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    with pytest.raises(FileNotFoundError, match="resources folder was not found") as caught:
        resources.resource_path("icon.svg")
    assert str(tmp_path / "resources") in str(caught.value)


def test_frozen_without_meipass_uses_the_executable_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "loopback-tuner.exe"))
    assert resources.candidate_dirs() == [tmp_path / "resources"]


# --- names -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("not_frozen")
def test_missing_file_names_the_path() -> None:
    with pytest.raises(FileNotFoundError, match=r"no-such-file\.json") as caught:
        resources.resource_path("no-such-file.json")
    assert str(REPO / "resources") in str(caught.value)


@pytest.mark.usefixtures("not_frozen")
def test_nested_names_use_forward_slashes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    qm = _put(tmp_path / "resources" / "translations", "app_de.qm")
    monkeypatch.setattr(resources, "PACKAGE_DIR", tmp_path / "app")
    assert resources.resource_path("translations/app_de.qm") == qm
    assert resources.resource_path("translations\\app_de.qm") == qm


@pytest.mark.parametrize(
    "name", ["", ".", "../pyproject.toml", "a/../../b", "/etc/passwd", "C:\\x", "C:x", "\\\\srv\\s"]
)
def test_rejects_names_outside_the_folder(name: str) -> None:
    with pytest.raises(ValueError, match="invalid resource name"):
        resources.resource_path(name)


def test_imports_no_qt() -> None:
    code = "import sys, app.resources; sys.exit(any(m.startswith(('PySide6', 'shiboken6')) for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, check=False).returncode == 0
