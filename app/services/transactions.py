"""The trial transaction as the app sees it: begin (one prompt), then keep or revert, then verify.

The helper does the changing; this side chooses the change, opens the authenticated channel, records
history, and re-reads the machine unelevated afterwards: the truth is always a fresh read.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import os
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.domain.errors import LoopbackTunerError, ValidationError
from app.domain.model import Change, Family, LoopbackSettings, MachineState, Store
from app.domain.netsh_failure import SetFailure
from app.domain.outcomes import Mismatch, Outcome, mismatches
from app.domain.runs import CommandResult
from app.elevation.launchers import HelperLauncher, HelperProcess, HelperStartError
from app.elevation.machine_lock import BUSY_MESSAGE
from app.elevation.protocol import (
    BEAT_MESSAGE,
    MAX_MESSAGE_BYTES,
    Applied,
    Done,
    ProtocolError,
    change_arguments,
    decision_message,
    parse_helper_message,
)
from app.runners.base import NetshRunner
from app.services.reading import read_machine
from app.storage.files import InterProcessLock, LockBusyError
from app.storage.history import History
from app.support_log import log_results

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from app.elevation.channel import AppListener

# multiprocessing.connection, secrets and tempfile are imported when a change begins: the window only reads until
# then, and at start-up they would cost about 1.5 MB of memory and a few ms (make bench).

GRACE_S = 10.0  # the helper's own deadline trails the app's countdown by this much
NETSH_TIMEOUT_S = 15.0  # the helper's limit for each netsh run
CONNECT_TIMEOUT_S = 120.0  # how long a UAC prompt may stay open before we give up on the helper
APPLY_TIMEOUT_S = 120.0


HELPER_EXIT_BUSY = 6  # app.elevation.helper.EXIT_BUSY (not imported: the helper module is the elevated side's)
MACHINE_BUSY = f"Another trial holds this machine: {BUSY_MESSAGE}. Nothing was changed; try again when it ends."


class TransactionBusyError(LoopbackTunerError):
    """Another change is still being tried (in this window or another instance)."""


class HelperError(LoopbackTunerError):
    """The helper did not start, did not connect, or broke the protocol."""


@dataclass(frozen=True)
class TransactionResult:
    """How a transaction ended, every netsh run it made, and what a fresh read shows now."""

    outcome: Outcome
    reason: str
    change: Change
    results: tuple[CommandResult, ...]
    state: MachineState | None
    mismatches: tuple[Mismatch, ...] = ()
    notices: tuple[str, ...] = ()
    failure: SetFailure | None = None  # why the change was not applied (the helper's classification)

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.KEPT, Outcome.REVERTED) and not self.mismatches


class ApplyFailedError(LoopbackTunerError):
    """The change could not be applied (the helper restored what it had touched)."""

    def __init__(self, result: TransactionResult) -> None:
        super().__init__(result.reason)
        self.result = result


@dataclass(frozen=True)
class HelperBackend:
    """The helper's backend arguments, fixed by the composition root (never from user text at this point)."""

    args: tuple[str, ...]
    name: str


