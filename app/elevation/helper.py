"""The helper process: applies a change to the active store, then keeps or reverts it as the app decides.

It runs elevated on Windows, so it trusts nothing it did not check: every argument is re-validated with the
core's rules, it can only build loopback ``set global`` commands, it runs netsh only by its System32 path,
reads no user-writable file (the simulated backend, which never runs elevated, is the one exception), speaks
JSON (never pickle) on an authenticated channel that carries decisions only, and exits when done. If the app
goes away, stops beating (protocol.BEAT_WINDOW_S) or says nothing by the deadline, it restores the values it found.
Only a bounded pause from the app (protocol.MAX_PAUSE_S, MAX_PAUSES: Measure now) moves that deadline.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

from app.domain.commands import parse_set_global
from app.domain.errors import ValidationError
from app.domain.model import Family, SettingsPatch, Store
from app.domain.outcomes import Outcome
from app.elevation.trial import Transaction
from app.runners.base import NetshRunner
from app.storage.machine import MachineRecords, machine_records

EXIT_KEPT, EXIT_REVERTED, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3
EXIT_BUSY = 6  # another trial holds the machine: refused before reading anything, nothing sent, nothing changed
MAX_TRIAL_S = 3600
COMPARE_FLAG = "--compare-session"
DEFAULT_NETSH_TIMEOUT_S = 15.0
NETSH_TIMEOUT_RANGE_S = (0.1, 300.0)  # each netsh run; a hung one is killed and the previous values restored

__all__ = ["EXIT_BUSY", "EXIT_FAILED", "EXIT_KEPT", "EXIT_REVERTED", "EXIT_USAGE", "main"]


class HelperUsageError(Exception):
    """The helper was started with arguments it will not act on."""


class _Parser(argparse.ArgumentParser):
    """No abbreviated options (``--fam`` is an error, never ``--family``): a typo must not become another option.
    Sub-command parsers are made with this class too, so the rule holds for every one of them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise HelperUsageError(message)


def _process_id(text: str) -> int:
    """A process id: a positive integer below 2**32; raises ArgumentTypeError (argparse refuses it)."""
    value = int(text) if text.isascii() and text.isdigit() else 0
    if not 0 < value < 2**32:
        raise argparse.ArgumentTypeError(f"not a process id: {text!r}")
    return value


def _parser(*, comparison: bool = False) -> _Parser:
    """The helper's options; a comparison session (``--compare-session``) takes ``--config`` instead of ``--change``."""
    p = _Parser(prog="loopback-tuner helper", add_help=False)
    p.add_argument("--backend", choices=("system", "simulated", "custom"), required=True)
    p.add_argument("--state")
    p.add_argument("--netsh")
    p.add_argument("--address", required=True)
    p.add_argument("--app-pid", type=_process_id, required=True)  # only that process may hold the channel
    p.add_argument("--authkey")
    p.add_argument("--authkey-stdin", action="store_true")
    p.add_argument("--deadline-seconds", type=int, required=True)
    p.add_argument("--keep-store", choices=("persistent", "active"), required=True)
    p.add_argument("--config" if comparison else "--change", action="append", required=True)
    p.add_argument("--netsh-timeout", type=float, default=DEFAULT_NETSH_TIMEOUT_S)
    return p


def parse_changes(values: Sequence[str]) -> list[tuple[Family, SettingsPatch]]:
    """``family:tag=value,...`` items, validated by the core's strict parser; raises ValidationError."""
    changes: list[tuple[Family, SettingsPatch]] = []
    for value in values:
        family_text, sep, tags = value.partition(":")
        if not sep or not tags:
            raise ValidationError(f"bad change {value!r}")
        family, patch, _ = parse_set_global(
            ["interface", family_text, "set", "global", *tags.split(","), "store=active"]
        )
        if any(f is family for f, _ in changes):
            raise ValidationError(f"{family} named twice")
        changes.append((family, patch))
    return changes


