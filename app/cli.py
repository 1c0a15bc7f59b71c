"""The command line, ``loopback-tuner-cli``: show, set (with a trial), commands, restore, report, profiles. No Qt."""

from __future__ import annotations

import os  # loaded by the interpreter's own start-up already
import sys
from typing import TYPE_CHECKING, TextIO

from app.benchmark.entry import run_worker_if_asked
from app.cli_parts.early import start_show
from app.cli_parts.exits import EXIT_CODES, EXIT_NETSH, EXIT_OK, EXIT_PIPE_CLOSED, EXIT_USAGE, UsageError
from app.elevation.entry import run_helper_if_asked

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

    from app.domain.model import Change, MachineState, Store
    from app.runners.early import StartedRead
    from app.wiring import Services

# Nothing else is imported before main() has looked at the arguments: a plain `show` starts its netsh runs first
# (app/cli_parts/early.py), and the parser, the domain and the rest are imported while netsh runs (issue 16, make
# bench's figure 3). Every command imports its own modules when it runs.

__all__ = ["EXIT_CODES", "main"]

CHANGING = ("set", "restore", "import", "save")  # and 'history revert': every one is confirmed the same way


def _print_state(state: MachineState, store: Store, out: TextIO) -> None:
    from app.domain.model import Family, LoopbackSettings, Store

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
    from app.domain.model import Family, SettingsPatch
    from app.usecases.planning import plan_change, plan_targets

    families = tuple(Family) if args.family == "both" else (Family(args.family),)
    if not args.preset:
        return plan_change(state, families, SettingsPatch(args.mode, args.workers, args.large_mtu))
    from app.usecases.helpdesk import fill_preset

    plan_targets(state, families, lambda _family, current: current)  # an unreadable family is refused first
    current = {f: s for f in families if (s := state[f].settings) is not None}
    facts = services.machine_info
    plan = fill_preset(args.preset, current, facts.info(), facts.congestion())
    print(f"note: {plan.large_mtu.text}", file=sys.stderr)
    return plan_targets(state, families, lambda family, _current: plan.targets[family])


def _check_values(args: argparse.Namespace) -> None:
    """set/commands: a preset or explicit values, exactly one of them (checked before anything else runs)."""
    from app.domain.model import SettingsPatch

    if args.preset is None and SettingsPatch(args.mode, args.workers, args.large_mtu).is_empty:
        what = "set" if args.command == "set" else "show the commands for"
        raise UsageError(f"nothing to {what}: give --preset or at least one of --mode, --workers, --large-mtu")
    if args.preset is not None and not SettingsPatch(args.mode, args.workers, args.large_mtu).is_empty:
        raise UsageError("--preset sets every value itself: give a preset or --mode/--workers/--large-mtu, not both")


def _planned(services: Services, args: argparse.Namespace) -> Change | int:
    """Read the machine and plan what the set/commands options ask for: the change, or the exit code why not."""
    from app.cli_parts.common import read_exit, report_corrupt_state
    from app.cli_parts.reading import read_state
    from app.domain.model import Family
    from app.usecases.planning import FamilyUnavailableError

    report_corrupt_state(services.simulated)
    state = read_state(services)
    try:
        return _plan(services, state, args)
    except FamilyUnavailableError as exc:
        print(f"loopback-tuner-cli: error: {exc}", file=sys.stderr)
        families = tuple(Family) if args.family == "both" else (Family(args.family),)
        return read_exit(state, families)  # every family asked for, combined by the stated precedence


def _cmd_commands(services: Services, args: argparse.Namespace, out: TextIO) -> int:
    """``commands``: print the netsh lines a change (or its undo) would run; runs nothing that changes."""
    from app.cli_parts.common import print_change
    from app.domain.commands import commands_for, display
    from app.domain.model import Store

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


