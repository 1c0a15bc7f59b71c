"""The trial's Transaction, pinned where a mutation survived: the exact results and messages it sends, the
observer's stages and values, the stderr lines, the deadline's border and the failure classification."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from multiprocessing.connection import Connection, Pipe

import pytest

from app.domain.commands import Argv
from app.domain.model import ExecutionMode, Family, LoopbackSettings, SettingsPatch, Store
from app.domain.netsh_failure import SetFailure
from app.domain.outcomes import Outcome, RevertReason
from app.domain.runs import CommandResult, NetshMissingError
from app.elevation.protocol import Applied, Done, decision_message, parse_helper_message
from app.elevation.trial import Transaction
from app.simulator.machine import SIMULATED_INITIAL
from app.storage.machine_events import ChangeStage
from tests.elevation.test_transaction import Netsh

INLINE = SettingsPatch(execution_mode=ExecutionMode.INLINE)
BOTH = [(Family.IPV4, INLINE), (Family.IPV6, SettingsPatch(worker_count=9))]
INITIAL = dict.fromkeys(Family, SIMULATED_INITIAL)
NOT_ELEVATED = "The requested operation requires elevation (Run as administrator)."


class InjectedError(RuntimeError):
    pass


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[ChangeStage, dict[Family, LoopbackSettings]]] = []

    def __call__(self, stage: ChangeStage, before: Mapping[Family, LoopbackSettings]) -> None:
        self.calls.append((stage, dict(before)))

    @property
    def stages(self) -> list[ChangeStage]:
        return [stage for stage, _ in self.calls]


class RaisingSend:
    """A channel whose send_bytes always raises ``error``; poll and recv pass through."""

    def __init__(self, conn: Connection, error: Exception) -> None:
        self.conn, self.error = conn, error

    def send_bytes(self, data: bytes) -> None:
        raise self.error

    def poll(self, timeout: float | None = 0.0) -> bool:
        return self.conn.poll(timeout)

    def recv_bytes(self, maxlength: int | None = None) -> bytes:
        return self.conn.recv_bytes(maxlength)


class RaisingPoll(RaisingSend):
    def send_bytes(self, data: bytes) -> None:
        self.conn.send_bytes(data)

    def poll(self, timeout: float | None = 0.0) -> bool:
        raise self.error


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


def test_missing_netsh_is_a_result_with_the_argv_and_the_reason(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    calls: list[Argv] = []

    def missing(argv: Argv) -> CommandResult:
        calls.append(argv)
        if argv[2] == "show":
            return Netsh()(argv)
        raise NetshMissingError("netsh could not be started here")

    transaction = Transaction(missing, helper_end, [(Family.IPV4, INLINE)], deadline_s=5, keep_store=Store.ACTIVE)
    # The set could not run and neither could the restore, but the machine still reads as before: nothing was left
    # applied, so nothing "failed too" (issue 13; this test asserted REVERT_FAILED and that note before).
    assert transaction.execute() is Outcome.FAILED
    first = transaction.results[0]
    assert (first.argv, first.exit_code, first.stdout, first.stderr) == (
        calls[1],
        None,
        "",
        "netsh could not be started here",
    )
    (applied,) = received(app_end)
    assert isinstance(applied, Applied) and not applied.ok
    assert applied.message == "IPv4: netsh could not be started here."
    assert applied.failure is SetFailure.NETSH_FAILED
    assert [argv[2] for argv in calls] == ["show", "set", "set", "show"]  # read, set, restore, the check


def test_a_failed_set_that_changed_something_is_restored_and_a_failed_restore_is_said(
    pipe: tuple[Connection, Connection],
) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    sets = 0

    def half_applied(argv: Argv) -> CommandResult:
        nonlocal sets
        if argv[2] != "set":
            return netsh(argv)
        sets += 1
        if sets == 1:  # the value changes, yet netsh reports a failure (UNCONFIRMED that it can; handled all the same)
            netsh(argv)
        return CommandResult(argv, 1, "The parameter is incorrect.")

    transaction = Transaction(half_applied, helper_end, [(Family.IPV4, INLINE)], deadline_s=5, keep_store=Store.ACTIVE)
    assert transaction.execute() is Outcome.REVERT_FAILED
    (applied,) = received(app_end)
    assert isinstance(applied, Applied) and not applied.ok
    assert applied.message.endswith("Restoring the previous values failed too.")
    assert sets == 2  # the failed set, then the restore that failed too
    assert applied.before == {Family.IPV4: SIMULATED_INITIAL}


def test_a_restore_that_raises_is_an_internal_error_result(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    app_end.send_bytes(decision_message(False))

    def restoring_raises(argv: Argv) -> CommandResult:
        if "loopbackexecutionmode=adaptive" in argv:
            raise InjectedError("boom")
        return netsh(argv)

    transaction = Transaction(
        restoring_raises, helper_end, [(Family.IPV4, INLINE)], deadline_s=5, keep_store=Store.ACTIVE
    )
    assert transaction.execute() is Outcome.REVERT_FAILED
    _, done = received(app_end)
    assert isinstance(done, Done) and (done.outcome, done.reason) == (Outcome.REVERT_FAILED, "asked")
    (result,) = done.results
    assert result.argv == ("interface", "ipv4", "set", "global", "loopbackexecutionmode=adaptive", "store=active")
    assert (result.exit_code, result.stdout, result.stderr) == (None, "", "internal error: InjectedError('boom')")


def test_a_failed_set_that_is_restored_says_failed_with_the_typed_reason(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    recorder = Recorder()

    def refusing(argv: Argv) -> CommandResult:
        if argv[1] == "ipv6" and argv[2] == "set" and "loopbackworkercount=9" in argv:
            return CommandResult(argv, 1, NOT_ELEVATED + "\n")
        return netsh(argv)

    transaction = Transaction(refusing, helper_end, BOTH, deadline_s=5, keep_store=Store.ACTIVE, observer=recorder)
    assert transaction.execute() is Outcome.FAILED
    assert netsh.machine.active == INITIAL
    (applied,) = received(app_end)
    assert isinstance(applied, Applied) and not applied.ok
    assert applied.message == f"IPv6: netsh exited with code 1: {NOT_ELEVATED}"
    assert applied.failure is SetFailure.NEEDS_ELEVATION
    assert recorder.calls == [(ChangeStage.STARTING, INITIAL), (ChangeStage.FAILED, INITIAL)]
    # Both families were put back in the active store (IPv6 was touched before its run failed).
    assert [r.argv[1:] for r in transaction.results[2:]] == [
        ("ipv4", "set", "global", "loopbackexecutionmode=adaptive", "store=active"),
        ("ipv6", "set", "global", "loopbackworkercount=4", "store=active"),
    ]


def test_a_failed_set_whose_restore_fails_on_an_unchanged_machine_says_failed(
    pipe: tuple[Connection, Connection],
) -> None:
    """Issue 13: nothing was applied (every set is refused), so the failed restore is not "failed too"; this test
    asserted REVERT_FAILED and that note before. A set that did change something: the test below."""
    app_end, helper_end = pipe
    netsh = Netsh()
    recorder = Recorder()

    def failing(argv: Argv) -> CommandResult:
        if argv[2] == "set":
            return CommandResult(argv, 1, "The parameter is incorrect.\n")
        return netsh(argv)

    transaction = Transaction(failing, helper_end, BOTH, deadline_s=5, keep_store=Store.ACTIVE, observer=recorder)
    assert transaction.execute() is Outcome.FAILED
    (applied,) = received(app_end)
    assert isinstance(applied, Applied)
    assert applied.message == "IPv4: netsh exited with code 1: The parameter is incorrect."
    assert recorder.stages == [ChangeStage.STARTING, ChangeStage.FAILED]


def test_the_observer_sees_every_stage_of_a_keep_with_the_values_before(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    recorder = Recorder()
    app_end.send_bytes(decision_message(True))
    transaction = Transaction(Netsh(), helper_end, BOTH, deadline_s=5, keep_store=Store.ACTIVE, observer=recorder)
    assert transaction.execute() is Outcome.KEPT
    assert recorder.calls == [(s, INITIAL) for s in (ChangeStage.STARTING, ChangeStage.APPLIED, ChangeStage.KEPT)]
    _, done = received(app_end)
    assert isinstance(done, Done) and (done.outcome, done.reason, done.results) == (Outcome.KEPT, "kept", ())


def test_a_failing_observer_is_reported_on_stderr_and_the_trial_goes_on(
    pipe: tuple[Connection, Connection], capsys: pytest.CaptureFixture[str]
) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    app_end.send_bytes(decision_message(False))

    def broken(stage: ChangeStage, before: Mapping[Family, LoopbackSettings]) -> None:
        raise OSError("disk full")

    transaction = Transaction(netsh, helper_end, BOTH, deadline_s=5, keep_store=Store.ACTIVE, observer=broken)
    assert transaction.execute() is Outcome.REVERTED
    assert netsh.machine.active == INITIAL
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "helper: the machine-wide record failed (OSError: disk full)\n" * 3


def test_a_revert_that_fails_is_revert_failed_and_recorded(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    recorder = Recorder()
    app_end.send_bytes(decision_message(False))

    def restore_fails(argv: Argv) -> CommandResult:
        if "loopbackexecutionmode=adaptive" in argv:
            return CommandResult(argv, 1, "The parameter is incorrect.\n")
        return netsh(argv)

    transaction = Transaction(
        restore_fails, helper_end, [(Family.IPV4, INLINE)], deadline_s=5, keep_store=Store.ACTIVE, observer=recorder
    )
    assert transaction.execute() is Outcome.REVERT_FAILED
    assert recorder.stages == [ChangeStage.STARTING, ChangeStage.APPLIED, ChangeStage.REVERT_FAILED]


def test_a_value_error_while_sending_does_not_stop_the_trial(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    app_end.send_bytes(decision_message(False))
    conn = RaisingSend(helper_end, ValueError("closed"))
    transaction = Transaction(netsh, conn, BOTH, deadline_s=5, keep_store=Store.ACTIVE)  # type: ignore[arg-type]
    assert transaction.execute() is Outcome.REVERTED
    assert transaction.undone is None
    assert netsh.machine.active == INITIAL


def test_an_error_sending_done_after_an_undo_is_swallowed_and_the_first_error_leaves(
    pipe: tuple[Connection, Connection], capsys: pytest.CaptureFixture[str]
) -> None:
    _, helper_end = pipe
    netsh = Netsh()
    conn = RaisingSend(helper_end, InjectedError("send"))
    transaction = Transaction(netsh, conn, BOTH, deadline_s=5, keep_store=Store.ACTIVE)  # type: ignore[arg-type]
    with pytest.raises(InjectedError, match=r"^send$"):
        transaction.execute()
    assert transaction.undone is Outcome.REVERTED
    assert netsh.machine.active == INITIAL
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "helper: unexpected error, the previous values were put back: InjectedError('send')\n"


def test_an_undo_whose_active_restore_fails_is_revert_failed(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    recorder = Recorder()

    def restore_fails(argv: Argv) -> CommandResult:
        if "loopbackexecutionmode=adaptive" in argv:
            return CommandResult(argv, 1, "The parameter is incorrect.\n")
        return netsh(argv)

    conn = RaisingPoll(helper_end, InjectedError("poll"))
    transaction = Transaction(restore_fails, conn, BOTH, deadline_s=5, keep_store=Store.ACTIVE, observer=recorder)  # type: ignore[arg-type]
    with pytest.raises(InjectedError):
        transaction.execute()
    assert transaction.undone is Outcome.REVERT_FAILED
    assert recorder.calls[-1] == (ChangeStage.REVERT_FAILED, INITIAL)
    _, done = received(app_end)
    assert isinstance(done, Done) and (done.outcome, done.reason) == (Outcome.REVERT_FAILED, RevertReason.HELPER_ERROR)
    assert [r.argv[1] for r in done.results] == ["ipv4", "ipv6"]  # only the restoring runs


def test_an_undo_is_recorded_as_reverted_with_the_values_before(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    recorder = Recorder()
    conn = RaisingPoll(helper_end, InjectedError("poll"))
    transaction = Transaction(Netsh(), conn, BOTH, deadline_s=5, keep_store=Store.ACTIVE, observer=recorder)  # type: ignore[arg-type]
    with pytest.raises(InjectedError):
        transaction.execute()
    assert recorder.calls == [(s, INITIAL) for s in (ChangeStage.STARTING, ChangeStage.APPLIED, ChangeStage.REVERTED)]
    _, done = received(app_end)
    assert isinstance(done, Done) and len(done.results) == 2


def test_no_time_left_reverts_without_looking_at_a_waiting_keep(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    app_end.send_bytes(decision_message(True))  # already there: poll(0) would see it
    readings = iter([100.0, 100.0, 130.0])
    transaction = Transaction(
        Netsh(),
        helper_end,
        [(Family.IPV4, INLINE)],
        deadline_s=30,
        keep_store=Store.ACTIVE,
        clock=lambda: next(readings),
    )
    assert transaction.execute() is Outcome.REVERTED
    _, done = received(app_end)
    assert isinstance(done, Done) and done.reason == RevertReason.DEADLINE


def test_the_first_deadline_is_after_construction(pipe: tuple[Connection, Connection]) -> None:
    _, helper_end = pipe
    transaction = Transaction(Netsh(), helper_end, [], deadline_s=30, keep_store=Store.ACTIVE, clock=lambda: 100.0)
    assert transaction.deadline == 130.0


def test_a_failed_save_is_keep_failed_with_its_reason(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    app_end.send_bytes(decision_message(True))

    def saving_fails(argv: Argv) -> CommandResult:
        if argv[2] == "set" and argv[1] == "ipv4" and argv[-1] == "store=persistent":
            return CommandResult(argv, 1, "The parameter is incorrect.\n")
        return netsh(argv)

    transaction = Transaction(saving_fails, helper_end, BOTH, deadline_s=5, keep_store=Store.PERSISTENT)
    assert transaction.execute() is Outcome.KEEP_FAILED
    _, done = received(app_end)
    assert isinstance(done, Done) and done.outcome is Outcome.KEEP_FAILED
    assert (
        done.reason
        == "saving IPv4 failed (netsh exited with code 1: The parameter is incorrect.); it lasts until reboot"
    )


def test_an_error_reporting_a_failed_set_does_not_restore_a_second_time(pipe: tuple[Connection, Connection]) -> None:
    _, helper_end = pipe
    netsh = Netsh()

    def failing(argv: Argv) -> CommandResult:
        if argv[2] == "set" and "loopbackexecutionmode=inline" in argv:
            return CommandResult(argv, 1, "The parameter is incorrect.\n")
        return netsh(argv)

    conn = RaisingSend(helper_end, InjectedError("send"))
    transaction = Transaction(failing, conn, BOTH, deadline_s=5, keep_store=Store.ACTIVE)  # type: ignore[arg-type]
    with pytest.raises(InjectedError):
        transaction.execute()
    assert transaction.undone is None  # the machine was already settled (restored) when the report failed
    assert [r.argv[4] for r in transaction.results] == [
        "loopbackexecutionmode=inline",
        "loopbackexecutionmode=adaptive",
    ]


class SendOnce(RaisingSend):
    """Sends the first message (Applied), then raises on every later send."""

    sent = 0

    def send_bytes(self, data: bytes) -> None:
        self.sent += 1
        if self.sent > 1:
            raise self.error
        self.conn.send_bytes(data)


@pytest.mark.parametrize("keep", [True, False])
def test_an_error_reporting_the_end_leaves_the_settled_machine_alone(
    pipe: tuple[Connection, Connection], keep: bool
) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    app_end.send_bytes(decision_message(keep))
    conn = SendOnce(helper_end, InjectedError("send"))
    transaction = Transaction(netsh, conn, BOTH, deadline_s=5, keep_store=Store.PERSISTENT)  # type: ignore[arg-type]
    with pytest.raises(InjectedError):
        transaction.execute()
    assert transaction.undone is None
    assert len(transaction.results) == 4  # two sets, then two saves or two restores: nothing run again


def test_a_timed_out_set_is_a_failure_whatever_its_exit_code(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()

    def times_out(argv: Argv) -> CommandResult:
        if argv[2] == "set" and "loopbackexecutionmode=inline" in argv:
            return CommandResult(argv, 0, "", "", 7.0, timed_out=True)
        return netsh(argv)

    transaction = Transaction(times_out, helper_end, [(Family.IPV4, INLINE)], deadline_s=5, keep_store=Store.ACTIVE)
    assert transaction.execute() is Outcome.FAILED
    (applied,) = received(app_end)
    assert isinstance(applied, Applied) and applied.failure is SetFailure.NETSH_FAILED
    assert applied.message == "IPv4: netsh did not answer within 7 s and was stopped."


def test_only_the_final_full_stop_of_netsh_words_is_replaced(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()

    def failing(argv: Argv) -> CommandResult:
        if argv[2] == "set" and "loopbackexecutionmode=inline" in argv:
            return CommandResult(argv, 1, "Element not found: XX.\n")
        return netsh(argv)

    transaction = Transaction(failing, helper_end, [(Family.IPV4, INLINE)], deadline_s=5, keep_store=Store.ACTIVE)
    assert transaction.execute() is Outcome.FAILED
    (applied,) = received(app_end)
    assert isinstance(applied, Applied) and applied.message == "IPv4: netsh exited with code 1: Element not found: XX."


def test_unreadable_values_are_a_failed_applied_with_nothing_before(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    assert (
        Transaction(Netsh(build=17134), helper_end, BOTH, deadline_s=5, keep_store=Store.ACTIVE).execute()
        is Outcome.FAILED
    )
    (applied,) = received(app_end)
    assert isinstance(applied, Applied) and not applied.ok and applied.before == {}
    assert applied.message.startswith("could not read the values to restore: IPv4: ")