def _helper_runner(options: argparse.Namespace) -> NetshRunner:
    """The runner the helper may use; raises HelperUsageError for a combination it refuses."""
    from pathlib import Path

    from app.runners.factory import Backend, BackendKind, make_runner

    if options.backend == "system":
        if options.state or options.netsh:
            raise HelperUsageError("the system backend takes no --state or --netsh")
        if sys.platform != "win32":
            raise HelperUsageError("the system backend exists only on Windows")
        return make_runner(Backend(BackendKind.SYSTEM), timeout_s=options.netsh_timeout)
    if sys.platform == "win32":
        from app.platform.windows import default_api, is_elevated

        if is_elevated(default_api()):
            # An elevated process runs only System32's netsh: never a program or state file a user could write.
            raise HelperUsageError("an elevated helper only uses the system netsh")
    if options.backend == "simulated":
        if not options.state or options.netsh:
            raise HelperUsageError("the simulated backend needs --state and no --netsh")
        return make_runner(
            Backend(BackendKind.SIMULATED, state=Path(options.state)), as_admin=True, timeout_s=options.netsh_timeout
        )
    if not options.netsh or options.state:
        raise HelperUsageError("the custom backend needs --netsh and no --state")
    return make_runner(Backend(BackendKind.CUSTOM, netsh=Path(options.netsh)), timeout_s=options.netsh_timeout)


def _machine_records(options: argparse.Namespace) -> MachineRecords | None:
    """The machine-wide records for the helper's backend (a custom netsh has none); errors leave it None."""
    from pathlib import Path

    try:
        return machine_records(options.backend, Path(options.state) if options.state else None)
    except OSError as exc:
        print(f"helper: no machine-wide records ({exc})", file=sys.stderr)
        return None


def _connect(address: str, authkey: bytes, app_pid: int, timeout_s: float = 30.0) -> Connection:
    """Reach the app (process ``app_pid``, our user) and authenticate; raises ChannelError, OSError."""
    from app.elevation.channel import connect_to_app

    return connect_to_app(address, authkey, app_pid, timeout_s=timeout_s)


def check_address(address: str, platform: str = sys.platform) -> str:
    r"""The channel address, if it is one the app makes; raises HelperUsageError otherwise.

    On Windows only a local pipe named by the app (``\\.\pipe\LoopbackTuner-<32 hex>``): never a remote
    ``\\host\pipe\...``, which would send the elevated process's credentials over the network.
    Elsewhere an absolute socket path.
    """
    if platform == "win32":
        from app.elevation.channel import PIPE_NAME

        if not PIPE_NAME.fullmatch(address):
            raise HelperUsageError("the channel must be this machine's LoopbackTuner pipe")
    elif not address.startswith("/") or "\0" in address or len(address) > 200:
        raise HelperUsageError("the channel must be an absolute socket path")
    return address


def _take_machine(options: argparse.Namespace, held: contextlib.ExitStack) -> int | None:
    """Take the one-trial-per-machine lock before anything is read; None when taken, else the exit code."""
    from app.elevation.machine_lock import BUSY_MESSAGE, machine_lock_for

    try:
        lock = machine_lock_for(options.backend, options.state, options.netsh)
        taken = lock.acquire()
    except (OSError, ValueError) as exc:
        print(f"helper: the machine lock could not be taken ({exc}); nothing changed", file=sys.stderr)
        return EXIT_FAILED
    if not taken:
        print(f"helper: refused: {BUSY_MESSAGE}; nothing read, nothing changed", file=sys.stderr)
        return EXIT_BUSY
    held.callback(lock.release)
    if lock.abandoned:
        print(
            "helper: a previous helper ended without releasing the machine lock (it died); lock taken over",
            file=sys.stderr,
        )
    return None


def checked_session(options: argparse.Namespace) -> tuple[bytes, NetshRunner]:
    """Check what every helper session needs (channel address, deadline, netsh time limit, key) and build its
    runner; raises HelperUsageError, ValueError. Shared by the trial and the comparison session."""
    check_address(options.address, sys.platform)  # read now, not when the module was imported
    if not 1 <= options.deadline_seconds <= MAX_TRIAL_S + 60:
        raise HelperUsageError("deadline out of range")
    low, high = NETSH_TIMEOUT_RANGE_S
    if not low <= options.netsh_timeout <= high:  # also refuses nan and inf
        raise HelperUsageError(f"--netsh-timeout must be {low:g} to {high:g} seconds")
    key_hex = sys.stdin.readline().strip() if options.authkey_stdin else options.authkey
    if not key_hex or len(key_hex) != 64:
        raise HelperUsageError("a 32-byte key is required")
    return bytes.fromhex(key_hex), _helper_runner(options)


