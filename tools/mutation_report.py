"""Print the mutation score per module from mutmut's results (mutants/**/*.py.meta), after `mutmut run`.

Killed counts mutants a test failed on (or that timed out). Listed counts survivors that
docs/mutation-survivors.md names as equivalent; any other survivor, or a mutant no test runs, is a gap.
Exit code 0 when every module reaches the target (default 90% killed or listed), 1 when one does not,
2 when there are no results to read.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

KILLED = {1, 3, 36, -24, 24, 152, 255}  # a test failed, pytest errored, or the mutant timed out (an endless loop)
SURVIVED = {0}
NO_TESTS = {33, 5}
LISTED_RE = re.compile(r"^\s*[-*]\s*`([^`]+)`")


@dataclass
class ModuleScore:
    module: str
    total: int = 0
    killed: int = 0
    survived: int = 0
    listed: int = 0
    no_tests: int = 0
    unchecked: int = 0

    @property
    def score(self) -> float:
        """Killed or listed as equivalent, out of every mutant of the module."""
        return 100.0 * (self.killed + self.listed) / self.total if self.total else 100.0

    @property
    def killed_pct(self) -> float:
        return 100.0 * self.killed / self.total if self.total else 100.0


def listed_equivalents(text: str) -> set[str]:
    """The mutant names that the survivors file lists, one per line as "- `name`: reason"."""
    return {m.group(1) for line in text.splitlines() if (m := LISTED_RE.match(line))}


def module_of(meta: Path, root: Path) -> str:
    return meta.relative_to(root).as_posix().removesuffix(".meta")


def scores(metas: Iterable[Path], root: Path, equivalent: set[str]) -> list[ModuleScore]:
    out = []
    for meta in sorted(metas):
        codes: dict[str, int | None] = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        if not codes:
            continue
        s = ModuleScore(module_of(meta, root))
        for name, code in codes.items():
            s.total += 1
            if code in KILLED:
                s.killed += 1
            elif code in SURVIVED:
                if name in equivalent:
                    s.listed += 1
                else:
                    s.survived += 1
            elif code in NO_TESTS:
                s.no_tests += 1
            else:
                s.unchecked += 1
        out.append(s)
    return out


def table(rows: list[ModuleScore]) -> str:
    head = f"{'module':<28} {'mutants':>7} {'killed':>6} {'equiv.':>6} {'survived':>8} {'no test':>7} {'score':>6}"
    lines = [head, "-" * len(head)]
    total = ModuleScore("all")
    for r in [*rows, total]:
        if r is not total:
            for field in ("total", "killed", "survived", "listed", "no_tests", "unchecked"):
                setattr(total, field, getattr(total, field) + getattr(r, field))
        else:
            lines.append("-" * len(head))
        lines.append(
            f"{r.module:<28} {r.total:>7} {r.killed:>6} {r.listed:>6} {r.survived:>8} {r.no_tests:>7} {r.score:>5.1f}%"
            + (f"  ({r.unchecked} not run yet)" if r.unchecked else "")
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=Path, default=Path("mutants"))
    parser.add_argument("--survivors", type=Path, default=Path("docs/mutation-survivors.md"))
    parser.add_argument("--target", type=float, default=90.0)
    parser.add_argument("--list", action="store_true", help="also print every survivor not listed as equivalent")
    args = parser.parse_args(argv)
    metas = list(args.mutants.glob("**/*.py.meta"))
    if not metas:
        print(f"error: no mutmut results under {args.mutants}/ (run `make mutation` first)", file=sys.stderr)
        return 2
    equivalent = listed_equivalents(args.survivors.read_text(encoding="utf-8")) if args.survivors.exists() else set()
    rows = scores(metas, args.mutants, equivalent)
    print(table(rows))
    if args.list:
        for meta in sorted(metas):
            codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
            for name, code in sorted(codes.items()):
                if code in SURVIVED and name not in equivalent:
                    print(f"survived: {name}")
    below = [r.module for r in rows if r.score < args.target]
    if below:
        print(f"below {args.target:.0f}%: {', '.join(below)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
