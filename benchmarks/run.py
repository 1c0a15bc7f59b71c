"""``make bench``: Loopback Tuner's performance figures against their budgets, as a table and a JSON file.

Every figure is the median of --runs runs (default 5), with min and max. Everything runs against the
simulated machine, in a temporary folder: nothing touches the user's data or a real netsh. The checkout these
benchmarks live in is the one measured. Exit status is 0 unless --strict is given and a budget is missed or a
measurement failed (these are figures to watch, not tests).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything can load Qt
sys.path.insert(1, str(REPO))  # this checkout's app (and tests/ui/conftest.py), ahead of any installed one

# The imports below need the two lines above.
import loopback_figures  # noqa: E402
import package_figures  # noqa: E402
import process_figures  # noqa: E402
import qt_figures  # noqa: E402
import service_figures  # noqa: E402
from figures import Figure, Verdict, failed, format_value  # noqa: E402
from machine import this_machine  # noqa: E402

ORDER = (
    "gui_start", "widgets", "peak_rss", "cli_show", "python_", "cli_qt", "read_", "loop_", "work_", "gui_import",
    "cli_import", "package_", "loopback_",
)  # fmt: skip


def _import_table(title: str, imports: Sequence[process_figures.ImportRow]) -> list[str]:
    lines = [
        "",
        title,
        f"{'module (indent: import depth)':<48} {'cumulative':>12} {'min':>11} {'max':>11} {'self':>11}",
    ]
    for row in imports:
        numbers = (row.cumulative_us.median, row.cumulative_us.min, row.cumulative_us.max, row.self_us)
        cells = [f"{format_value(n, 'us'):>{w}}" for n, w in zip(numbers, (12, 11, 11, 11), strict=True)]
        lines.append(f"{'  ' * row.depth + row.module:<48} " + " ".join(cells))
    return lines


def render_table(
    figures: Sequence[Figure],
    imports: Sequence[process_figures.ImportRow],
    runs: int,
    cli_imports: Sequence[process_figures.ImportRow] = (),
) -> str:
    head = f"{'Figure':<66} {'median':>9} {'min':>9} {'max':>9}  {'budget':>10}  result"
    lines = [head, "-" * len(head)]
    for f in figures:
        if f.stats is None:
            lines += [f"{f.label:<66} {'-':>9} {'-':>9} {'-':>9}  {'':>10}  {f.verdict.value}"]
            lines.append(f"    {f.skipped or f.error}")
            continue
        values = (format_value(v, f.unit) for v in (f.stats.median, f.stats.min, f.stats.max))
        budget = f"{f.budget.sign} {format_value(f.budget.limit, f.unit)}" if f.budget else ""
        result = f.verdict.value if f.budget else ""
        lines.append(f"{f.label:<66} " + " ".join(f"{v:>9}" for v in values) + f"  {budget:>10}  {result}")
        lines += [f"    {text}" for text in (f.budget.why if f.budget else "", f.note) if text]
    if imports:
        title = f"Ten most expensive imports at GUI start (-X importtime, cumulative, median of {runs} runs):"
        lines += _import_table(title, imports)
    if cli_imports:
        title = f"Ten most expensive imports of CLI show --json (-X importtime, cumulative, median of {runs} runs):"
        lines += _import_table(title, cli_imports)
    return "\n".join(lines)


def _measure(figures: list[Figure], key: str, label: str, unit: str, measure: Callable[[], list[Figure]]) -> None:
    try:
        figures.extend(measure())
    except Exception as exc:  # one broken measurement must not hide the others
        figures.append(failed(key, label, unit, exc))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (default 5)")
    parser.add_argument("--latency-ms", type=int, default=300, help="simulated netsh latency L (default 300)")
    parser.add_argument("--output", type=Path, default=REPO / "bench-results.json", help="the JSON file to write")
    parser.add_argument(
        "--diagnose",
        action="store_true",
        help="sample the GUI thread's stack whenever the event loop stalls (perturbs it slightly)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget is missed")
    parser.add_argument(
        "--only",
        choices=("app", "loopback"),
        help="only the app's figures (1-8) or only the loopback measurement's (9-11); default: all",
    )
    parser.add_argument(
        "--loopback-seconds", type=float, default=2.0, help="seconds per test in figures 9-10 (default 2)"
    )
    options = parser.parse_args(argv)
    if options.runs < 1 or not 1 <= options.latency_ms <= 5000:
        parser.error("--runs must be at least 1, and --latency-ms 1 to 5000")
    runs, latency = options.runs, options.latency_ms
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="loopback-bench-"))
    env = process_figures.child_environment(work)
    figures: list[Figure] = []
    imports: list[process_figures.ImportRow] = []
    cli_imports: list[process_figures.ImportRow] = []

    def import_figures() -> list[Figure]:
        rows, found = process_figures.gui_imports(work, env, runs)
        imports.extend(rows)
        cli_rows, cli_found = process_figures.cli_imports(work, env, runs)
        cli_imports.extend(cli_rows)
        return found + cli_found

    try:  # the whole processes first, while this one has not loaded Qt
        if options.only != "loopback":
            app_figures(figures, work, env, runs, latency, import_figures, options.diagnose)
        if options.only != "app":
            _measure(
                figures,
                "loopback_p50_ratio",
                "9 Loopback accuracy",
                "x",
                lambda: loopback_figures.accuracy(runs, options.loopback_seconds),
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _report(figures, imports, cli_imports, runs, latency, started, options.output, options.strict)


def app_figures(
    figures: list[Figure],
    work: Path,
    env: dict[str, str],
    runs: int,
    latency: int,
    import_figures: Callable[[], list[Figure]],
    diagnose: bool,
) -> None:
    """Figures 1-8: the app's start-up, memory, command line, reads, responsiveness, work per change, bundle."""
    _measure(figures, "gui_start_ratio", "1 GUI cold start", "x", lambda: process_figures.gui_start(work, env, runs))
    _measure(
        figures,
        "package_frozen_start_ratio",
        "8b Frozen GUI start",
        "x",
        lambda: package_figures.frozen_start(work, env, runs),
    )
    _measure(
        figures,
        "cli_show_ms",
        "3 CLI show --json",
        "ms",
        lambda: process_figures.cli_show(work, env, runs, latency),
    )
    _measure(figures, "gui_import_total_ms", "7 GUI start imports", "ms", import_figures)
    _measure(
        figures,
        "read_ms",
        "4 read_machine",
        "ms",
        lambda: service_figures.read_latency(work / "read", runs, latency),
    )
    _measure(
        figures,
        "work_prompts",
        "6 Work per change",
        "",
        lambda: service_figures.work_per_change(work / "work", runs),
    )
    _measure(
        figures,
        "loop_gap_ms",
        "5 Longest event-loop gap",
        "ms",
        lambda: qt_figures.responsiveness(work / "gaps", runs, latency, diagnose),
    )
    _measure(figures, "widgets_app", "  widgets in the window", "", qt_figures.widget_census)
    _measure(figures, "package_bundle_mib", "8 Bundle size", "MiB", package_figures.package_sizes)


