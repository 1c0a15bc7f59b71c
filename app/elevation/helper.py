"""The helper process: applies a change to the active store, then keeps or reverts it as the app decides.

It runs elevated on Windows, so it trusts nothing it did not check: every argument is re-validated with the
core's rules, it can only build loopback ``set global`` commands, it runs netsh only by its System32 path,
reads no user-writable file (the simulated backend, which never runs elevated, is the one exception), speaks
JSON (never pickle) on an authenticated channel that carries decisions only, and exits when done. If the app
goes away, or says nothing by the deadline, it restores the values it found.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection

from app.domain.commands import Argv, parse_set_global, set_global, show_global
from app.domain.errors import ValidationError
from app.domain.model import Family, LoopbackSettings, SettingsPatch, Store
from app.elevation.protocol import (
    DECISION_MAX_BYTES,
    Applied,
    Done,
    Outcome,
    ProtocolError,
    RevertReason,
    parse_decision,
)
from app.runners.base import CommandResult, NetshMissingError, NetshRunner

EXIT_KEPT, EXIT_REVERTED, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3
MAX_TRIAL_S = 3600
DEFAULT_NETSH_TIMEOUT_S = 15.0
NETSH_TIMEOUT_RANGE_S = (0.1, 300.0)  # each netsh run; a hung one is killed and the previous values restored

RunFn = Callable[[Argv], CommandResult]


class HelperUsageError(Exception):
    """The helper was started with arguments it will not act on."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise HelperUsageError(message)


def _process_id(text: str) -> int:
    """A process id: a positive integer below 2**32; raises ArgumentTypeError (argparse refuses it)."""
    value = int(text) if text.isascii() and text.isdigit() else 0
    if not 0 < value < 2**32:
        raise argparse.ArgumentTypeError(f"not a process id: {text!r}")
    return value


def _parser() -> _Parser:
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
    p.add_argument("--change", action="append", required=True)
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


def _restore_patch(before: LoopbackSettings, patch: SettingsPatch) -> SettingsPatch:
    """The before-values of exactly the fields ``patch`` touches."""
    return SettingsPatch(
        before.execution_mode if patch.execution_mode is not None else None,
        before.worker_count if patch.worker_count is not None else None,
        before.large_mtu if patch.large_mtu is not None else None,
    )


def _safe_run(run: RunFn, argv: Argv) -> CommandResult:
    try:
        return run(argv)
    except NetshMissingError as exc:
        return CommandResult(argv, None, "", str(exc))