def run(args: argparse.Namespace, out: TextIO, stdin: TextIO, early: StartedRead | None = None) -> int:
    """Run the parsed command; ``early``: show's runs, started before the parse (app/cli_parts/early.py), taken
    only when the parse chose the same backend."""
    if args.command == "deploy":  # writes files only: no backend, no read
        from app.cli_parts.fleet import cmd_deploy

        return cmd_deploy(args, out)
    from app.cli_parts import diagnose as diagnose_part

    diagnose_part.check_capture(args)
    from app.wiring import backend_from

    backend = backend_from(args)
    started = None
    if args.command == "show":
        # show's netsh runs: usually started already; else now, on threads, while the rest is imported and set up
        from app.runners.early import start_read

        started = early if early is not None and early.backend == backend else start_read(backend)
    from app.paths import AppPaths
    from app.support_log import configure_logging
    from app.wiring import build_services

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
            raise UsageError("save is no trial (it changes no behavior now): --trial is not taken")
        require_answerable(options_from(args), stdin, command="save" if args.command == "save" else "apply and keep")
    paths = AppPaths.default()
    problem = configure_logging(paths.logs, verbose=args.verbose)
    if problem and args.verbose:
        print(f"note: {problem}", file=sys.stderr)
    services = build_services(backend, paths, simulated=started.simulated if started else None)
    if args.command == "history" and args.action is None:
        if args.id is not None:
            raise UsageError("give 'history revert ID' to revert an entry; 'history' alone lists them")
        from app.cli_parts.helpdesk import cmd_history

        return cmd_history(services, out)
    from app.cli_parts.recovery import global_arguments, print_recovery

    recovery = services.recover()
    print_recovery(recovery, global_arguments(args), sys.stderr)
    if args.command == "measure":  # each command's module is imported when it runs
        from app.cli_parts.measure import cmd_measure

        return cmd_measure(services, args, out)
    if args.command == "compare":
        from app.cli_parts.compare import cmd_compare

        return cmd_compare(services, args, out, stdin)
    if args.command == "check":
        from app.cli_parts.fleet import cmd_check

        return cmd_check(services, args, out)
    if args.command == "show":
        # What the read needs once netsh has answered is imported now, while netsh runs: the quoting the support log
        # writes each run's command line with (app/domain/commands.py display), the outside-change check below.
        import subprocess  # noqa: F401

        import app.usecases.outside  # noqa: F401
        from app.cli_parts.common import read_exit, report_corrupt_state
        from app.cli_parts.reading import read_state
        from app.domain.model import Store
        from app.wiring import logged_reader

        report_corrupt_state(services.simulated)
        state = read_state(services, logged_reader(started.runner, started.build) if started else None)
        store = Store(args.store)
        outside = services.outside_changes(state)
        if args.json:
            document = state.to_json(store)
            for finding in outside:  # inside each family's object: the documented shape has no new top-level key
                family = document.get(finding.family.value)
                if isinstance(family, dict) and "error" not in family:
                    family.setdefault("changed_outside", []).append(finding.to_json())
            import json

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
        from app.wiring import defaults_table

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
    """Run the command line; returns the exit code (see EXIT_CODES). Without ``argv`` (sys.argv: this process is the
    command line, and exits next) the objects made so far are left out of the interpreter's last collections."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    worker_code = run_worker_if_asked(args_list)  # a benchmark worker (measure), in either frozen exe too
    if worker_code is not None:
        return worker_code
    helper_code = run_helper_if_asked(args_list)  # either frozen exe may be started as the helper
    if helper_code is not None:
        return helper_code
    early = start_show(args_list)  # a plain show's netsh runs, started before anything else is imported
    code = _command(args_list, out or sys.stdout, stdin or sys.stdin, early)
    if argv is None:
        import gc

        # The interpreter's exit collects garbage several times over every object of every imported module: about
        # 15 ms here, for objects freed with the process anyway. gc.freeze() leaves them out of those passes; exit
        # is otherwise the same (atexit handlers, the log's shutdown, flushing the standard streams).
        gc.freeze()
    return code


def _command(args_list: list[str], out: TextIO, stdin: TextIO, early: StartedRead | None) -> int:
    from app.cli_parts.parser import build_parser
    from app.domain.errors import LoopbackTunerError, ValidationError

    try:
        args = build_parser(args_list).parse_args(args_list)  # only the parser of the command run
        return run(args, out, stdin, early)
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
        import contextlib

        with contextlib.suppress(OSError, ValueError):  # so the interpreter's final flush cannot fail again
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("loopback-tuner-cli: error: standard output was closed before everything was written", file=sys.stderr)
        return EXIT_PIPE_CLOSED


if __name__ == "__main__":
    raise SystemExit(main())
