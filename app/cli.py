"""The command line, ``loopback-tuner-cli``: show, set (with a trial), commands, history, simulate. No Qt."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import threading
import time
from collections.abc import Sequence
from typing import TextIO

from app import __version__
from app.domain.commands import commands_for, display
from app.domain.errors import LoopbackTunerError, ValidationError
from app.domain.model import (
    Family,
    LoopbackSettings,
    MachineState,
    ReadProblem,
    SettingsPatch,
    Store,
    parse_execution_mode,
    validate_worker_count,
)
from app.elevation.launchers import ElevationCancelledError, HelperStartError
from app.elevation.protocol import Outcome
from app.paths import AppPaths
from app.runners.factory import Backend, choose_backend, sim_state
from app.runners.sim_profile import KNOWN_BUILDS, Fault, SimProfile, UacAnswer
from app.services.planning import FamilyUnavailableError, plan_change
from app.services.transactions import ApplyFailedError, HelperError, TransactionBusyError, TransactionResult
from app.wiring import Services, build_services

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_NETSH, EXIT_UNSUPPORTED, EXIT_ELEVATION, EXIT_BUSY, EXIT_REVERTED = range(8)
EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_ERROR: "unexpected internal error",
    EXIT_USAGE: "usage or validation error (nothing was run)",
    EXIT_NETSH: "netsh failed, its output could not be recognised, or a value did not stick",
    EXIT_UNSUPPORTED: "this Windows build has no loopback settings (before 1809)",
    EXIT_ELEVATION: "administrator rights needed, or the prompt was cancelled",
    EXIT_BUSY: "another change is being tried right now",
    EXIT_REVERTED: "the trial ended without keeping the change (it was reverted)",
}
ELEVATION_HINT = "requires elevation"


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _on_off(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("on", "enable", "enabled", "true", "yes"):
        return True
    if lowered in ("off", "disable", "disabled", "false", "no"):
        return False
    raise argparse.ArgumentTypeError(f"large MTU must be on or off, got {value!r}")


def _workers(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"worker count must be a whole number from 1 to 16, got {value!r}") from None
    try:
        return validate_worker_count(number)
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _mode(value: str) -> object:
    try:
        return parse_execution_mode(value)
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _trial(value: str) -> int:
    try:
        seconds = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--trial takes seconds (1 to 3600), got {value!r}") from None
    if not 1 <= seconds <= 3600:
        raise argparse.ArgumentTypeError(f"--trial takes seconds (1 to 3600), got {seconds}")
    return seconds


def build_parser() -> _Parser:
    epilog = "exit codes:\n" + "\n".join(f"  {code}  {text}" for code, text in EXIT_CODES.items())
    parser = _Parser(prog="loopback-tuner-cli", description="Inspect and tune Windows' TCP loopback settings.",
                     epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"loopback-tuner {__version__}")
    parser.add_argument("--backend", choices=("netsh", "simulated"), help="netsh (Windows) or the simulated machine")
    parser.add_argument("--netsh", metavar="PATH", help="run this program as netsh (also LOOPBACK_TUNER_NETSH)")
    parser.add_argument("--state", metavar="FILE", help="the simulated machine's state file")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every netsh command and its output")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    show = sub.add_parser("show", help="print the current loopback settings")
    show.add_argument("--json", action="store_true", help="machine-readable output (a stable contract)")
    show.add_argument("--store", choices=[s.value for s in Store], default="active")

    for name, text in (("set", "change settings (validated first; asks for administrator rights)"),
                       ("commands", "print the netsh commands a change would run, without running them")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--family", choices=("ipv4", "ipv6", "both"), required=True)
        p.add_argument("--mode", type=_mode, help="adaptive, inline or worker")
        p.add_argument("--workers", type=_workers, help="worker count, 1 to 16")
        p.add_argument("--large-mtu", type=_on_off, help="on or off")
        p.add_argument("--store", choices=[s.value for s in Store], default="persistent",
                       help="persistent (default: now and after reboot) or active (until reboot)")
        if name == "set":
            p.add_argument("--dry-run", action="store_true", help="validate and show the commands; change nothing")
            p.add_argument("--trial", type=_trial, metavar="SECONDS",
                           help="apply for a trial; keep only if you answer y before the time runs out")
            p.add_argument("--yes", "-y", action="store_true", help="with --trial: keep without asking")

    sub.add_parser("history", help="list past changes and how they ended")

    sim = sub.add_parser("simulate", help="show or change the simulated Windows machine")
    sim_sub = sim.add_subparsers(dest="sim_command", required=True, metavar="ACTION")
    sim_sub.add_parser("show", help="print the simulated machine's profile")
    prof = sim_sub.add_parser("profile", help="change the profile (only the options given)")
    prof.add_argument("--build", type=int, help=", ".join(f"{b.number} ({b.name})" for b in KNOWN_BUILDS))
    prof.add_argument("--language", choices=("en-US", "zh-CN"))
    prof.add_argument("--elevated", type=_on_off, metavar="on|off", help="the session runs as administrator")
    prof.add_argument("--latency", type=int, metavar="MS", help="delay every netsh run by MS milliseconds")
    prof.add_argument("--uac", choices=[u.value for u in UacAnswer], help="what the UAC prompt answers")
    prof.add_argument("--fault", action="append", choices=[f.value for f in Fault] + ["none"],
                      help="make netsh misbehave (repeatable; 'none' clears)")
    sim_sub.add_parser("reboot", help="restart the simulated machine (active-only changes are lost)")
    sim_sub.add_parser("reset", help="forget the simulated machine and start a fresh one")
    return parser


def _print_state(state: MachineState, store: Store, out: TextIO) -> None:
    for family in Family:
        fs = state[family]
        reading = fs.active if store is Store.ACTIVE else fs.persistent
        print(f"{family.label} ({store.value})", file=out)
        if isinstance(reading, LoopbackSettings):
            print(f"  execution mode : {reading.execution_mode}", file=out)
            print(f"  worker count   : {reading.worker_count}", file=out)
            print(f"  large MTU      : {'on' if reading.large_mtu else 'off'}", file=out)
            if store is Store.ACTIVE and fs.unsaved_settings:
                names = ", ".join(s.label for s in fs.unsaved_settings)
                print(f"  note           : {names} differ from the saved values (lost at reboot)", file=out)
        else:
            print(f"  cannot be read : {reading.message}", file=out)


def _read_exit(state: MachineState) -> int:
    problems = [fs.failure.problem for fs in state.families.values() if fs.failure is not None]
    if not problems:
        return EXIT_OK
    return EXIT_UNSUPPORTED if all(p is ReadProblem.UNSUPPORTED for p in problems) else EXIT_NETSH


def _families(value: str) -> tuple[Family, ...]:
    return tuple(Family) if value == "both" else (Family(value),)


def _patch(args: argparse.Namespace) -> SettingsPatch:
    patch = SettingsPatch(args.mode, args.workers, args.large_mtu)
    if patch.is_empty:
        raise UsageError("nothing to set: give at least one of --mode, --workers, --large-mtu")
    return patch


def _print_results(result: TransactionResult, out: TextIO, verbose: bool) -> None:
    if verbose:
        for run in result.results:
            print(f"  ran: {run.command_line} -> exit {run.exit_code}", file=out)


class _StdinLine:
    """Reads one line from stdin on a daemon thread, so a deadline can pass without blocking exit."""

    def __init__(self, loop: asyncio.AbstractEventLoop, stream: TextIO) -> None:
        self.future: asyncio.Future[str] = loop.create_future()

        def read() -> None:
            try:
                line = stream.readline()
            except (OSError, ValueError):
                line = ""
            def deliver() -> None:
                if not self.future.done():
                    self.future.set_result(line)

            with contextlib.suppress(RuntimeError):  # the loop already closed: the answer came too late
                loop.call_soon_threadsafe(deliver)

        threading.Thread(target=read, name="stdin", daemon=True).start()


async def _ask_keep(seconds: int, stdin: TextIO, out: TextIO) -> bool:
    loop = asyncio.get_running_loop()
    answer = _StdinLine(loop, stdin).future
    deadline = time.monotonic() + seconds
    tty = out.isatty()
    print(f"Reverting in {seconds} s unless you keep the change.", file=out)
    print("Keep these settings? [y/N] ", end="" if tty else "\n", file=out, flush=True)
    while not answer.done():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            print("\nNo answer in time.", file=out)
            return False
        with_countdown = min(1.0, remaining)
        done, _ = await asyncio.wait({answer}, timeout=with_countdown)
        if not done and tty:
            left = max(0, round(deadline - time.monotonic()))
            print(f"\rKeep these settings? [y/N] (reverting in {left:2d} s) ", end="", file=out, flush=True)
    return answer.result().strip().lower() in ("y", "yes")


def _report_corrupt_state(backend: Backend) -> None:
    """A corrupt simulated-machine file is set aside by the first load: say so on stderr (stdout may be JSON)."""
    if backend.is_simulated:
        state = sim_state(backend)
        state.load()
        for notice in state.notices:
            print(f"note: {notice}", file=sys.stderr)


async def _cmd_set(services: Services, args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    patch = _patch(args)
    if getattr(args, "yes", False) and not args.trial:  # all input is checked before netsh runs
        raise UsageError("--yes goes with --trial")
    families = _families(args.family)
    store = Store(args.store)
    _report_corrupt_state(services.backend)
    state = await services.transactions.read()
    try:
        change = plan_change(state, families, patch)
    except FamilyUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNSUPPORTED if exc.problem is ReadProblem.UNSUPPORTED else EXIT_NETSH
    if change.is_empty:
        print("Nothing to change: the machine already has these values.", file=out)
        return EXIT_OK
    print("Change:", file=out)
    for line in change.describe():
        print(f"  {line}", file=out)
    if args.command == "commands" or args.dry_run:
        for argv in commands_for(change, store):
            print(display(argv), file=out)
        return EXIT_OK
    try:
        if args.trial:
            trial = await services.transactions.begin(change, seconds=args.trial, store=store)
            print(f"Applied for a trial of {args.trial} s (active store).", file=out)
            for m in trial.mismatches:
                print(f"  warning: {m.describe()}", file=out)
            keep = True if args.yes else await _ask_keep(args.trial, stdin, out)
            result = await (trial.keep() if keep else trial.revert())
        else:
            result = await services.transactions.apply(change, store=store)
    except ElevationCancelledError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ELEVATION
    except TransactionBusyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except (HelperStartError, HelperError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ELEVATION if isinstance(exc, HelperStartError) else EXIT_NETSH
    except ApplyFailedError as exc:
        _print_results(exc.result, out, args.verbose)
        print(f"error: the change could not be applied: {exc}", file=sys.stderr)
        output = " ".join(r.output for r in exc.result.results)
        return EXIT_ELEVATION if ELEVATION_HINT in output else EXIT_NETSH
    _print_results(result, out, args.verbose)
    for notice in result.notices:
        print(f"note: {notice}", file=out)
    for m in result.mismatches:
        print(f"warning: {m.describe()}", file=out)
    if result.outcome is Outcome.KEPT:
        where = "saved (persistent)" if store is Store.PERSISTENT else "active until reboot"
        print(f"Kept: {where}." if not result.mismatches else "Kept, but not every value stuck.", file=out)
    elif result.outcome is Outcome.REVERTED:
        print(f"Reverted ({result.reason}): the previous values are back.", file=out)
    else:
        print(f"error: {result.outcome.value}: {result.reason}", file=sys.stderr)
        return EXIT_NETSH
    if result.mismatches:
        return EXIT_NETSH
    return EXIT_REVERTED if result.outcome is Outcome.REVERTED else EXIT_OK


def _cmd_history(services: Services, out: TextIO) -> int:
    entries, notices = services.history.load()
    for notice in notices:
        print(f"note: {notice}", file=out)
    if not entries:
        print("No changes recorded yet.", file=out)
    for entry in entries:
        print(entry.summary(), file=out)
        if entry.reason and entry.outcome not in (None, "kept"):
            print(f"{'':21}  reason: {entry.reason}", file=out)
    return EXIT_OK


def _cmd_simulate(backend: Backend, args: argparse.Namespace, out: TextIO) -> int:
    if not backend.is_simulated:
        raise UsageError("simulate works only with the simulated backend")
    state = sim_state(backend)
    if args.sim_command == "reboot":
        state.reboot()
        print("The simulated machine restarted: active-only changes are gone.", file=out)
    elif args.sim_command == "reset":
        if state.path.exists():
            state.path.unlink()
        print("The simulated machine was reset.", file=out)
    elif args.sim_command == "profile":
        current = state.load().profile.to_json()
        updates = {"build": args.build, "language": args.language, "elevated": args.elevated,
                   "latency_ms": args.latency, "uac": args.uac}
        current.update({k: v for k, v in updates.items() if v is not None})
        if args.fault:
            current["faults"] = [f for f in args.fault if f != "none"]
        state.set_profile(SimProfile.from_json(current))
    machine = state.load()
    for notice in state.notices:
        print(f"note: {notice}", file=out)
    print(f"Simulated machine: {state.path}", file=out)
    print(json.dumps(machine.profile.to_json(), indent=2), file=out)
    return EXIT_OK


async def run(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    backend = choose_backend(backend=args.backend, netsh=args.netsh, state=args.state)
    if args.command == "simulate":
        return _cmd_simulate(backend, args, out)
    services = build_services(backend, AppPaths.default())
    if args.command == "history":
        return _cmd_history(services, out)
    if args.command == "show":
        _report_corrupt_state(backend)
        state = await services.transactions.read()
        store = Store(args.store)
        if args.json:
            print(json.dumps(state.to_json(store)), file=out)
        else:
            _print_state(state, store, out)
        return _read_exit(state)
    return await _cmd_set(services, args, out, stdin)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, stdin: TextIO | None = None) -> int:
    """Run the command line; returns the exit code (see EXIT_CODES)."""
    out = out or sys.stdout
    try:
        args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
        return asyncio.run(run(args, out, stdin or sys.stdin))
    except (UsageError, ValidationError) as exc:
        print(f"loopback-tuner-cli: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except LoopbackTunerError as exc:
        print(f"loopback-tuner-cli: error: {exc}", file=sys.stderr)
        return EXIT_NETSH
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
