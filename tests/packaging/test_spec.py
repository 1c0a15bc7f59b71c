"""What the PyInstaller spec leaves out of every start rests on facts about the app's code, checked here."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "packaging" / "loopback-tuner.spec"

# What the app may take from multiprocessing without PyInstaller's runtime hook: a connection and its errors. A
# Process, pool or manager would need the hook back (it diverts the helper processes they start).
ALLOWED = {"multiprocessing.connection", "multiprocessing.AuthenticationError"}


def _multiprocessing_uses(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "multiprocessing")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "multiprocessing":
            assert node.module is not None
            if node.module == "multiprocessing":
                found.update(f"multiprocessing.{a.name}" for a in node.names)
            else:
                found.add(node.module)
    return found


def test_the_app_starts_no_multiprocessing_process_so_the_frozen_builds_drop_its_runtime_hook() -> None:
    uses: dict[str, set[str]] = {}
    for path in sorted((REPO / "app").rglob("*.py")):
        found = _multiprocessing_uses(ast.parse(path.read_text(encoding="utf-8")))
        if found:
            uses[str(path.relative_to(REPO))] = found
    assert uses  # the helper's channel does use multiprocessing.connection: the check sees imports
    assert {name for names in uses.values() for name in names} <= ALLOWED, uses
    spec = SPEC.read_text(encoding="utf-8")
    assert 'UNUSED_RUNTIME_HOOKS = {"pyi_rth_multiprocessing"}' in spec


def test_the_check_sees_a_process_import() -> None:
    tree = ast.parse("from multiprocessing import Process\nimport multiprocessing.pool\n")
    assert _multiprocessing_uses(tree) == {"multiprocessing.Process", "multiprocessing.pool"}
