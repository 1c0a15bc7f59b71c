"""The command line, ``loopback-tuner-cli``: show, set (with a trial), commands, restore, report, profiles. No Qt."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from app import __version__
from app.cli_parts import diagnose as diagnose_part
from app.cli_parts import fleet
from app.cli_parts.common import (
    EXIT_CODES,
    EXIT_NETSH,
    EXIT_OK,
    EXIT_PIPE_CLOSED,
    EXIT_USAGE,
    UsageError,
    print_change,
    read_exit,
    report_corrupt_state,
)
from app.cli_parts.reading import read_state
from app.cli_parts.recovery import global_arguments, print_recovery
from app.domain.commands import commands_for, display
from app.domain.errors import LoopbackTunerError, ValidationError
from app.domain.model import (
    Change,
    Family,
    LoopbackSettings,
    MachineState,
    SettingsPatch,
    Store,
    parse_execution_mode,
    validate_worker_count,
)
from app.domain.presets import PresetId
from app.elevation.entry import run_helper_if_asked
from app.paths import AppPaths
from app.simulator.profile import KNOWN_BUILDS, Fault, UacAnswer
from app.support_log import configure_logging
from app.usecases.planning import FamilyUnavailableError, plan_targets
from app.wiring import Services, add_backend_options, backend_from, build_services, defaults_table

__all__ = ["EXIT_CODES", "build_parser", "main"]

CHANGING = ("set", "restore", "import", "save")  # and 'history revert': every one is confirmed the same way


class _Parser(argparse.ArgumentParser):
    """No abbreviated options (``--fam`` is an error, never ``--family``): a typo must not become another option.
    Sub-command parsers are made with this class too, so the rule holds for every one of them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

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


def _add_apply_options(p: argparse.ArgumentParser, *, store: bool = True) -> None:
    """The options every command that changes settings takes, with the same meaning everywhere."""
    p.add_argument(
        "--trial",
        type=_trial,
        metavar="SECONDS",
        help="the trial's length (default 15 s); the answer is then read from standard input, terminal or pipe",
    )
    p.add_argument("--yes", "-y", action="store_true", help="keep as soon as the values are verified, without asking")
    p.add_argument("--dry-run", action="store_true", help="validate and show the change and its commands; run nothing")
    p.add_argument("--json", action="store_true", help="print one JSON result on standard output (text on stderr)")
    if store:
        p.add_argument(
            "--store",
            choices=[s.value for s in Store],
            default="persistent",
            help="persistent (default: now and after a restart) or active (until the next restart)",
        )