@dataclass
class Trial:
    """A change in the active store, waiting for keep or revert. The helper's deadline runs from now."""

    change: Change
    before: dict[Family, LoopbackSettings]
    results: tuple[CommandResult, ...]
    seconds: float
    notices: tuple[str, ...]
    state: MachineState | None = None  # set by verify(): a fresh read while the trial runs
    mismatches: tuple[Mismatch, ...] = ()
    _verify: Callable[[], Awaitable[MachineState]] | None = field(default=None, repr=False)
    _finish: Callable[[bool, str], asyncio.Future[TransactionResult]] | None = field(default=None, repr=False)
    _decision: asyncio.Future[TransactionResult] | None = field(default=None, repr=False)
    _beat: Callable[[], None] | None = field(default=None, repr=False)

    def beat(self) -> None:
        """Tell the helper the app is alive (protocol.BEAT_WINDOW_S); sent by the loop driving the countdown or
        the question, so an app that hangs stops beating and is reverted. Cheap; never raises."""
        if self._beat is not None and self._decision is None:
            self._beat()

    async def verify(self) -> tuple[MachineState, tuple[Mismatch, ...]]:
        """Re-read the machine (unelevated) and compare it with the trial values; runs during the countdown."""
        assert self._verify is not None
        self.state = await self._verify()
        self.mismatches = tuple(mismatches(self.state, {fc.family: fc.after for fc in self.change.families}))
        return self.state, self.mismatches

    async def keep(self) -> TransactionResult:
        return await self._decide(True, "")

    async def revert(self, reason: str = "") -> TransactionResult:
        """Revert; ``reason`` (e.g. "the time ran out") is what the history and the result say."""
        return await self._decide(False, reason)

    async def _decide(self, keep: bool, reason: str) -> TransactionResult:
        """The first decision wins; a later one (Esc after Keep, say) waits for the same result."""
        if self._decision is None:
            assert self._finish is not None
            self._decision = self._finish(keep, reason)
        return await asyncio.shield(self._decision)

    @property
    def deciding(self) -> bool:
        return self._decision is not None

    @property
    def finished(self) -> bool:
        return self._decision is not None and self._decision.done()


