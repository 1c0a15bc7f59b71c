"""A trial always reverts: an unexpected exception at any step of the helper leaves the machine as it began.

The helper's Transaction is driven with the in-memory simulated netsh and a real Pipe, and a fault is injected
at one step: after the change is applied (sending Applied), while waiting for the decision (poll, recv), and
during the keep (reading or writing the saved store). Only a keep that completed may leave the trial's values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, Pipe
from pathlib import Path

import pytest

from app.domain.commands import Argv
from app.domain.model import ExecutionMode, Family, LoopbackSettings, SettingsPatch, Store
from app.domain.outcomes import Outcome, RevertReason
from app.domain.runs import CommandResult
from app.elevation import helper
from app.elevation.helper import EXIT_FAILED
from app.elevation.protocol import (
    MAX_MESSAGE_BYTES,
    Applied,
    Done,
    decision_message,
    parse_helper_message,
)
from app.elevation.trial import Transaction
from app.simulator.machine import SIMULATED_INITIAL
from tests.conftest import MakeState, machine_values
from tests.elevation.test_transaction import Netsh

INLINE = SettingsPatch(execution_mode=ExecutionMode.INLINE)
BOTH = [(Family.IPV4, INLINE), (Family.IPV6, SettingsPatch(worker_count=9, large_mtu=False))]
INITIAL = dict.fromkeys(Family, SIMULATED_INITIAL)


class InjectedError(RuntimeError):
    """The fault a test injects (a stand-in for any bug)."""


class FaultyConn:
    """A Connection whose ``method`` raises on its ``nth`` call (1-based); everything else passes through."""

    def __init__(self, conn: Connection, method: str, nth: int = 1) -> None:
        self.conn, self.method, self.nth = conn, method, nth
        self.calls: dict[str, int] = {}

    def _count(self, method: str) -> None:
        self.calls[method] = self.calls.get(method, 0) + 1
        if method == self.method and self.calls[method] == self.nth:
            raise InjectedError(f"{method} #{self.nth}")

    def send_bytes(self, data: bytes) -> None:
        self._count("send_bytes")
        self.conn.send_bytes(data)

    def poll(self, timeout: float | None = 0.0) -> bool:
        self._count("poll")
        return self.conn.poll(timeout)

    def recv_bytes(self, maxlength: int | None = None) -> bytes:
        self._count("recv_bytes")
        return self.conn.recv_bytes(maxlength)


def failing_run(netsh: Netsh, when: Callable[[Argv], bool], nth: int = 1) -> Callable[[Argv], CommandResult]:
    """``netsh``, except that the ``nth`` run matching ``when`` raises."""
    seen = [0]

    def run(argv: Argv) -> CommandResult:
        if when(argv):
            seen[0] += 1
            if seen[0] == nth:
                raise InjectedError(" ".join(argv))
        return netsh(argv)

    return run


def saved_set(argv: Argv) -> bool:
    return argv[2] == "set" and argv[-1] == "store=persistent"


def saved_show(argv: Argv) -> bool:
    return argv[2] == "show" and argv[-1] == "store=persistent"


@pytest.fixture
def pipe() -> Iterator[tuple[Connection, Connection]]:
    app_end, helper_end = Pipe()
    yield app_end, helper_end
    app_end.close()
    helper_end.close()


def received(app_end: Connection) -> list[Applied | Done]:
    found = []
    while app_end.poll(0):
        found.append(parse_helper_message(app_end.recv_bytes()))
    return found


@pytest.mark.parametrize(
    ("method", "nth"),
    [("send_bytes", 1), ("poll", 1), ("recv_bytes", 1)],
    ids=["after-apply-sending-applied", "while-waiting-poll", "while-waiting-recv"],
)
def test_an_exception_after_apply_or_while_waiting_puts_everything_back(
    pipe: tuple[Connection, Connection], method: str, nth: int
) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    app_end.send_bytes(decision_message(True))  # the app would keep: the fault must still win
    transaction = Transaction(
        netsh, FaultyConn(helper_end, method, nth), BOTH, deadline_s=5, keep_store=Store.PERSISTENT
    )  # type: ignore[arg-type]
    with pytest.raises(InjectedError):
        transaction.execute()
    assert netsh.machine.active == netsh.machine.persistent == INITIAL
    assert transaction.undone is Outcome.REVERTED


@pytest.mark.parametrize(
    ("when", "nth"),
    [(saved_show, 1), (saved_set, 1), (saved_set, 2)],
    ids=["reading-the-saved-values", "saving-the-first-family", "saving-the-second-family"],
)
def test_an_exception_during_the_keep_puts_both_stores_back(
    pipe: tuple[Connection, Connection], when: Callable[[Argv], bool], nth: int
) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    app_end.send_bytes(decision_message(True))
    transaction = Transaction(
        failing_run(netsh, when, nth), helper_end, BOTH, deadline_s=5, keep_store=Store.PERSISTENT
    )
    with pytest.raises(InjectedError):
        transaction.execute()
    assert netsh.machine.active == INITIAL
    assert netsh.machine.persistent == INITIAL  # the first family's saved store was written, then put back
    assert transaction.undone is Outcome.REVERTED
    applied, done = received(app_end)
    assert isinstance(applied, Applied) and applied.ok
    assert isinstance(done, Done) and (done.outcome, done.reason) == (Outcome.REVERTED, RevertReason.HELPER_ERROR)


def test_a_saved_store_that_differed_from_the_active_one_gets_its_own_values_back(
    pipe: tuple[Connection, Connection],
) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    saved = LoopbackSettings(ExecutionMode.WORKER, 2, False)
    netsh.machine.persistent[Family.IPV4] = saved  # an active-only change was made before this trial
    app_end.send_bytes(decision_message(True))
    transaction = Transaction(
        failing_run(netsh, saved_set, 2), helper_end, BOTH, deadline_s=5, keep_store=Store.PERSISTENT
    )
    with pytest.raises(InjectedError):
        transaction.execute()
    assert netsh.machine.persistent == {Family.IPV4: saved, Family.IPV6: SIMULATED_INITIAL}
    assert netsh.machine.active == INITIAL


def test_a_failure_to_report_after_a_completed_keep_keeps(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    app_end.send_bytes(decision_message(True))
    transaction = Transaction(
        netsh, FaultyConn(helper_end, "send_bytes", 2), BOTH, deadline_s=5, keep_store=Store.PERSISTENT
    )  # type: ignore[arg-type]
    with pytest.raises(InjectedError):
        transaction.execute()
    assert netsh.machine.active == netsh.machine.persistent  # the keep completed: the user's decision stands
    assert netsh.machine.active[Family.IPV4].execution_mode is ExecutionMode.INLINE
    assert transaction.undone is None


def test_a_failure_to_report_after_a_revert_leaves_it_reverted(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    app_end.send_bytes(decision_message(False))
    transaction = Transaction(
        netsh, FaultyConn(helper_end, "send_bytes", 2), BOTH, deadline_s=5, keep_store=Store.PERSISTENT
    )  # type: ignore[arg-type]
    with pytest.raises(InjectedError):
        transaction.execute()
    assert netsh.machine.active == netsh.machine.persistent == INITIAL


def test_a_restore_that_raises_still_restores_the_other_family(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    app_end.send_bytes(decision_message(False))
    restoring_ipv4 = failing_run(netsh, lambda argv: argv[1] == "ipv4" and "loopbackexecutionmode=adaptive" in argv)
    transaction = Transaction(restoring_ipv4, helper_end, BOTH, deadline_s=5, keep_store=Store.PERSISTENT)
    assert transaction.execute() is Outcome.REVERT_FAILED  # honest: IPv4 could not be put back
    assert netsh.machine.active[Family.IPV6] == SIMULATED_INITIAL


def test_netsh_output_over_the_message_limit_is_shortened_and_the_trial_goes_on(
    pipe: tuple[Connection, Connection],
) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    huge = "x" * (MAX_MESSAGE_BYTES + 1000)

    def chatty(argv: Argv) -> CommandResult:
        result = netsh(argv)
        return CommandResult(result.argv, result.exit_code, result.stdout + huge, huge) if argv[2] == "set" else result

    app_end.send_bytes(decision_message(False))
    transaction = Transaction(chatty, helper_end, BOTH, deadline_s=5, keep_store=Store.PERSISTENT)
    assert transaction.execute() is Outcome.REVERTED  # before: Applied(...).encode() raised, IPv4 stayed changed
    assert netsh.machine.active == INITIAL
    applied, done = received(app_end)
    assert isinstance(applied, Applied) and applied.ok and len(applied.results) == 2
    assert all(len(r.stdout) < 5000 and r.stdout.endswith("[... shortened ...]") for r in applied.results)
    assert isinstance(done, Done) and done.outcome is Outcome.REVERTED


def test_main_reports_an_unexpected_error_as_failed_never_as_reverted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pipe: tuple[Connection, Connection]
) -> None:
    """Exit code 1 means "reverted"; an error that escaped used to exit 1 through the interpreter."""
    _, helper_end = pipe
    connect = lambda address, authkey, app_pid: helper_end  # noqa: E731  (the channel, already made)

    def explode(self: Transaction) -> Outcome:
        raise InjectedError("a bug")

    monkeypatch.setattr(Transaction, "execute", explode)
    args = [
        "--backend", "simulated", "--state", str(tmp_path / "state.json"), "--address", str(tmp_path / "channel"),
        "--authkey", "ab" * 32, "--app-pid", "4242", "--deadline-seconds", "30", "--keep-store", "persistent",
        "--change", "ipv4:loopbackworkercount=8",
    ]  # fmt: skip
    assert helper.main(args, connect=connect) == EXIT_FAILED


def test_main_runs_netsh_with_the_blocking_call_and_no_event_loop(
    monkeypatch: pytest.MonkeyPatch, make_state: MakeState, pipe: tuple[Connection, Connection]
) -> None:
    import asyncio

    def no_loop(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the helper started an event loop")

    monkeypatch.setattr(asyncio, "run", no_loop)
    monkeypatch.setattr(asyncio, "new_event_loop", no_loop)
    state = make_state()
    app_end, helper_end = pipe
    connect = lambda address, authkey, app_pid: helper_end  # noqa: E731  (the channel, already made)
    app_end.send_bytes(decision_message(True))
    args = [
        "--backend", "simulated", "--state", str(state.path), "--address", "/tmp/lt-unused/channel",
        "--authkey", "ab" * 32, "--app-pid", "4242", "--deadline-seconds", "30", "--keep-store", "persistent",
        "--change", "ipv4:loopbackworkercount=8",
    ]  # fmt: skip
    assert helper.main(args, connect=connect) == helper.EXIT_KEPT
    assert machine_values(state)[1][Family.IPV4].worker_count == 8
