"""Import PySide6 without its per-import source scan (make bench figure 1, issue 16).

PySide6 replaces ``builtins.__import__`` as soon as ``shiboken6`` is imported, and from then on asks, once per
newly imported module, whether that module uses PySide6 (``shibokensupport.feature._mod_uses_pyside``, PYSIDE-2029:
it decides which modules ``from __feature__ import snake_case`` may switch). Its answer is
``"PySide6" in inspect.getsource(module)``: ``inspect`` finds the file, reads it through ``linecache`` and decodes
it, for every one of the 190-odd modules the window imports, 20-30 ms of the start-up on this machine.

:func:`import_pyside` puts in a function that gives the same answer for a module with a ``.py`` file by searching
the file's bytes (about 4x cheaper: ``"PySide6"`` is ASCII, so it is in the decoded source exactly when its bytes
are in the file, whatever the file's encoding declaration, for any ASCII-compatible encoding Python accepts), and
leaves every other module (built-in, extension, frozen, zipped) to PySide6's own function. The app never uses
``__feature__``; the replacement keeps its answers the same anyway, so nothing else in PySide6 behaves differently.

If a PySide6 release renames or drops the function, nothing is replaced and PySide6 works as it ships (the test
``tests/ui/test_qt_import.py`` then fails, so the change is seen). Call it before the first PySide6 import.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType

MARKER = b"PySide6"


def _fast_scan(original: Callable[[ModuleType], bool]) -> Callable[[ModuleType], bool]:
    def mod_uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return original(module)
        try:
            with open(path, "rb") as source:
                return MARKER in source.read()
        except OSError:
            return original(module)

    mod_uses_pyside.__wrapped__ = original  # type: ignore[attr-defined]
    return mod_uses_pyside


def import_pyside() -> bool:
    """Import ``shiboken6`` and replace PySide6's per-import source scan with the cheaper, equivalent one; returns
    whether it was replaced (False: this PySide6 has no such scan, or it was already replaced)."""
    import shiboken6  # noqa: F401  # loads shibokensupport.feature and PySide6's import hook

    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(original) or hasattr(original, "__wrapped__"):
        return False
    feature._mod_uses_pyside = _fast_scan(original)  # type: ignore[attr-defined]
    return True
