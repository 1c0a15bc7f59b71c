"""The helper process: applies a change to the active store, then keeps or reverts it as the app decides.

It runs elevated on Windows, so it trusts nothing it did not check: every argument is re-validated with the
core's rules, it can only build loopback ``set global`` commands, it runs netsh only by its System32 path,
reads no user-writable file (the simulated backend, which never runs elevated, is the one exception), speaks
JSON (never pickle) on an authenticated channel that carries decisions only, and exits when done. If the app
goes away, or says nothing by the deadline, it restores the values it found.
"""

from __future__ import annotations

import argparse
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
from app.storage.machine import MachineRecords, machine_records
from app.storage.machine_events import ChangeStage, TrialObserver

EXIT_KEPT, EXIT_REVERTED, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3
EXIT_BUSY = 6  # another trial holds the machine: refused before reading anything, nothing sent, nothing changed
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


def _guarded_run(run: RunFn, argv: Argv) -> CommandResult:
    """A restoring run: any exception is a failed run, so one failure never stops the next family's restore."""
    try:
        return _safe_run(run, argv)
    except Exception as exc:
        return CommandResult(argv, None, "", f"internal error: {exc!r}")


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
        observer: TrialObserver | None = None,
    ) -> None:
        self.run, self.conn, self.changes = run, conn, changes
        self.observer = observer  # the machine-wide records (originals, history, event log); never decides
        self.keep_store, self.clock = keep_store, clock
        self.deadline_s = deadline_s
        self.deadline = clock() + deadline_s  # restarted when the change is in effect: the app's time starts then
        self.results: list[CommandResult] = []
        self.undone: Outcome | None = None  # set when an unexpected error made the trial put everything back

    def _send(self, data: bytes) -> None:
        with contextlib.suppress(OSError, ValueError):  # the app is gone; the transaction still ends safely
            self.conn.send_bytes(data)

    def _notify(self, stage: ChangeStage, before: dict[Family, LoopbackSettings]) -> None:
        if self.observer is None:
            return
        try:
            self.observer(stage, before)
        except Exception as exc:  # a record that cannot be written must never stop the trial or its revert
            print(f"helper: the machine-wide record failed ({type(exc).__name__}: {exc})", file=sys.stderr)

    def _restore(self, before: dict[Family, LoopbackSettings], families: list[Family], store: Store) -> bool:
        """Put ``store`` of ``families`` back to ``before``; never raises (each failure is a failed run)."""
        ok = True
        for family, patch in self.changes:
            if family in families:
                result = _guarded_run(self.run, set_global(family, _restore_patch(before[family], patch), store))
                self.results.append(result)
                ok = ok and result.ok
        return ok

    def _read_before(self, store: Store = Store.ACTIVE) -> dict[Family, LoopbackSettings] | str:
        from app.services.reading import reading_from

        before = {}
        for family, _ in self.changes:
            result = _safe_run(self.run, show_global(family, store))
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
        """Apply, wait for the decision, keep or revert; returns how it ended.

        Everything after the first ``set`` runs under one try/finally: unless the machine reached its final
        state (kept, or put back), whatever was touched (active store, and saved store during a keep) is put
        back before any exception leaves, so a bug here can never leave a trial applied. The exception is then
        re-raised for ``main`` to report as a failure.
        """
        before = self._read_before()
        if isinstance(before, str):
            self._send(
                Applied(False, {}, tuple(self.results), f"could not read the values to restore: {before}").encode()
            )
            return Outcome.FAILED
        self._notify(ChangeStage.STARTING, before)
        touched: list[Family] = []  # active store
        saved_before: dict[Family, LoopbackSettings] = {}  # saved store, during a keep
        settled = False  # the machine is in its final state: nothing is left to put back
        try:
            for family, patch in self.changes:
                touched.append(family)  # before the run: a failed or killed run may still have changed something
                result = _safe_run(self.run, set_global(family, patch, Store.ACTIVE))
                self.results.append(result)
                if not result.ok:
                    restored = self._restore(before, touched, Store.ACTIVE)
                    settled = True
                    note = "" if restored else " Restoring the previous values failed too."
                    self._notify(ChangeStage.FAILED if restored else ChangeStage.REVERT_FAILED, before)
                    why = f"{family.label}: {result.describe_failure().rstrip('.')}.{note}"
                    self._send(Applied(False, before, tuple(self.results), why).encode())
                    return Outcome.FAILED if restored else Outcome.REVERT_FAILED
            self.deadline = self.clock() + self.deadline_s  # slow netsh runs before this must not eat the user's time
            self._notify(ChangeStage.APPLIED, before)
            self._send(Applied(True, before, tuple(self.results)).encode())
            applied_count = len(self.results)
            keep, reason = self._wait_decision()
            if keep:
                outcome, why = self._keep(saved_before)
            else:
                assert reason is not None
                restored = self._restore(before, [f for f, _ in self.changes], Store.ACTIVE)
                outcome, why = (Outcome.REVERTED if restored else Outcome.REVERT_FAILED), reason.value
            settled = True
            self._notify(ChangeStage(outcome.value), before)
            self._send(Done(outcome, why, tuple(self.results[applied_count:])).encode())
            return outcome
        except BaseException as exc:
            if not settled:
                settled = True
                self._undo_all(before, touched, saved_before, exc)
            raise

    def _keep(self, saved_before: dict[Family, LoopbackSettings]) -> tuple[Outcome, str]:
        """Make the trial values persistent when asked to; ``saved_before`` learns each saved store touched."""
        if self.keep_store is not Store.PERSISTENT:
            return Outcome.KEPT, "kept"
        saved = self._read_before(Store.PERSISTENT)  # what a failure during the keep must put back
        if isinstance(saved, str):
            return Outcome.KEEP_FAILED, f"the saved values could not be read ({saved}); the change lasts until reboot"
        outcome, why = Outcome.KEPT, "kept"
        for family, patch in self.changes:
            saved_before[family] = saved[family]
            result = _safe_run(self.run, set_global(family, patch, Store.PERSISTENT))
            self.results.append(result)
            if not result.ok:
                outcome = Outcome.KEEP_FAILED
                why = f"saving {family.label} failed ({result.describe_failure()}); it lasts until reboot"
        return outcome, why

    def _undo_all(
        self,
        before: dict[Family, LoopbackSettings],
        touched: list[Family],
        saved_before: dict[Family, LoopbackSettings],
        error: BaseException | None,
    ) -> None:
        """After an unexpected error: put back every store touched, then tell the app (if it still listens)."""
        start = len(self.results)
        restored = True
        if saved_before:  # first: writing the saved store may also write the active one (see FACTS.md)
            restored = self._restore(saved_before, list(saved_before), Store.PERSISTENT)
        restored = self._restore(before, touched, Store.ACTIVE) and restored
        outcome = Outcome.REVERTED if restored else Outcome.REVERT_FAILED
        self.undone = outcome
        self._notify(ChangeStage(outcome.value), before)
        with contextlib.suppress(Exception):  # the error may have been the channel or the encoding itself
            self._send(Done(outcome, RevertReason.HELPER_ERROR.value, tuple(self.results[start:])).encode())
        if error is not None:
            print(f"helper: unexpected error, the previous values were put back: {error!r}", file=sys.stderr)


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run one transaction; exit code 0 kept, 1 reverted, 2 refused arguments, 3 failed, 6 another trial runs.

    Nothing else: an unexpected error is "failed" (the trial has put back what it touched), never 1.
    """
    try:
        with contextlib.ExitStack() as held:  # the machine lock, once taken, is released at exit whatever happens
            return _main(argv, held)
    except BaseException as exc:  # a bug must never exit 1 ("reverted"): the trial has put back what it touched
        with contextlib.suppress(Exception):
            print(f"helper: failed: {exc!r}", file=sys.stderr)
        return EXIT_FAILED


def _main(argv: Sequence[str] | None, held: contextlib.ExitStack) -> int:
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
    refusal = _take_machine(options, held)
    if refusal is not None:
        return refusal
    try:
        conn = _connect(options.address, authkey, options.app_pid)
    except Exception as exc:  # AuthenticationError, timeouts: nothing was changed
        print(f"helper: no authenticated channel ({type(exc).__name__}: {exc}); nothing changed", file=sys.stderr)
        return EXIT_FAILED

    records = _machine_records(options)
    with conn:
        # The blocking call, straight: no event loop per netsh run in the elevated process.
        outcome = Transaction(
            runner.run_blocking,
            conn,
            changes,
            deadline_s=options.deadline_seconds,
            keep_store=Store(options.keep_store),
            observer=records.observer(changes) if records else None,
        ).execute()
    for notice in records.notices if records else ():
        print(f"helper: note: {notice}", file=sys.stderr)
    return {Outcome.KEPT: EXIT_KEPT, Outcome.REVERTED: EXIT_REVERTED}.get(outcome, EXIT_FAILED)
