"""``loopback-tuner-cli compare``: configurations measured under one elevated session, then one kept (no Qt)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from app.domain.comparisons import Configuration, ConfigurationResult, Recommendation
    from app.domain.model import Family, LoopbackSettings, SettingsPatch
    from app.usecases.compare import CompareProgress, ComparisonReport
    from app.wiring import Services

PRESET_NAMES = ("current", "latency", "throughput", "balanced")


class _UsageError(Exception):
    pass


def _split_workload(parse: Any) -> Any:
    """``--workload -- CMD ...``: argparse refuses a "--" right after an option that takes the rest of the line
    (it matched nothing, so the README's form was an error), so everything after ``--workload`` is taken off
    before parsing and becomes the workload as it stands (a leading "--" is dropped later)."""

    def parse_known_args(args: Sequence[str] | None = None, namespace: Any = None) -> Any:
        given = list(sys.argv[1:] if args is None else args)
        if "--workload" not in given:
            return parse(given, namespace)
        at = given.index("--workload")
        found, extras = parse(given[:at], namespace)
        found.workload = given[at + 1 :]
        return found, extras

    return parse_known_args


def add_compare_parser(sub: Any) -> None:
    """Add ``compare`` to the command line's sub-commands."""
    p = sub.add_parser(
        "compare",
        help="measure several configurations under one administrator prompt, then keep the best or none",
        epilog=(
            "exit codes: 0 the comparison completed (whatever was kept), 2 usage, 3 the helper failed, "
            "5 administrator rights refused, 6 another change is being tried, 7 stopped: the original values are back"
        ),
    )
    p.add_argument("--family", choices=("ipv4", "ipv6", "both"), default="both")
    p.add_argument(
        "--with",
        dest="names",
        default=",".join(PRESET_NAMES),
        metavar="NAMES",
        help="configurations by name, comma-separated: current, latency, throughput, balanced (default: all four)",
    )
    p.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="VALUES",
        help="a configuration of your own, e.g. mode=worker,workers=4,mtu=off (repeatable)",
    )
    p.add_argument("--goal", choices=("latency", "throughput", "balanced"), default="balanced")
    p.add_argument("--seconds", type=float, default=1.0, metavar="N", help="measured time per test (default 1)")
    p.add_argument("--rounds", type=int, default=3, metavar="R", help="interleaved rounds (default 3, 1 to 10)")
    p.add_argument("--keep", choices=("best", "none"), help="what to keep at the end (instead of being asked)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--workload", nargs=argparse.REMAINDER, default=[], metavar="-- CMD", help="also time this command per step"
    )
    p.parse_known_args = _split_workload(p.parse_known_args)


def _custom(spec: str) -> SettingsPatch:
    """``mode=worker,workers=4,mtu=off`` as a patch over the current values; raises _UsageError naming what is wrong."""
    from app.domain.errors import ValidationError
    from app.domain.model import SettingsPatch, parse_execution_mode, validate_worker_count

    mode = workers = mtu = None
    for item in spec.split(","):
        key, _, value = item.strip().partition("=")
        try:
            if key == "mode":
                mode = parse_execution_mode(value)
            elif key == "workers":
                workers = validate_worker_count(int(value))
            elif key == "mtu" and value in ("on", "off"):
                mtu = value == "on"
            else:
                raise _UsageError(f"--config takes mode=..., workers=... and mtu=on|off, got {item!r}")
        except (ValidationError, ValueError) as exc:
            raise _UsageError(f"--config {spec!r}: {exc}") from None
    return SettingsPatch(mode, workers, mtu)


def _configurations(
    services: Services, args: argparse.Namespace, current: dict[Family, LoopbackSettings]
) -> list[Configuration]:
    """The configurations asked for; the presets are filled in for the configured machine (its processors, the
    BBR2 rule), as the window's preset buttons and ``set --preset`` fill them."""
    from app.domain.errors import ValidationError
    from app.usecases.compare import comparison_configurations

    names = [n.strip() for n in args.names.split(",") if n.strip()]
    unknown = [n for n in names if n not in PRESET_NAMES]
    if unknown:
        raise _UsageError(f"--with takes {', '.join(PRESET_NAMES)}, got {unknown[0]!r}")
    custom = [_custom(spec) for spec in args.config]
    facts = services.machine_info
    try:
        return comparison_configurations(current, names, custom, info=facts.info(), congestion=facts.congestion())
    except ValidationError as exc:
        raise _UsageError(str(exc)) from None