T = TypeVar("T")
Connect = Callable[[str, bytes, int], Connection]  # (address, key, the app's pid) -> an authenticated channel


def main(argv: Sequence[str] | None = None, *, connect: Connect | None = None) -> int:
    """Run one transaction; exit code 0 kept, 1 reverted, 2 refused arguments, 3 failed, 6 another trial runs.

    Nothing else: an unexpected error is "failed" (the trial has put back what it touched), never 1.
    ``--compare-session`` first runs a comparison session instead (app/elevation/compare_helper.py), same codes.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == [COMPARE_FLAG]:
        from app.elevation.compare_helper import main as compare_main

        return compare_main(args[1:], connect=connect)
    try:
        with contextlib.ExitStack() as held:  # the machine lock, once taken, is released at exit whatever happens
            return _main(argv, held, connect or _connect)
    except BaseException as exc:  # a bug must never exit 1 ("reverted"): the trial has put back what it touched
        with contextlib.suppress(Exception):
            print(f"helper: failed: {exc!r}", file=sys.stderr)
        return EXIT_FAILED


@dataclass(frozen=True)
class OpenedSession(Generic[T]):
    """A helper session past its checks: the options, what the command line asked for (changes or
    configurations), the netsh runner and the authenticated channel."""

    options: argparse.Namespace
    asked: T
    runner: NetshRunner
    conn: Connection


def open_session(
    args: Sequence[str],
    held: contextlib.ExitStack,
    connect: Connect,
    asked: Callable[[argparse.Namespace], T],
    *,
    comparison: bool = False,
) -> OpenedSession[T] | int:
    """The start a trial's and a comparison's helper share: Ctrl+C ignored, the arguments and ``asked`` validated,
    the one-session-per-machine lock taken, the channel authenticated; or the exit code that ends the helper
    (nothing was changed)."""
    if hasattr(signal, "SIGINT"):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in the app's terminal must not skip the revert
    try:
        options = _parser(comparison=comparison).parse_args(list(args))
        value = asked(options)
        authkey, runner = checked_session(options)
    except (HelperUsageError, ValidationError, ValueError) as exc:
        print(f"helper: refused: {exc}", file=sys.stderr)
        return EXIT_USAGE
    refusal = _take_machine(options, held)
    if refusal is not None:
        return refusal
    try:
        conn = connect(options.address, authkey, options.app_pid)
    except Exception as exc:  # AuthenticationError, timeouts: nothing was changed
        print(f"helper: no authenticated channel ({type(exc).__name__}: {exc}); nothing changed", file=sys.stderr)
        return EXIT_FAILED
    return OpenedSession(options, value, runner, conn)


def exit_code_for(outcome: Outcome, records: MachineRecords | None) -> int:
    """Print the machine records' notes, then the helper's exit code for ``outcome``."""
    for notice in records.notices if records else ():
        print(f"helper: note: {notice}", file=sys.stderr)
    return {Outcome.KEPT: EXIT_KEPT, Outcome.REVERTED: EXIT_REVERTED}.get(outcome, EXIT_FAILED)


def _main(argv: Sequence[str] | None, held: contextlib.ExitStack, connect: Connect) -> int:
    opened = open_session(
        sys.argv[1:] if argv is None else argv, held, connect, lambda options: parse_changes(options.change)
    )
    if isinstance(opened, int):
        return opened
    options, changes = opened.options, opened.asked
    records = _machine_records(options)
    with opened.conn:
        # The blocking call, straight: no event loop per netsh run in the elevated process.
        outcome = Transaction(
            opened.runner.run_blocking,
            opened.conn,
            changes,
            deadline_s=options.deadline_seconds,
            keep_store=Store(options.keep_store),
            observer=records.observer(changes, Store(options.keep_store)) if records else None,
        ).execute()
    return exit_code_for(outcome, records)