def build_parser() -> _Parser:
    epilog = "exit codes:\n" + "\n".join(f"  {code}  {text}" for code, text in EXIT_CODES.items())
    parser = _Parser(
        prog="loopback-tuner-cli",
        description="Inspect and tune Windows' TCP loopback settings.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"loopback-tuner {__version__}")
    add_backend_options(parser)
    parser.add_argument("--verbose", "-v", action="store_true", help="print every netsh command and its output")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    show = sub.add_parser("show", help="print the current loopback settings")
    show.add_argument("--json", action="store_true", help="machine-readable output (a stable contract)")
    show.add_argument("--store", choices=[s.value for s in Store], default="active")

    for name, text in (
        ("set", "change settings (validated first; asks for administrator rights)"),
        ("commands", "print the netsh commands a change would run, without running them"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--family", choices=("ipv4", "ipv6", "both"), required=True)
        p.add_argument(
            "--preset", choices=[p.value for p in PresetId], help="the values of a preset (not with the options below)"
        )
        p.add_argument("--mode", type=_mode, help="adaptive, inline or worker")
        p.add_argument("--workers", type=_workers, help="worker count, 1 to 16")
        p.add_argument("--large-mtu", type=_on_off, help="on or off")
        if name == "set":
            _add_apply_options(p)
        else:
            p.add_argument("--store", choices=[s.value for s in Store], default="persistent")
            p.add_argument("--undo", action="store_true", help="print the commands that undo the change instead")

    restore = sub.add_parser("restore", help="go back to this machine's original values or Windows' defaults")
    restore.add_argument("source", choices=("original", "windows-defaults"))
    restore.add_argument("--family", choices=("ipv4", "ipv6", "both"), default="both")
    _add_apply_options(restore)

    report = sub.add_parser("report", help="a report for a ticket: machine, values, history, warnings")
    report.add_argument("--markdown", action="store_true")
    export = sub.add_parser("export", help="save the current values to a profile file (JSON)")
    export.add_argument("file")
    export.add_argument("--force", action="store_true", help="replace an existing file")
    imp = sub.add_parser("import", help="apply the values of a profile file")
    imp.add_argument("file")
    _add_apply_options(imp)
    history = sub.add_parser("history", help="list past changes (with their ids); 'history revert ID' undoes one")
    history.add_argument("action", nargs="?", choices=("revert",), help="revert: put back what change ID replaced")
    history.add_argument("id", nargs="?", help="the entry's id (its first characters are enough when unique)")
    _add_apply_options(history)
    save = sub.add_parser("save", help="make the active values persistent (those marked 'lost at restart')")
    save.add_argument("--family", choices=("ipv4", "ipv6", "both"), default="both")
    save.add_argument("--yes", "-y", action="store_true", help="do not ask (needed without a terminal)")
    save.add_argument("--dry-run", action="store_true", help="show what would be saved and its commands; run nothing")
    save.add_argument("--json", action="store_true", help="print one JSON result on standard output (text on stderr)")
    save.add_argument("--trial", type=_trial, metavar="SECONDS", help=argparse.SUPPRESS)

    fleet.add_parsers(sub)  # check, deploy (issue 17)
    sim = sub.add_parser("simulate", help="show or change the simulated Windows machine")
    sim_sub = sim.add_subparsers(dest="sim_command", required=True, metavar="ACTION")
    sim_sub.add_parser("show", help="print the simulated machine's profile")
    prof = sim_sub.add_parser("profile", help="change the profile (only the options given)")
    prof.add_argument("--build", type=int, help=", ".join(f"{b.number} ({b.name})" for b in KNOWN_BUILDS))
    prof.add_argument("--language", choices=("en-US", "zh-CN"))
    prof.add_argument("--elevated", type=_on_off, metavar="on|off", help="the session runs as administrator")
    prof.add_argument("--latency", type=int, metavar="MS", help="delay every netsh run by MS milliseconds")
    prof.add_argument("--processors", type=int, metavar="N", help="the machine's logical processors (1-2048)")
    prof.add_argument("--uac", choices=[u.value for u in UacAnswer], help="what the UAC prompt answers")
    prof.add_argument(
        "--congestion", choices=("cubic", "bbr2", "newreno", "dctcp", "ctcp"), help="the TCP congestion provider"
    )
    prof.add_argument(
        "--fault",
        action="append",
        choices=[f.value for f in Fault] + ["none"],
        help="make netsh misbehave (repeatable; 'none' clears)",
    )
    sim_sub.add_parser("reboot", help="restart the simulated machine (active-only changes are lost)")
    sim_sub.add_parser("reset", help="forget the simulated machine and start a fresh one")
    diagnose_part.add_arguments(parser, sub)
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


def _plan(services: Services, state: MachineState, args: argparse.Namespace) -> Change:
    """The change the set/commands options ask for; raises FamilyUnavailableError for an unreadable family. A preset
    is filled in for the configured machine (its processors, the BBR2 rule), as the window's preset buttons do."""
    families = tuple(Family) if args.family == "both" else (Family(args.family),)
    if not args.preset:
        patch = SettingsPatch(args.mode, args.workers, args.large_mtu)
        return plan_targets(state, families, lambda _family, current: current.with_patch(patch))
    from app.usecases.helpdesk import fill_preset

    plan_targets(state, families, lambda _family, current: current)  # an unreadable family is refused first
    current = {f: s for f in families if (s := state[f].settings) is not None}
    facts = services.machine_info
    plan = fill_preset(args.preset, current, facts.info(), facts.congestion())
    print(f"note: {plan.large_mtu.text}", file=sys.stderr)
    return plan_targets(state, families, lambda family, _current: plan.targets[family])


def _check_values(args: argparse.Namespace) -> None:
    """set/commands: a preset or explicit values, exactly one of them (checked before anything else runs)."""
    if args.preset is None and SettingsPatch(args.mode, args.workers, args.large_mtu).is_empty:
        what = "set" if args.command == "set" else "show the commands for"
        raise UsageError(f"nothing to {what}: give --preset or at least one of --mode, --workers, --large-mtu")
    if args.preset is not None and not SettingsPatch(args.mode, args.workers, args.large_mtu).is_empty:
        raise UsageError("--preset sets every value itself: give a preset or --mode/--workers/--large-mtu, not both")


def _planned(services: Services, args: argparse.Namespace) -> Change | int:
    """Read the machine and plan what the set/commands options ask for: the change, or the exit code why not."""
    report_corrupt_state(services.backend)
    state = read_state(services)
    try:
        return _plan(services, state, args)
    except FamilyUnavailableError as exc:
        print(f"loopback-tuner-cli: error: {exc}", file=sys.stderr)
        families = tuple(Family) if args.family == "both" else (Family(args.family),)
        return read_exit(state, families)  # every family asked for, combined by the stated precedence


def _cmd_commands(services: Services, args: argparse.Namespace, out: TextIO) -> int:
    """``commands``: print the netsh lines a change (or its undo) would run; runs nothing that changes."""
    change = _planned(services, args)
    if isinstance(change, int):
        return change
    if change.is_empty:
        print("Nothing to change: the machine already has these values.", file=out)
        return EXIT_OK
    shown = change.inverse() if args.undo else change
    print_change(shown, out)
    for argv in commands_for(shown, Store(args.store)):
        print(display(argv), file=out)
    return EXIT_OK


def _cmd_set(services: Services, args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    """``set``: apply the planned change (a trial with --trial)."""
    change = _planned(services, args)
    if isinstance(change, int):
        return change
    from app.cli_parts.apply import apply_change, options_from

    return apply_change(services, change, options_from(args), out, stdin, command="set", verbose=args.verbose)


def run(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    if args.command == "deploy":  # writes files only: no backend, no read
        return fleet.cmd_deploy(args, out)
    diagnose_part.check_capture(args)
    backend = backend_from(args)
    if args.command == "diagnose":
        return diagnose_part.cmd_diagnose(backend, args, out, sys.stderr)
    if args.command == "simulate":
        from app.cli_parts.helpdesk import cmd_simulate

        return cmd_simulate(backend, args, out)
    if args.command in ("set", "commands"):
        _check_values(args)
    if args.command in CHANGING or (args.command == "history" and args.action == "revert"):
        from app.cli_parts.apply import options_from, require_answerable

        if args.command == "save" and args.trial is not None:
            raise UsageError("save is no trial (it changes no behaviour now): --trial is not taken")
        require_answerable(options_from(args), stdin, command="save" if args.command == "save" else "apply and keep")
    paths = AppPaths.default()
    problem = configure_logging(paths.logs, verbose=args.verbose)
    if problem and args.verbose:
        print(f"note: {problem}", file=sys.stderr)
    services = build_services(backend, paths)
    if args.command == "history" and args.action is None:
        if args.id is not None:
            raise UsageError("give 'history revert ID' to revert an entry; 'history' alone lists them")
        from app.cli_parts.helpdesk import cmd_history

        return cmd_history(services, out)
    recovery = services.recover()
    print_recovery(recovery, global_arguments(args), sys.stderr)
    if args.command == "check":
        return fleet.cmd_check(services, args, out)
    if args.command == "show":
        report_corrupt_state(backend)
        state = read_state(services)
        store = Store(args.store)
        outside = services.outside_changes(state)
        if args.json:
            document = state.to_json(store)
            for finding in outside:  # inside each family's object: the documented shape has no new top-level key
                family = document.get(finding.family.value)
                if isinstance(family, dict) and "error" not in family:
                    family.setdefault("changed_outside", []).append(finding.to_json())
            print(json.dumps(document), file=out)
        else:
            _print_state(state, store, out)
            for finding in outside:
                print(f"note: {finding.text}", file=out)
        return read_exit(state)
    if args.command in ("report", "export", "import", "restore"):  # help-desk commands: loaded when used
        from app.cli_parts import helpdesk

        if args.command == "report":
            return helpdesk.cmd_report(services, args, out)
        if args.command == "export":
            return helpdesk.cmd_export(services, args, out)
        if args.command == "import":
            return helpdesk.cmd_import(services, args, out, stdin)
        return helpdesk.cmd_restore(services, args, out, stdin, defaults_table())
    if args.command == "history":
        from app.cli_parts.helpdesk import cmd_history_revert

        return cmd_history_revert(services, args, out, stdin)
    if args.command == "save":
        from app.cli_parts.save import cmd_save

        return cmd_save(services, args, out, stdin)
    if args.command == "commands":
        return _cmd_commands(services, args, out)
    return _cmd_set(services, args, out, stdin)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, stdin: TextIO | None = None) -> int:
    """Run the command line; returns the exit code (see EXIT_CODES)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    helper_code = run_helper_if_asked(args_list)  # either frozen exe may be started as the helper
    if helper_code is not None:
        return helper_code
    out = out or sys.stdout
    try:
        args = build_parser().parse_args(args_list)
        return run(args, out, stdin or sys.stdin)
    except (UsageError, ValidationError) as exc:
        print(f"loopback-tuner-cli: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except LoopbackTunerError as exc:
        print(f"loopback-tuner-cli: error: {exc}", file=sys.stderr)
        return EXIT_NETSH
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # standard output closed early (`| head`): a trial not yet kept was reverted by then
        with contextlib.suppress(OSError, ValueError):  # so the interpreter's final flush cannot fail again
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("loopback-tuner-cli: error: standard output was closed before everything was written", file=sys.stderr)
        return EXIT_PIPE_CLOSED


if __name__ == "__main__":
    raise SystemExit(main())
