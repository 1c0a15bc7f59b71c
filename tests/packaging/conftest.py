"""Fixtures for the packaging tests: load modules from packaging/, which is a folder of scripts, not a package."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGING_DIR = REPO / "packaging"

LoadModule = Callable[[str], ModuleType]


@pytest.fixture
def load_packaging(monkeypatch: pytest.MonkeyPatch) -> LoadModule:
    """Import ``packaging/<name>.py`` (its siblings importable the way build.py sees them)."""
    monkeypatch.syspath_prepend(str(PACKAGING_DIR))

    def load(name: str) -> ModuleType:
        spec = importlib.util.spec_from_file_location(name, PACKAGING_DIR / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, name, module)  # dataclasses look their module up while it executes
        spec.loader.exec_module(module)
        return module

    return load
