"""The app's side of one helper session, blocking: the channel, the helper's connection, its messages.

Everything here blocks the calling thread (the command line's main thread, or the worker thread a view-model
runs the trial use case in); nothing imports asyncio. The helper's rules (what it accepts, when it reverts) are
its own (app/elevation/helper.py, trial.py); this module only keeps the app's half of the protocol.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.domain.errors import LoopbackTunerError
from app.elevation.launchers import HelperProcess
from app.elevation.machine_lock import BUSY_MESSAGE
from app.elevation.protocol import (
    BEAT_MESSAGE,
    MAX_MESSAGE_BYTES,
    Active,
    Applied,
    Done,
    ProtocolError,
    Switched,
    decision_message,
    parse_helper_message,
    pause_message,
    switch_message,
)
from app.support_log import log_results

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from app.elevation.channel import AppListener

HELPER_EXIT_BUSY = 6  # app.elevation.helper.EXIT_BUSY (not imported: the helper module is the elevated side's)
MACHINE_BUSY = f"Another trial holds this machine: {BUSY_MESSAGE}. Nothing was changed; try again when it ends."
WATCH_SLICE_S = 0.05  # while the helper may still connect, its process is checked for an early exit this often


class TransactionBusyError(LoopbackTunerError):
    """Another change is still being tried (in this window or another instance)."""


class HelperError(LoopbackTunerError):
    """The helper did not start, did not connect, or broke the protocol."""


def open_channel(authkey: bytes) -> AppListener:
    """A fresh 0700 socket folder, or on Windows a pipe only this user's session and admins may open.

    Raises ChannelError (app.elevation.channel) when it cannot be made.
    """
    from app.elevation.channel import open_listener

    return open_listener(authkey)


def connect(listener: AppListener, process: HelperProcess, timeout_s: float) -> Connection:
    """Wait for the helper (its pid) to connect and authenticate; others are hung up on. Raises HelperError, or
    TransactionBusyError when the helper exited because another trial holds the machine.

    The accept runs in this thread; a watcher thread stops it as soon as the helper's process ends (it would
    never connect), so a helper that dies at once is reported at once, not after ``timeout_s``.
    """
    from app.elevation.channel import ChannelError, ChannelStoppedError, ChannelTimeoutError, accept_helper

    try:
        helper_pid = process.pid
    except (OSError, ValueError) as exc:  # Windows could not tell: let nobody in
        listener.close()
        raise HelperError(f"The helper's process id is unknown ({exc}); nothing was changed.") from None
    stop, accepted = threading.Event(), threading.Event()
    exit_codes: list[int] = []

    def watch() -> None:
        while not accepted.is_set():
            code = process.wait(WATCH_SLICE_S)
            if code is not None:
                exit_codes.append(code)
                stop.set()  # accept_helper sees it within one slice and closes the listener itself
                return

    watcher = threading.Thread(target=watch, name="helper-watch", daemon=True)
    watcher.start()
    try:
        return accept_helper(listener, helper_pid, timeout_s=timeout_s, stop=stop)
    except ChannelStoppedError:
        pass
    except ChannelTimeoutError:
        raise HelperError("The helper did not report back in time; nothing was changed.") from None
    except ChannelError as exc:
        raise HelperError(f"The channel to the helper failed ({exc}); nothing was changed.") from None
    finally:
        accepted.set()
        watcher.join()  # never two waits on the process at once (the trial waits for it at the end)
    if not exit_codes:
        raise HelperError("The helper did not report back in time; nothing was changed.")
    if exit_codes[0] == HELPER_EXIT_BUSY:  # another trial holds the machine: the helper read and changed nothing
        raise TransactionBusyError(MACHINE_BUSY)
    raise HelperError(
        f"The helper stopped before it could apply the change (exit code {exit_codes[0]}); nothing was changed."
    )


def receive(conn: Connection, timeout_s: float) -> Applied | Done | Switched:
    """The helper's next message; raises HelperError when it stops answering, ends, or sends something else."""
    if not conn.poll(timeout_s):
        raise HelperError("The helper stopped answering.")
    try:
        message = parse_helper_message(conn.recv_bytes(MAX_MESSAGE_BYTES))
    except EOFError:
        raise HelperError("The helper ended without reporting; re-read to see the machine's values.") from None
    except (ProtocolError, OSError) as exc:  # OSError includes "bad message length": over the limit
        raise HelperError(f"The helper sent something unexpected ({exc}).") from None
    log_results(message.results, via="helper")  # the support log sees the elevated side's runs too
    return message


@dataclass
class Decider:
    """Sends beats, pauses and switches, then the one decision on a connected channel; they never interleave, and
    nothing follows the decision. Safe to call from any thread (the window beats from its GUI thread, decides and
    switches from a worker)."""

    conn: Connection
    _sending: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _decided: threading.Event = field(default_factory=threading.Event, repr=False)

    def beat(self) -> None:
        """Tell the helper the app is alive (protocol.BEAT_WINDOW_S). Never raises: a broken channel is found by
        the decision, and the helper reverts on its own. Never waits either: while a switch is on its way (the
        helper takes it as a beat, and starts its window again after it) or a decision is sent, it sends nothing."""
        if not self._sending.acquire(blocking=False):
            return
        try:
            with contextlib.suppress(OSError, ValueError):
                if not self._decided.is_set():
                    self.conn.send_bytes(BEAT_MESSAGE)
        finally:
            self._sending.release()

    def pause(self, seconds: int) -> None:
        """Move the helper's cap ``seconds`` later (protocol.MAX_PAUSE_S); a broken channel is ignored here, as a
        beat's is. Raises ValueError for a pause the helper would refuse."""
        message = pause_message(seconds)
        with self._sending, contextlib.suppress(OSError, ValueError):
            if not self._decided.is_set():
                self.conn.send_bytes(message)

    def switch(self, to: Active, timeout_s: float) -> Switched | Done:
        """Ask the helper to put ``to``'s values in the active store and wait for its answer (Done: the trial had
        already ended). Raises HelperError (decided already, the channel broke, an answer out of turn)."""
        with self._sending:
            if self._decided.is_set():
                raise HelperError("The trial is being kept or reverted; nothing was switched.")
            try:
                self.conn.send_bytes(switch_message(to))
            except (OSError, ValueError):  # the helper ended: its report may still wait on the channel
                timeout_s = 0.0
            message = receive(self.conn, timeout_s)
        if isinstance(message, Applied):
            raise HelperError("The helper answered out of turn.")
        return message

    def decide(self, keep: bool) -> None:
        """Send keep or revert; a channel that already broke is ignored here (the reply says what happened)."""
        with self._sending, contextlib.suppress(OSError, ValueError):
            self._decided.set()
            self.conn.send_bytes(decision_message(keep))