class TransactionService:
    """Runs trials through the helper; one at a time, across instances (a lock file)."""

    def __init__(
        self,
        reader: NetshRunner,
        launcher: HelperLauncher,
        backend: HelperBackend,
        history: History,
        lock_path: Path,
        *,
        grace_s: float = GRACE_S,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        netsh_timeout_s: float = NETSH_TIMEOUT_S,
    ) -> None:
        self.reader, self.launcher, self.backend, self.history = reader, launcher, backend, history
        self._lock = InterProcessLock(lock_path)
        self.grace_s, self.connect_timeout_s = grace_s, connect_timeout_s
        self.netsh_timeout_s = netsh_timeout_s
        self._busy = False

    @property
    def busy(self) -> bool:
        return self._busy

    async def apply(self, change: Change, *, store: Store = Store.PERSISTENT) -> TransactionResult:
        """Apply and keep at once (no countdown): what the command line's ``set`` does without ``--trial``."""
        trial = await self.begin(change, seconds=0, store=store)
        return await trial.keep()

    async def begin(self, change: Change, *, seconds: float, store: Store = Store.PERSISTENT) -> Trial:
        """Apply ``change`` to the active store and return the running trial.

        Raises ValidationError (empty change), TransactionBusyError, ElevationCancelledError, HelperStartError,
        HelperError, or ApplyFailedError (carrying the helper's netsh runs).
        """
        if change.is_empty:
            raise ValidationError("nothing to change")
        if self._busy:
            raise TransactionBusyError("A change is already being tried; finish it first.")
        try:
            self._lock.acquire()
        except LockBusyError:
            raise TransactionBusyError(
                "Another Loopback Tuner (a window or the command line) is trying a change; finish it there first."
            ) from None
        self._busy = True
        try:
            return await self._begin(change, seconds, store)
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        self._busy = False
        self._lock.release()

    async def _begin(self, change: Change, seconds: float, store: Store) -> Trial:
        import secrets

        from app.elevation.channel import ChannelError, open_listener

        loop = asyncio.get_running_loop()
        ident, notice = await loop.run_in_executor(None, self.history.record_started, change, self.backend.name, store)
        notices = [n for n in (notice,) if n]
        authkey = secrets.token_bytes(32)
        try:  # a fresh 0700 socket folder, or on Windows a pipe only this user's session and admins may open
            listener = await loop.run_in_executor(None, open_listener, authkey)
        except ChannelError as exc:  # nothing started: close the history entry so it is not taken as interrupted
            await self._finish_history(ident, "failed", f"the channel could not be opened ({exc})", notices)
            raise HelperError(f"The channel to the helper could not be opened ({exc}); nothing was changed.") from exc
        deadline = max(1, round(seconds + self.grace_s))
        args = [
            *self.backend.args,
            "--address",
            listener.address,
            "--app-pid",
            str(os.getpid()),
            "--deadline-seconds",
            str(deadline),
            "--keep-store",
            store.value,
            "--netsh-timeout",
            f"{self.netsh_timeout_s:g}",
            *change_arguments(change),
        ]
        conn: Connection | None = None
        try:
            try:
                process = await loop.run_in_executor(None, self.launcher.launch, args, authkey)
            except LoopbackTunerError as exc:
                outcome = "failed" if isinstance(exc, HelperStartError) else "cancelled"
                await self._finish_history(ident, outcome, str(exc), notices)
                raise
            conn = await self._accept(listener, process)
            message = await self._receive(conn, APPLY_TIMEOUT_S)
        except LoopbackTunerError as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, HelperError | TransactionBusyError):  # else it would look unfinished
                await self._finish_history(ident, "failed", str(exc), notices)
            raise
        except Exception as exc:  # anything unexpected: record it, so the next start does not claim a revert
            if conn is not None:
                conn.close()
            await self._finish_history(ident, "failed", f"unexpected error: {exc!r}", notices)
            raise
        finally:
            listener.close()  # already closed by the accepting thread unless the launch failed
        if not isinstance(message, Applied):
            conn.close()
            await self._finish_history(ident, "failed", "the helper broke the protocol", notices)
            raise HelperError("The helper answered out of turn; nothing is known to have changed.")
        if not message.ok:
            state = await read_machine(self.reader)
            conn.close()
            await loop.run_in_executor(None, process.wait, 10.0)
            await loop.run_in_executor(None, process.close)
            result = self._result(
                Outcome.FAILED,
                message.message,
                change,
                message.results,
                state,
                {f: message.before[f] for f in message.before},
                notices,
            )
            result = dataclasses.replace(result, failure=message.failure)
            await self._finish_history(ident, result.outcome.value, result.reason, list(result.notices), result)
            raise ApplyFailedError(result)
        actual_change = Change(
            tuple(fc.__class__(fc.family, message.before.get(fc.family, fc.before), fc.after) for fc in change.families)
        )

        sending = threading.Lock()  # a beat and the decision never interleave on the channel
        decided = threading.Event()

        def beat() -> None:
            assert conn is not None
            with sending, contextlib.suppress(OSError, ValueError):
                if not decided.is_set():
                    conn.send_bytes(BEAT_MESSAGE)

        async def finish(keep: bool, why: str) -> TransactionResult:
            assert conn is not None
            try:
                with sending, contextlib.suppress(OSError, ValueError):
                    decided.set()
                    conn.send_bytes(decision_message(keep))
                done: Applied | Done | HelperError
                try:
                    done = await self._receive(conn, self.grace_s + APPLY_TIMEOUT_S)
                except HelperError as exc:
                    done = exc
                conn.close()
                await loop.run_in_executor(None, process.wait, 10.0)
                await loop.run_in_executor(None, process.close)
                after = await read_machine(self.reader)
                if isinstance(done, Done):
                    outcome, reason, results = done.outcome, done.reason, message.results + done.results
                    if outcome is Outcome.REVERTED and why and done.reason == "asked":
                        reason = why  # the app knows why it asked: say that, not just "asked"
                else:
                    outcome, reason, results = Outcome.FAILED, str(done), message.results
                want = {
                    fc.family: fc.after if outcome is Outcome.KEPT else message.before.get(fc.family, fc.before)
                    for fc in actual_change.families
                }
                result = self._result(outcome, reason, actual_change, results, after, want, notices)
                if outcome is Outcome.KEPT and store is Store.PERSISTENT:  # kept must also mean saved
                    seen = {(m.family, m.setting) for m in result.mismatches}  # "did not stick" says it already
                    saved = tuple(
                        m for m in mismatches(after, want, Store.PERSISTENT) if (m.family, m.setting) not in seen
                    )
                    result = dataclasses.replace(result, mismatches=result.mismatches + saved)
                await self._finish_history(ident, outcome.value, reason, list(result.notices), result)
                return result
            finally:
                self._release()

        reader = self.reader
        return Trial(
            actual_change,
            message.before,
            message.results,
            seconds,
            tuple(notices),
            _verify=lambda: read_machine(reader),
            _finish=lambda keep, why: asyncio.ensure_future(finish(keep, why)),
            _beat=beat,
        )

    def _result(
        self,
        outcome: Outcome,
        reason: str,
        change: Change,
        results: tuple[CommandResult, ...],
        state: MachineState,
        expected: dict[Family, LoopbackSettings],
        notices: list[str],
    ) -> TransactionResult:
        found = tuple(mismatches(state, expected))
        return TransactionResult(outcome, reason, change, results, state, found, tuple(notices))

    async def _finish_history(
        self, ident: str, outcome: str, reason: str, notices: list[str], result: TransactionResult | None = None
    ) -> None:
        """Append the "finished" record off the event loop's thread (it fsyncs)."""
        after: dict[str, object] = {}
        problems: list[str] = []
        if result is not None and result.state is not None:
            after = result.state.to_json()
            problems = [m.describe() for m in result.mismatches]
        notice = await asyncio.get_running_loop().run_in_executor(
            None, self.history.record_finished, ident, outcome, reason, after, problems
        )
        if notice and notice not in notices:
            notices.append(notice)

    async def _accept(self, listener: AppListener, process: HelperProcess) -> Connection:
        """Wait for the helper (its pid) to connect and authenticate; others are hung up on. Raises HelperError.

        The accept runs in a worker thread that polls a stop flag: nothing here wakes it from this thread.
        """
        import threading

        from app.elevation.channel import ChannelError, ChannelStoppedError, ChannelTimeoutError, accept_helper

        loop = asyncio.get_running_loop()
        try:
            helper_pid = process.pid
        except (OSError, ValueError) as exc:  # Windows could not tell: let nobody in
            raise HelperError(f"The helper's process id is unknown ({exc}); nothing was changed.") from None
        stop = threading.Event()
        accept = functools.partial(accept_helper, listener, helper_pid, timeout_s=self.connect_timeout_s, stop=stop)
        accepting = loop.run_in_executor(None, accept)
        exited = loop.run_in_executor(None, process.wait, self.connect_timeout_s)
        waiting: set[asyncio.Future[Any]] = {accepting, exited}
        try:
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if not accepting.done():
                stop.set()  # the accepting thread sees it within one slice and closes the listener itself
                await asyncio.wait({accepting})
        finally:
            stop.set()
        try:
            return accepting.result()
        except ChannelStoppedError:
            pass
        except ChannelTimeoutError:
            raise HelperError("The helper did not report back in time; nothing was changed.") from None
        except ChannelError as exc:
            raise HelperError(f"The channel to the helper failed ({exc}); nothing was changed.") from None
        code = exited.result() if exited.done() else None
        if code is None:
            raise HelperError("The helper did not report back in time; nothing was changed.")
        if code == HELPER_EXIT_BUSY:  # another trial holds the machine: the helper read and changed nothing
            raise TransactionBusyError(MACHINE_BUSY)
        raise HelperError(
            f"The helper stopped before it could apply the change (exit code {code}); nothing was changed."
        )

    async def _receive(self, conn: Connection, timeout_s: float) -> Applied | Done:
        def receive() -> Applied | Done:
            if not conn.poll(timeout_s):
                raise HelperError("The helper stopped answering.")
            try:
                return parse_helper_message(conn.recv_bytes(MAX_MESSAGE_BYTES))
            except EOFError:
                raise HelperError("The helper ended without reporting; re-read to see the machine's values.") from None
            except (ProtocolError, OSError) as exc:  # OSError includes "bad message length": over the limit
                raise HelperError(f"The helper sent something unexpected ({exc}).") from None

        message = await asyncio.get_running_loop().run_in_executor(None, receive)
        log_results(message.results, via="helper")  # the support log sees the elevated side's runs too
        return message