class Transaction:
    """The trial, independent of how netsh is run and how the channel is made (tested directly)."""

    def __init__(
        self,
        run: RunFn,
        conn: Connection,
        changes: list[tuple[Family, SettingsPatch]],
        *,
        deadline_s: float,
        keep_store: Store,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.run, self.conn, self.changes = run, conn, changes
        self.keep_store, self.clock = keep_store, clock
        self.deadline_s = deadline_s
        self.deadline = clock() + deadline_s  # restarted when the change is in effect: the app's time starts then
        self.results: list[CommandResult] = []

    def _send(self, data: bytes) -> None:
        with contextlib.suppress(OSError, ValueError):  # the app is gone; the transaction still ends safely
            self.conn.send_bytes(data)

    def _restore(self, before: dict[Family, LoopbackSettings], families: list[Family]) -> bool:
        ok = True
        for family, patch in self.changes:
            if family in families:
                result = _safe_run(self.run, set_global(family, _restore_patch(before[family], patch), Store.ACTIVE))
                self.results.append(result)
                ok = ok and result.ok
        return ok

    def _read_before(self) -> dict[Family, LoopbackSettings] | str:
        from app.services.reading import reading_from

        before = {}
        for family, _ in self.changes:
            result = _safe_run(self.run, show_global(family, Store.ACTIVE))
            reading = reading_from(result)
            if not isinstance(reading, LoopbackSettings):
                return f"{family.label}: {reading.message}"
            before[family] = reading
        return before

    def _wait_decision(self) -> tuple[bool, RevertReason | None]:
        remaining = self.deadline - self.clock()
        try:
            if remaining <= 0 or not self.conn.poll(remaining):
                return False, RevertReason.DEADLINE
            data = self.conn.recv_bytes(DECISION_MAX_BYTES)
        except EOFError:
            return False, RevertReason.CHANNEL_DROPPED
        except OSError:
            return False, RevertReason.BAD_MESSAGE  # includes a message longer than a decision can be
        try:
            return (True, None) if parse_decision(data) else (False, RevertReason.ASKED)
        except ProtocolError:
            return False, RevertReason.BAD_MESSAGE

    def execute(self) -> Outcome:
        before = self._read_before()
        if isinstance(before, str):
            self._send(
                Applied(False, {}, tuple(self.results), f"could not read the values to restore: {before}").encode()
            )
            return Outcome.FAILED
        touched: list[Family] = []
        for family, patch in self.changes:
            result = _safe_run(self.run, set_global(family, patch, Store.ACTIVE))
            self.results.append(result)
            touched.append(family)  # a failed or killed run may still have changed something
            if not result.ok:
                restored = self._restore(before, touched)
                note = "" if restored else " Restoring the previous values failed too."
                self._send(
                    Applied(
                        False,
                        before,
                        tuple(self.results),
                        f"{family.label}: {result.describe_failure().rstrip('.')}.{note}",
                    ).encode()
                )
                return Outcome.FAILED if restored else Outcome.REVERT_FAILED
        self.deadline = self.clock() + self.deadline_s  # slow netsh runs before this must not eat the user's time
        self._send(Applied(True, before, tuple(self.results)).encode())
        applied_count = len(self.results)
        keep, reason = self._wait_decision()
        if keep:
            outcome, why = Outcome.KEPT, "kept"
            if self.keep_store is Store.PERSISTENT:
                for family, patch in self.changes:
                    result = _safe_run(self.run, set_global(family, patch, Store.PERSISTENT))
                    self.results.append(result)
                    if not result.ok:
                        outcome = Outcome.KEEP_FAILED
                        why = f"saving {family.label} failed ({result.describe_failure()}); it lasts until reboot"
        else:
            assert reason is not None
            restored = self._restore(before, [f for f, _ in self.changes])
            outcome, why = (Outcome.REVERTED if restored else Outcome.REVERT_FAILED), reason.value
        self._send(Done(outcome, why, tuple(self.results[applied_count:])).encode())
        return outcome


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run one transaction; exit code 0 kept, 1 reverted, 2 refused arguments, 3 failed."""
    if hasattr(signal, "SIGINT"):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in the app's terminal must not skip the revert
    try:
        options = _parser().parse_args(sys.argv[1:] if argv is None else argv)
        changes = parse_changes(options.change)
        check_address(options.address)
        if not 1 <= options.deadline_seconds <= MAX_TRIAL_S + 60:
            raise HelperUsageError("deadline out of range")
        low, high = NETSH_TIMEOUT_RANGE_S
        if not low <= options.netsh_timeout <= high:  # also refuses nan and inf
            raise HelperUsageError(f"--netsh-timeout must be {low:g} to {high:g} seconds")
        key_hex = sys.stdin.readline().strip() if options.authkey_stdin else options.authkey
        if not key_hex or len(key_hex) != 64:
            raise HelperUsageError("a 32-byte key is required")
        authkey = bytes.fromhex(key_hex)
        runner = _helper_runner(options)
    except (HelperUsageError, ValidationError, ValueError) as exc:
        print(f"helper: refused: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        conn = _connect(options.address, authkey, options.app_pid)
    except Exception as exc:  # AuthenticationError, timeouts: nothing was changed
        print(f"helper: no authenticated channel ({type(exc).__name__}: {exc}); nothing changed", file=sys.stderr)
        return EXIT_FAILED

    def run(argv: Argv) -> CommandResult:
        return asyncio.run(runner.run(argv))

    with conn:
        outcome = Transaction(
            run, conn, changes, deadline_s=options.deadline_seconds, keep_store=Store(options.keep_store)
        ).execute()
    return {Outcome.KEPT: EXIT_KEPT, Outcome.REVERTED: EXIT_REVERTED}.get(outcome, EXIT_FAILED)
