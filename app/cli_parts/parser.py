"""The command line's parser: every command, its options and their validation (no abbreviations, one error line).

``build_parser(argv)`` builds only the sub-command ``argv`` runs (and imports only its module): a read such as
``show`` pays for neither the other commands' parsers nor their imports (issue 16, make bench's figure 3). Help, an
unknown command or no argv builds them all.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from app import __version__
from app.cli_parts.early import command_of
from app.cli_parts.exits import EXIT_CODES, UsageError
from app.domain.errors import ValidationError
from app.domain.model import Store, parse_execution_mode, validate_worker_count
from app.wiring import add_backend_options


class Parser(argparse.ArgumentParser):
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


def build_parser(argv: Sequence[str] | None = None) -> Parser:
    """The parser; with ``argv``, only the sub-command it names is added (all of them when it names none we
    know, or asks for help)."""
    epilog = "exit codes:\n" + "\n".join(f"  {code}  {text}" for code, text in EXIT_CODES.items())
    parser = Parser(
        prog="loopback-tuner-cli",
        description="Inspect and tune Windows' TCP loopback settings.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"loopback-tuner {__version__}")
    add_backend_options(parser)
    parser.add_argument("--verbose", "-v", action="store_true", help="print every netsh command and its output")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    command = command_of(argv) if argv is not None and not {"-h", "--help", "--version"} & set(argv) else None
    builders = [(names, add) for names, add in _COMMANDS if command is None or command in names]
    for _names, add in builders if len(builders) == 1 else _COMMANDS:
        add(parser, sub)
    return parser


Sub = Any  # argparse's _SubParsersAction, private


def _add_show(_parser: Parser, sub: Sub) -> None:
    show = sub.add_parser("show", help="print the current loopback settings")
    show.add_argument("--json", action="store_true", help="machine-readable output (a stable contract)")
    show.add_argument("--store", choices=[s.value for s in Store], default="active")


def _add_set_and_commands(_parser: Parser, sub: Sub) -> None:
    from app.domain.presets import PresetId

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


def _add_restore(_parser: Parser, sub: Sub) -> None:
    restore = sub.add_parser("restore", help="go back to this machine's original values or Windows' defaults")
    restore.add_argument("source", choices=("original", "windows-defaults"))
    restore.add_argument("--family", choices=("ipv4", "ipv6", "both"), default="both")
    _add_apply_options(restore)


def _add_report(_parser: Parser, sub: Sub) -> None:
    report = sub.add_parser("report", help="a report for a ticket: machine, values, history, warnings")
    report.add_argument("--markdown", action="store_true")


def _add_export(_parser: Parser, sub: Sub) -> None:
    export = sub.add_parser("export", help="save the current values to a profile file (JSON)")
    export.add_argument("file")
    export.add_argument("--force", action="store_true", help="replace an existing file")


def _add_import(_parser: Parser, sub: Sub) -> None:
    imp = sub.add_parser("import", help="apply the values of a profile file")
    imp.add_argument("file")
    _add_apply_options(imp)


def _add_history(_parser: Parser, sub: Sub) -> None:
    history = sub.add_parser("history", help="list past changes (with their ids); 'history revert ID' undoes one")
    history.add_argument("action", nargs="?", choices=("revert",), help="revert: put back what change ID replaced")
    history.add_argument("id", nargs="?", help="the entry's id (its first characters are enough when unique)")
    _add_apply_options(history)


def _add_save(_parser: Parser, sub: Sub) -> None:
    save = sub.add_parser("save", help="make the active values persistent (those marked 'lost at restart')")
    save.add_argument("--family", choices=("ipv4", "ipv6", "both"), default="both")
    save.add_argument(
        "--yes", "-y", action="store_true", help="run without a terminal (save never asks: it writes once)"
    )
    save.add_argument("--dry-run", action="store_true", help="show what would be saved and its commands; run nothing")
    save.add_argument("--json", action="store_true", help="print one JSON result on standard output (text on stderr)")
    save.add_argument("--trial", type=_trial, metavar="SECONDS", help=argparse.SUPPRESS)


def _add_fleet(_parser: Parser, sub: Sub) -> None:
    from app.cli_parts import fleet

    fleet.add_parsers(sub)  # check, deploy (issue 17)


def _add_simulate(_parser: Parser, sub: Sub) -> None:
    from app.simulator.profile import KNOWN_BUILDS, Fault, UacAnswer

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


def _add_diagnose(parser: Parser, sub: Sub) -> None:
    from app.cli_parts import diagnose

    diagnose.add_arguments(parser, sub)


def _add_measure(_parser: Parser, sub: Sub) -> None:
    from app.cli_parts.measure import add_measure_parser

    add_measure_parser(sub)


def _add_compare(_parser: Parser, sub: Sub) -> None:
    from app.cli_parts.compare import add_compare_parser

    add_compare_parser(sub)


# Every sub-command, in the order help lists them, with the function that adds it.
_COMMANDS: tuple[tuple[tuple[str, ...], Callable[[Parser, Sub], None]], ...] = (
    (("show",), _add_show),
    (("set", "commands"), _add_set_and_commands),
    (("restore",), _add_restore),
    (("report",), _add_report),
    (("export",), _add_export),
    (("import",), _add_import),
    (("history",), _add_history),
    (("save",), _add_save),
    (("check", "deploy"), _add_fleet),
    (("simulate",), _add_simulate),
    (("diagnose",), _add_diagnose),
    (("measure",), _add_measure),
    (("compare",), _add_compare),
)
