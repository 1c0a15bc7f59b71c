"""``loopback-tuner-cli measure``: its options, the measure use case, and the result as text or JSON (no Qt)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from app.domain.measurements import SECONDS_PER_TEST
from app.domain.model import Family

# Only argparse and the model at import: every command builds this parser, and `show` must not pay for measuring.
if TYPE_CHECKING:
    from app.domain.measurements import FamilyMeasurement, Measurement, MeasurePlan, Spread
    from app.domain.model import LoopbackSettings
    from app.usecases.measure import Progress
    from app.wiring import Services

EXIT_OK = 0  # app.cli_parts.common.EXIT_OK
EXIT_MEASURE_FAILED = 9  # `measure` only (8 is `check`'s "not compliant")
EXIT_TEXT = {
    EXIT_OK: "every family asked for was measured",
    2: "usage error (nothing was run)",
    EXIT_MEASURE_FAILED: "a family could not be measured (its error is in the output; the others are still shown)",
}
SECONDS_RANGE = SECONDS_PER_TEST
RUNS_RANGE = (1, 20)


def _seconds(text: str) -> float:
    low, high = SECONDS_RANGE
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seconds takes a number ({low:g} to {high:g}), got {text!r}") from None
    if not low <= value <= high:  # also refuses nan
        raise argparse.ArgumentTypeError(f"--seconds takes {low:g} to {high:g} seconds, got {text}")
    return value


def _runs(text: str) -> int:
    low, high = RUNS_RANGE
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--runs takes a whole number ({low} to {high}), got {text!r}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"--runs takes {low} to {high} runs, got {value}")
    return value


def add_measure_parser(sub: Any) -> None:
    """Add ``measure`` to the command line's sub-commands (``sub`` is argparse's sub-parsers object)."""
    p = sub.add_parser(
        "measure",
        help="measure this computer's loopback: round-trip latency, one stream's throughput, new connections/s",
        epilog="exit codes:\n" + "\n".join(f"  {code}  {text}" for code, text in EXIT_TEXT.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--family", choices=("ipv4", "ipv6", "both"), default="both", help="default: both")
    p.add_argument(
        "--seconds", type=_seconds, default=1.0, metavar="N", help="measured time per test and run (default 1)"
    )
    p.add_argument("--runs", type=_runs, default=3, metavar="R", help="runs per family, interleaved (default 3)")
    p.add_argument("--json", action="store_true", help="machine-readable output (a stable contract)")


def _settings(services: Services, families: tuple[Family, ...]) -> dict[Family, LoopbackSettings]:
    """The active settings of each family, when they can be read (a measurement goes on without them)."""
    from app.cli_parts.reading import read_state
    from app.domain.errors import LoopbackTunerError

    try:
        state = read_state(services)
    except LoopbackTunerError as exc:
        print(f"note: the settings could not be read ({exc}); measuring all the same", file=sys.stderr)
        return {}
    return {f: s for f, s in state.settings().items() if f in families}


def cmd_measure(
    services: Services,
    args: argparse.Namespace,
    out: TextIO,
    *,
    run_measure: Callable[..., Measurement] | None = None,
) -> int:
    """Measure the families asked for; print the result; 0 when every family was measured, else 9."""
    from app.domain.measurements import MeasurePlan
    from app.usecases.measure import measure

    families = tuple(Family) if args.family == "both" else (Family(args.family),)
    plan = MeasurePlan(seconds=args.seconds, runs=args.runs)
    simulated = services.backend.is_simulated
    settings = _settings(services, families)
    if not args.json:
        print(_intro(plan, families, simulated), file=out, flush=True)

    def progress(p: Progress) -> None:
        if not args.json:
            print(f"  run {p.index} of {p.total}: {p.family.label}", file=sys.stderr, flush=True)

    result = (run_measure or measure)(families, plan, simulated=simulated, settings=settings, progress=progress)
    if args.json:
        print(json.dumps(result.to_json()), file=out)
    else:
        print_measurement(result, out)
    for family in result.families:
        if not family.ok:
            print(
                f"loopback-tuner-cli: error: {family.family.label} could not be measured: {family.error}",
                file=sys.stderr,
            )
    return EXIT_OK if result.ok else EXIT_MEASURE_FAILED


def _intro(plan: MeasurePlan, families: tuple[Family, ...], simulated: bool) -> str:
    total = plan.seconds_per_run * plan.runs * len(families)
    names = " and ".join(f.label for f in families)
    lines = [
        f"Measuring {names} loopback: {plan.runs} run(s) per family of {plan.seconds:g} s per test"
        f"{', interleaved' if len(families) > 1 else ''}; about {total:.0f} s."
    ]
    if simulated:
        lines.append(_caveat_line())
    return "\n".join(lines)


def _caveat_line() -> str:
    return (
        "Simulated machine: these are real measurements of this computer's loopback, but the simulated settings "
        "do not change it; no figure here shows the effect of a setting."
    )


def _row(label: str, spread: Spread, render: Callable[[float], str]) -> str:
    cells = "".join(f"{render(v):>14}" for v in (spread.median, spread.min, spread.max))
    return f"  {label:<28}{cells}"


def _family_block(fm: FamilyMeasurement, simulated: bool) -> list[str]:
    if fm.settings is None:
        settings = "settings not read"
    else:
        settings = f"{'simulated settings: ' if simulated else ''}{fm.settings.describe()}"
    lines = [f"{fm.family.label} ({fm.address}), {settings}"]
    if fm.runs:
        us: Callable[[float], str] = lambda v: f"{v:,.1f} us"  # noqa: E731
        lines += [
            f"  {'':<28}{'median':>14}{'min':>14}{'max':>14}",
            _row("round trip p50 (64 bytes)", fm.rtt_p50_us, us),
            _row("round trip p90", fm.rtt_p90_us, us),
            _row("round trip p99", fm.rtt_p99_us, us),
            _row("round trip max", fm.rtt_max_us, us),
            _row("throughput (one stream)", fm.throughput_gb_per_s, lambda v: f"{v:.2f} GB/s"),
            _row("new connections", fm.connections_per_s, lambda v: f"{v:,.0f}/s"),
            f"  {len(fm.runs)} run(s), {fm.latency_samples:,} round trips in all; median, min and max are across runs",
        ]
    if fm.error is not None:
        lines.append(f"  could not be measured: {fm.error}")
    return lines


def print_measurement(result: Measurement, out: TextIO) -> None:
    """The human-readable result: a block per family and, on the simulated machine, the caveat again."""
    for fm in result.families:
        print("", file=out)
        for line in _family_block(fm, result.simulated):
            print(line, file=out)
    if result.simulated:
        print("", file=out)
        print(_caveat_line(), file=out)
