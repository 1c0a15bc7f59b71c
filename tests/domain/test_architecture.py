"""The layers below the GUI never load Qt: proved in a fresh interpreter, module by module."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import app
from tests.conftest import REPO, SUBPROCESS_TIMEOUT_S

NON_GUI_PACKAGES = (
    "app.domain",
    "app.platform",
    "app.runners",
    "app.elevation",
    "app.storage",
    "app.usecases",
    "app.simulator",
    "app.cli_parts",
    "app.benchmark",
)
NON_GUI_MODULES = ("app.cli", "app.wiring", "app.paths", "app.helper")


def _modules() -> list[str]:
    names = list(NON_GUI_PACKAGES) + list(NON_GUI_MODULES)
    for package in NON_GUI_PACKAGES:
        folder = REPO / package.replace(".", "/")
        names += [f"{package}.{info.name}" for info in pkgutil.iter_modules([str(folder)])]
    return sorted(set(names))


QT_ROOTS = ("PySide6", "shiboken6", "qasync", "PyQt5", "PyQt6")
REPORT = f"import json, sys\nprint(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {QT_ROOTS!r})))"


def _loaded_qt(code: str) -> list[str]:
    """The Qt modules loaded after running ``code`` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", code + "\n" + REPORT],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert isinstance(loaded, list)
    return [str(name) for name in loaded]


def test_the_module_list_is_not_empty() -> None:
    modules = _modules()
    assert "app.domain.parser" in modules and "app.usecases.trials" in modules
    assert app.__name__ == "app"


def test_importing_the_core_layers_leaves_qt_out() -> None:
    imports = "\n".join(f"import {name}" for name in _modules())
    assert _loaded_qt(imports) == []


def test_the_probe_would_see_qt() -> None:
    # The check above can fail: importing PySide6 is seen.
    assert "PySide6" in _loaded_qt("import PySide6.QtCore")
