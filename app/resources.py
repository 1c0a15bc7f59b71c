"""Find runtime resources (icon, defaults table, translations) in a checkout, an installed wheel or a frozen build."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath

__all__ = ["WHEEL_DATA_SUBDIR", "candidate_dirs", "resource_path", "resources_dir"]

# Where the wheel installs the repository's top-level ``resources/`` folder, relative to the
# install scheme's ``data`` path (``[tool.setuptools.data-files]`` in pyproject.toml).
WHEEL_DATA_SUBDIR = PurePosixPath("share", "loopback-tuner", "resources")

_RESOURCES = "resources"
PACKAGE_DIR = Path(__file__).resolve().parent  # the app package: a checkout has pyproject.toml beside it


def _frozen_dir() -> Path | None:
    """The bundle's resources folder when running from a PyInstaller build, else None."""
    if not getattr(sys, "frozen", False):
        return None
    # PyInstaller sets _MEIPASS to the folder holding the collected files (``_internal`` in a onedir build).
    bundle = getattr(sys, "_MEIPASS", None)
    base = Path(str(bundle)) if bundle else Path(sys.executable).resolve().parent
    return base / _RESOURCES


def _checkout_dir() -> Path:
    """``<repo>/resources`` for a source checkout or an editable install."""
    return PACKAGE_DIR.parent / _RESOURCES


def _is_checkout() -> bool:
    # site-packages has no pyproject.toml, so a stray ``site-packages/resources`` folder is never taken for ours.
    return (PACKAGE_DIR.parent / "pyproject.toml").is_file()


def _wheel_dirs() -> list[Path]:
    """The data-files locations of a wheel install: the interpreter's scheme, then the per-user scheme."""
    import sysconfig  # only when no nearer folder has the resources (not in a checkout or a frozen build)

    found: list[Path] = []
    for scheme in (sysconfig.get_default_scheme(), sysconfig.get_preferred_scheme("user")):
        try:
            data = sysconfig.get_path("data", scheme)
        except (KeyError, AttributeError):  # a scheme this interpreter does not define; AttributeError: the
            continue  # user scheme without a home folder (the elevated helper's minimal environment has none)
        candidate = Path(data).joinpath(*WHEEL_DATA_SUBDIR.parts)
        if candidate not in found:
            found.append(candidate)
    return found


def _candidates() -> Iterator[Path]:
    frozen = _frozen_dir()
    if frozen is not None:
        yield frozen  # a frozen build only ever uses its own bundle
        return
    if _is_checkout():
        yield _checkout_dir()
    yield from _wheel_dirs()


def candidate_dirs() -> list[Path]:
    """Every folder :func:`resources_dir` would consider, in order of preference."""
    return list(_candidates())


def resources_dir() -> Path:
    """The folder holding the runtime resources.

    Raises:
        FileNotFoundError: no candidate folder exists; the message lists every place looked at.
    """
    for candidate in _candidates():  # the wheel's folders are only worked out when the nearer ones are missing
        if candidate.is_dir():
            return candidate
    looked = "\n  ".join(str(c) for c in candidate_dirs()) or "(no candidate folder)"
    raise FileNotFoundError(f"Loopback Tuner's resources folder was not found; looked in:\n  {looked}")


def resource_path(name: str) -> Path:
    """The path of the resource ``name`` (a relative path with ``/`` separators, e.g. ``"icon.svg"``).

    Raises:
        ValueError: ``name`` is empty, absolute or climbs out of the resources folder.
        FileNotFoundError: the resources folder or the file in it does not exist; the message says where it looked.
    """
    relative = PurePosixPath(name.replace("\\", "/"))
    # PureWindowsPath's anchor catches "C:x", "C:\\x" and "\\x", which a posix path would take as relative.
    if not relative.parts or relative.is_absolute() or PureWindowsPath(name).anchor or ".." in relative.parts:
        raise ValueError(f"invalid resource name {name!r}: expected a relative path inside the resources folder")
    base = resources_dir()
    path = base.joinpath(*relative.parts)
    if not path.exists():
        raise FileNotFoundError(f"resource {name!r} not found: {path} does not exist (resources folder: {base})")
    return path