def cmd_compare(services: Services, args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    """Run ``compare``; returns the exit code (see the sub-command's epilog)."""
    from app.cli_parts.common import EXIT_FOR, EXIT_OK, EXIT_REVERTED, UsageError, read_exit
    from app.cli_parts.reading import read_state
    from app.domain.comparisons import Goal
    from app.domain.errors import LoopbackTunerError
    from app.domain.measurements import MeasurePlan
    from app.domain.model import Family
    from app.domain.outcomes import Outcome
    from app.usecases.compare import ComparePlan, ComparisonCancelledError, compare_under_lock, runs_elevated
    from app.usecases.endings import Ending, error_ending
    from app.wiring import helper_backend

    workload = list(args.workload[1:] if args.workload[:1] == ["--"] else args.workload)
    from app.domain.comparisons import ROUNDS
    from app.domain.measurements import SECONDS_PER_TEST

    (low_s, high_s), (low_r, high_r) = SECONDS_PER_TEST, ROUNDS
    if not low_s <= args.seconds <= high_s or not low_r <= args.rounds <= high_r:
        raise UsageError(f"--seconds takes {low_s:g} to {high_s:g} and --rounds {low_r} to {high_r}")
    if args.keep is None and not (stdin.isatty() and out.isatty()):
        raise UsageError("compare needs --keep best or --keep none when it cannot ask (no terminal)")
    families = tuple(Family) if args.family == "both" else (Family(args.family),)
    state = read_state(services)
    current = {f: s for f, s in state.settings().items() if f in families}
    if len(current) != len(families):
        print("loopback-tuner-cli: error: a family asked for cannot be read; nothing to compare", file=sys.stderr)
        return read_exit(state, families)
    try:
        configurations = _configurations(services, args, current)
    except _UsageError as exc:
        raise UsageError(str(exc)) from None
    simulated = services.backend.is_simulated
    if workload and runs_elevated():
        print("note: this process runs as administrator, so the workload runs with those rights", file=sys.stderr)
    plan = ComparePlan(
        Goal(args.goal), MeasurePlan(seconds=args.seconds, runs=1), args.rounds, families, tuple(workload)
    )

    def decide(rec: Recommendation, results: Sequence[ConfigurationResult]) -> int | None:
        if args.keep == "none":
            return None
        if args.keep == "best" or rec.best is None:
            return rec.best
        _print_results(results, rec, simulated, out)
        label = results[rec.best].configuration.label
        return rec.best if _ask(f"Keep configuration {rec.best + 1} ({label})?", stdin, out) else None

    try:
        report = compare_under_lock(
            services.paths.transaction_lock,
            configurations,
            plan,
            reader=services.reader,
            launcher=services.launcher,
            backend=helper_backend(services.backend),
            simulated=simulated,
            decide=decide,
            progress=lambda p: None if args.json else _print_progress(p),
            history=services.history,
        )
    except ComparisonCancelledError as exc:
        print(f"loopback-tuner-cli: error: {exc}", file=sys.stderr)
        return EXIT_FOR[Ending.REVERT_FAILED] if exc.outcome is Outcome.REVERT_FAILED else EXIT_REVERTED
    except LoopbackTunerError as exc:  # what a transaction's error means is decided once (usecases/endings)
        ending = error_ending(exc)
        if ending is None:  # not one of the transaction's own: main's handler reports it
            raise
        print(f"loopback-tuner-cli: error: {exc}", file=sys.stderr)
        return EXIT_FOR[ending]
    if args.json:
        print(json.dumps(report.to_json()), file=out)
    else:
        _print_report(report, out)
    return EXIT_OK


def _ask(question: str, stdin: TextIO, out: TextIO) -> bool:
    """A yes/no question; no answer (end of input) means no. The helper's cap still bounds the wait."""
    from app.cli_parts.common import StdinLine

    print(f"{question} [y/N] ", end="", file=out, flush=True)
    line = StdinLine(stdin).wait(None) or ""
    if not line:
        print("", file=out)
    return line.strip().lower() in ("y", "yes")


def _print_progress(progress: CompareProgress) -> None:
    """One line per step (stderr: stdout may be JSON), when its configuration is being applied."""
    from app.usecases.compare import Stage

    if progress.stage is Stage.APPLYING:
        print(f"  {progress.step()}, about {progress.seconds_left:.0f} s left", file=sys.stderr, flush=True)


def _print_results(results: Sequence[ConfigurationResult], rec: Recommendation, simulated: bool, out: TextIO) -> None:
    from app.domain.measurements import SIMULATED_CAVEAT, Spread

    if simulated:
        print(f"Note: {SIMULATED_CAVEAT}.", file=out)
    head = f"{'#':>2}  {'configuration':<12} {'p50 round trip (us)':>26} {'throughput (GB/s)':>26} {'workload (s)':>14}"
    print(head, file=out)
    for index, result in enumerate(results):
        cells = []
        for runs, digits in ((result.latency_runs, 1), (result.throughput_runs, 2)):
            if runs:
                s = Spread.of(runs)
                cells.append(f"{s.median:.{digits}f} [{s.min:.{digits}f}-{s.max:.{digits}f}]")
            else:
                cells.append("-")
        spread = result.workload_spread
        work = f"{spread.median:.3f}" if spread else ("failed" if result.workload else "-")
        print(f"{index + 1:>2}  {result.configuration.label:<12} {cells[0]:>26} {cells[1]:>26} {work:>14}", file=out)
        print(f"    {result.configuration.describe()}", file=out)
        for problem in result.problems:
            print(f"    ! {problem}", file=out)
    print(f"Recommendation: {rec.reason}", file=out)


def _print_report(report: ComparisonReport, out: TextIO) -> None:
    _print_results(report.results, report.recommendation, report.simulated, out)
    if report.kept is not None:
        print(f"Kept configuration {report.kept + 1} ({report.results[report.kept].configuration.label}).", file=out)
    else:
        print(f"The original values are back ({report.outcome.value}: {report.reason}).", file=out)
    print(f"The comparison took {report.seconds:.0f} s.", file=out)
