"""Help-desk commands: report, export, import, restore, history, and the simulated machine's controls."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from app.cli_parts.common import EXIT_NETSH, EXIT_OK, EXIT_USAGE, UsageError, read_exit
from app.cli_parts.reading import read_full, read_state
from app.domain.model import Change, Family, LoopbackSettings, MachineState, Store
from app.runners.factory import Backend, sim_state
from app.simulator.profile import SimProfile
from app.usecases.helpdesk import (
    DefaultsTable,
    DefaultsUnavailableError,
    ProfileError,
    read_profile,
    write_profile,
)
from app.usecases.known_problems import known_problems
from app.usecases.planning import FamilyUnavailableError, plan_revert, plan_to_match
from app.usecases.report import ReportInput, build_report
from app.wiring import Services


def _change_to(state: MachineState, targets: dict[Family, LoopbackSettings], args: argparse.Namespace) -> Change:
    """The change to ``targets`` in the chosen store (with the persistent one, saved values that drifted too)."""
    try:
        return plan_to_match(state, targets, Store(args.store))
    except FamilyUnavailableError as exc:
        raise UsageError(f"{exc.family.label} cannot be read ({exc.message}); nothing was changed") from None


def _families(value: str) -> tuple[Family, ...]:
    return tuple(Family) if value == "both" else (Family(value),)


def cmd_report(services: Services, args: argparse.Namespace, out: TextIO) -> int:
    state = read_state(services)
    info = services.machine_info.info()
    congestion = services.machine_info.congestion()
    warnings = [problem.text for problem in known_problems(info, congestion.providers, state.settings())]
    entries, notices = services.history.load()
    warnings += notices
    print(build_report(ReportInput(info, state, Change(), entries, warnings), markdown=args.markdown), end="", file=out)
    return EXIT_OK


def cmd_export(services: Services, args: argparse.Namespace, out: TextIO) -> int:
    path = Path(args.file)
    if path.exists() and not args.force:
        raise UsageError(f"{path} exists; add --force to replace it")
    folder = path.absolute().parent
    if not folder.is_dir():  # a typo in the folder must not create a tree of folders somewhere
        raise UsageError(f"the folder {folder} does not exist; create it first, or choose another")
    state = read_state(services)
    values = state.settings()
    if not values:
        print("loopback-tuner-cli: error: no family could be read; nothing was exported", file=sys.stderr)
        return EXIT_NETSH
    try:
        write_profile(path, values, note="exported by loopback-tuner-cli")
    except ProfileError as exc:
        print(f"loopback-tuner-cli: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"Saved {', '.join(f.label for f in values)} to {path}.", file=out)
    return EXIT_OK


def _read_profile(path: Path) -> dict[Family, LoopbackSettings]:
    try:
        return read_profile(path)
    except ProfileError as exc:
        raise UsageError(str(exc)) from None


def cmd_import(services: Services, args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    targets = _read_profile(Path(args.file))  # validated completely before netsh runs
    state = read_state(services)
    change = _change_to(state, targets, args)
    from app.cli_parts.apply import apply_change, options_from  # the trial machinery: only when a change runs

    return apply_change(services, change, options_from(args), out, stdin, command=args.command, verbose=args.verbose)


def cmd_restore(
    services: Services, args: argparse.Namespace, out: TextIO, stdin: TextIO, defaults_text: str | None
) -> int:
    families = _families(args.family)
    read = read_full(services)
    state = read.state
    if args.source == "original":
        originals = read.originals  # the machine-wide record, else this user's (one decision: the read use case)
        missing = [f.label for f in families if f not in originals]
        if missing:
            raise UsageError(f"no original values are known for {', '.join(missing)}")
        for family in families:
            print(f"{family.label} original values, {originals[family].provenance}", file=out)
        targets = {f: originals[f].settings for f in families}
    else:
        table = DefaultsTable.from_text(defaults_text)
        info = services.machine_info.info()
        try:
            entry = table.for_machine(info.build, simulated=services.backend.is_simulated)
        except DefaultsUnavailableError as exc:
            raise UsageError(str(exc)) from None
        print(f"Windows defaults for build {info.build} (source: {entry.source})", file=out)
        targets = dict.fromkeys(families, entry.settings)
    change = _change_to(state, targets, args)
    from app.cli_parts.apply import apply_change, options_from  # the trial machinery: only when a change runs

    return apply_change(services, change, options_from(args), out, stdin, command=args.command, verbose=args.verbose)


def cmd_history(services: Services, out: TextIO) -> int:
    entries, notices = services.history.load()
    for notice in notices:
        print(f"note: {notice}", file=out)
    if not entries:
        print("No changes recorded yet.", file=out)
    for entry in entries:
        print(f"{entry.id[:ID_SHOWN]}  {entry.summary()}", file=out)
        if entry.reason and entry.outcome is not None and not entry.stayed:
            print(f"{'':29}  reason: {entry.reason}", file=out)
    return EXIT_OK


ID_SHOWN = 8  # the characters of an entry's id that `history` prints (a uuid4 hex: unique in practice)


def cmd_history_revert(services: Services, args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    """``history revert ID``: what *Revert this change* does in the window, through the same apply flow."""
    if not args.id:
        raise UsageError("history revert needs the id of an entry (see 'history')")
    entries, _ = services.history.load()
    found = [e for e in entries if e.id.startswith(args.id.lower())]
    if len(found) != 1:
        what = "no entry has" if not found else f"{len(found)} entries have"
        raise UsageError(f"{what} an id starting with {args.id!r} (see 'history')")
    (entry,) = found
    print(f"Reverting {entry.id[:ID_SHOWN]}: {'; '.join(entry.requested.describe())}", file=out)
    state = read_state(services)
    try:
        change = plan_revert(entry, state)  # NotRevertibleError is a usage error: exit 2
    except FamilyUnavailableError as exc:
        print(f"loopback-tuner-cli: error: {exc}", file=sys.stderr)
        return read_exit(state, tuple(fc.family for fc in entry.requested.families))
    from app.cli_parts.apply import apply_change, options_from  # the trial machinery: only when a change runs

    return apply_change(services, change, options_from(args), out, stdin, command=args.command, verbose=args.verbose)


def cmd_simulate(backend: Backend, args: argparse.Namespace, out: TextIO) -> int:
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
        updates = {
            "build": args.build,
            "language": args.language,
            "elevated": args.elevated,
            "latency_ms": args.latency,
            "processors": args.processors,
            "uac": args.uac,
            "congestion_provider": args.congestion,
        }
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