def _report(
    figures: list[Figure],
    imports: list[process_figures.ImportRow],
    cli_imports: list[process_figures.ImportRow],
    runs: int,
    latency: int,
    started: float,
    output: Path,
    strict: bool,
) -> int:
    elapsed = time.perf_counter() - started
    machine = this_machine()
    figures.sort(key=lambda f: next((i for i, prefix in enumerate(ORDER) if f.key.startswith(prefix)), len(ORDER)))
    table = render_table(figures, imports, runs, cli_imports)
    missed = [f.key for f in figures if f.verdict in (Verdict.MISS, Verdict.ERROR)]
    print(f"\nLoopback Tuner benchmarks: median of {runs} runs [min, max]; {elapsed:.0f} s in all")
    print(f"Machine: {machine.describe()}\n")
    print(table)
    print(f"\nMissed or failed: {', '.join(missed)}" if missed else "\nEvery budget met.")
    result = {
        "schema": 1,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine.to_json(),
        "settings": {"runs": runs, "latency_ms": latency, "seconds": round(elapsed, 1)},
        "figures": [f.to_json() for f in figures],
        "gui_imports": [row.to_json() for row in imports],
        "cli_imports": [row.to_json() for row in cli_imports],
        "missed": missed,
        "table": table,
    }
    output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"Wrote {output}")
    return 1 if strict and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
