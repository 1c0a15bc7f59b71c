"""app/ui/qt_import.py: PySide6's per-import source scan, made cheaper, gives PySide6 the same answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from app.ui.qt_import import _fast_scan

FRESH = """
import json, sys
from app.ui.qt_import import import_pyside
first = import_pyside()
second = import_pyside()
import PySide6.QtWidgets  # noqa: F401
from app.ui.theme import apply_theme  # noqa: F401  (scanned after the replacement: the module a from-import names)
from app.domain.model import Family  # noqa: F401
feature = sys.modules["shibokensupport.feature"]
print(json.dumps({
    "first": first, "second": second,
    "replaced": hasattr(feature._mod_uses_pyside, "__wrapped__"),
    "theme": feature.pyside_feature_dict.get("app.ui.theme"),
    "model": feature.pyside_feature_dict.get("app.domain.model"),
}))
"""


def _original_scan() -> types.FunctionType:
    import PySide6.QtCore  # noqa: F401  # loads shibokensupport.feature

    scan = sys.modules["shibokensupport.feature"]._mod_uses_pyside
    return getattr(scan, "__wrapped__", scan)


def test_the_scan_is_replaced_once_before_pyside6_loads_and_pyside6_records_the_same_defaults() -> None:
    done = subprocess.run(
        [sys.executable, "-c", FRESH], capture_output=True, text=True, check=True, timeout=120, env=dict(os.environ)
    )
    found = json.loads(done.stdout)
    # replaced the first time, left alone the second; 0 = "uses PySide6" (switchable), -1 = ignored (PYSIDE-2029)
    assert found == {"first": True, "second": False, "replaced": True, "theme": 0, "model": -1}


@pytest.mark.parametrize(
    "module_name", ["app.ui.theme", "app.ui.qt_import", "app.domain.model", "json", "json.decoder", "sys", "_socket"]
)
def test_the_cheaper_scan_answers_as_pyside6_does_for_real_modules(module_name: str) -> None:
    __import__(module_name)
    module = sys.modules[module_name]
    original = _original_scan()
    assert _fast_scan(original)(module) is original(module)


def test_the_cheaper_scan_answers_as_pyside6_does_for_other_encodings_and_odd_modules(tmp_path: Path) -> None:
    original = _original_scan()
    fast = _fast_scan(original)
    cases = {
        "latin": ("# -*- coding: latin-1 -*-\n# caf\xe9\nimport PySide6\n", "latin-1"),
        "plain_utf8": ("# caf\xe9, no Qt here\nx = 1\n", "utf-8"),
        "mention_only": ('"""Mentions PySide6 in a docstring."""\n', "utf-8"),
    }
    for name, (text, encoding) in cases.items():
        path = tmp_path / f"{name}.py"
        path.write_bytes(text.encode(encoding))
        module = types.ModuleType(name)
        module.__file__ = str(path)
        assert fast(module) is original(module), name
    missing = types.ModuleType("gone")
    missing.__file__ = str(tmp_path / "gone.py")  # deleted since it was imported: no source, as PySide6 says
    assert fast(missing) is original(missing) is False
    no_file = types.ModuleType("no_file")
    assert fast(no_file) is original(no_file) is False
