"""The helper's Transaction driven directly: an in-memory netsh and a Pipe for the channel.

Anything but a well-formed decision (garbage, an over-long message, pickle, a wrong decision, EOF, silence)
means revert.
"""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, Pipe

import pytest

from app.domain.commands import Argv
from app.domain.model import ExecutionMode, Family, LoopbackSettings, SettingsPatch, Store
from app.domain.outcomes import Outcome, RevertReason
from app.domain.runs import CommandResult, NetshMissingError
from app.elevation.protocol import (
    BEAT_MESSAGE,
    BEAT_WINDOW_S,
    DECISION_MAX_BYTES,
    Applied,
    Done,
    decision_message,
    parse_helper_message,
)
from app.elevation.trial import Transaction
from app.simulator.machine import SIMULATED_INITIAL, SimulatedMachine
from app.simulator.profile import Fault, SimProfile

INLINE = SettingsPatch(execution_mode=ExecutionMode.INLINE)
TRIAL = LoopbackSettings(ExecutionMode.INLINE, 4, True)


class Netsh:
    """An in-memory simulated netsh run as an administrator, recording every argv."""

    def __init__(self, **profile: object) -> None:
        self.machine = SimulatedMachine(SimProfile(**profile))  # type: ignore[arg-type]
        self.runs: list[Argv] = []

    def __call__(self, argv: Argv) -> CommandResult:
        self.runs.append(argv)
        outcome = self.machine.execute(argv, as_admin=True)
        if isinstance(outcome, str):  # HANG
            return CommandResult(argv, None, "", "", 0.1, timed_out=True)
        code, text = outcome
        return CommandResult(argv, code, text)


@pytest.fixture
def pipe() -> Iterator[tuple[Connection, Connection]]:
    app_end, helper_end = Pipe()
    yield app_end, helper_end
    app_end.close()
    helper_end.close()


def run(
    netsh: Netsh,
    helper_end: Connection,
    changes: list[tuple[Family, SettingsPatch]] | None = None,
    keep_store: Store = Store.PERSISTENT,
    deadline_s: float = 5.0,
) -> tuple[Outcome, Transaction]:
    transaction = Transaction(
        netsh, helper_end, changes or [(Family.IPV4, INLINE)], deadline_s=deadline_s, keep_store=keep_store
    )
    return transaction.execute(), transaction


def messages(app_end: Connection) -> list[Applied | Done]:
    found = []
    while app_end.poll(0):
        found.append(parse_helper_message(app_end.recv_bytes()))
    return found


def test_keep_writes_the_persistent_store(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    app_end.send_bytes(decision_message(True))
    outcome, _ = run(netsh, helper_end)
    assert outcome is Outcome.KEPT
    assert netsh.machine.active[Family.IPV4] == netsh.machine.persistent[Family.IPV4] == TRIAL
    applied, done = messages(app_end)
    assert isinstance(applied, Applied) and applied.ok and applied.before == {Family.IPV4: SIMULATED_INITIAL}
    assert isinstance(done, Done) and (done.outcome, done.reason) == (Outcome.KEPT, "kept")
    assert [r.argv[-1] for r in done.results] == ["store=persistent"]
    # The saved values are read just before they are written: a failure during the keep puts them back.
    assert [argv[2] for argv in netsh.runs] == ["show", "set", "show", "set"]


def test_keep_with_store_active_runs_nothing_more(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    app_end.send_bytes(decision_message(True))
    assert run(netsh, helper_end, keep_store=Store.ACTIVE)[0] is Outcome.KEPT
    assert netsh.machine.persistent[Family.IPV4] == SIMULATED_INITIAL
    assert [argv[2] for argv in netsh.runs] == ["show", "set"]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (decision_message(False), RevertReason.ASKED),
        (b"\x00\xff garbage", RevertReason.BAD_MESSAGE),
        (b"", RevertReason.BAD_MESSAGE),
        (b"{}", RevertReason.BAD_MESSAGE),
        (b"[]", RevertReason.BAD_MESSAGE),
        (b'{"type":"decision","decision":"maybe"}', RevertReason.BAD_MESSAGE),
        (b'{"type":"decision","decision":"KEEP"}', RevertReason.BAD_MESSAGE),
        (b'{"type":"decision","decision":"keep","run":"calc.exe"}', RevertReason.BAD_MESSAGE),
        (
            b'{"type":"command","argv":["interface","ipv4","set","global","loopbackworkercount=16"]}',
            RevertReason.BAD_MESSAGE,
        ),
        (pickle.dumps({"type": "decision", "decision": "keep"}), RevertReason.BAD_MESSAGE),
        (b'{"type":"decision","decision":"keep"}' + b" " * DECISION_MAX_BYTES, RevertReason.BAD_MESSAGE),  # too long
    ],
)
def test_anything_but_a_keep_decision_reverts(
    pipe: tuple[Connection, Connection], payload: bytes, reason: RevertReason
) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    app_end.send_bytes(payload)
    outcome, _ = run(netsh, helper_end)
    assert outcome is Outcome.REVERTED
    assert netsh.machine.active == netsh.machine.persistent == dict.fromkeys(Family, SIMULATED_INITIAL)
    done = messages(app_end)[-1]
    assert isinstance(done, Done) and (done.outcome, done.reason) == (Outcome.REVERTED, reason.value)
    assert [r.argv for r in done.results] == [
        ("interface", "ipv4", "set", "global", "loopbackexecutionmode=adaptive", "store=active")
    ]


def test_a_pickled_object_is_never_unpickled(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe

    class Boom:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (pytest.fail, ("the helper unpickled a message",))

    app_end.send(Boom())  # Connection.send pickles
    assert run(Netsh(), helper_end)[0] is Outcome.REVERTED


def test_eof_reverts(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    app_end.close()  # the app died
    netsh = Netsh()
    outcome, _ = run(netsh, helper_end)
    assert outcome is Outcome.REVERTED
    assert netsh.machine.active[Family.IPV4] == SIMULATED_INITIAL


def test_silence_reverts_at_the_deadline(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    outcome, _ = run(netsh, helper_end, deadline_s=0.2)
    assert outcome is Outcome.REVERTED
    done = messages(app_end)[-1]
    assert isinstance(done, Done) and done.reason == RevertReason.DEADLINE.value


def _clock(*readings: float) -> Callable[[], float]:
    """A clock giving ``readings`` in turn (construction, when Applied is sent, when the decision is awaited)."""
    values = itertools.chain(readings, itertools.repeat(readings[-1]))
    return lambda: next(values)


def test_the_deadline_uses_the_injected_clock(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    transaction = Transaction(
        Netsh(),
        helper_end,
        [(Family.IPV4, INLINE)],
        deadline_s=30,
        keep_store=Store.ACTIVE,
        clock=_clock(100.0, 100.0, 131.0),  # 31 s pass between Applied and the decision
    )
    app_end.send_bytes(decision_message(True))
    assert transaction.execute() is Outcome.REVERTED


def test_the_deadline_runs_from_applied_so_slow_netsh_does_not_eat_the_users_time(
    pipe: tuple[Connection, Connection],
) -> None:
    app_end, helper_end = pipe
    beats = [204.0, 208.0, 212.0, 216.0, 220.0, 224.0, 228.0]  # the app beats every 4 s while the user thinks
    transaction = Transaction(
        Netsh(),
        helper_end,
        [(Family.IPV4, INLINE)],
        deadline_s=30,
        keep_store=Store.ACTIVE,
        clock=_clock(100.0, 200.0, *beats, 229.0),  # reading and applying took 100 s; the answer came 29 s after
    )
    for _ in beats:
        app_end.send_bytes(BEAT_MESSAGE)
    app_end.send_bytes(decision_message(True))
    assert transaction.execute() is Outcome.KEPT


def _trial(helper_end: Connection, clock: Callable[[], float], deadline_s: float = 30) -> Transaction:
    return Transaction(
        Netsh(), helper_end, [(Family.IPV4, INLINE)], deadline_s=deadline_s, keep_store=Store.ACTIVE, clock=clock
    )


def test_an_app_that_stops_beating_is_reverted_after_the_window_with_reason_deadline(
    pipe: tuple[Connection, Connection],
) -> None:
    app_end, helper_end = pipe
    transaction = _trial(helper_end, _clock(100.0, 100.0, 100.0 + BEAT_WINDOW_S))  # 30 s trial, no beat
    app_end.send_bytes(decision_message(True))  # a keep that comes after the window is too late
    assert transaction.execute() is Outcome.REVERTED
    done = messages(app_end)[-1]
    assert isinstance(done, Done) and done.reason == RevertReason.DEADLINE.value


def test_a_keep_within_the_window_without_any_beat_is_kept(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    transaction = _trial(helper_end, _clock(100.0, 100.0, 100.0 + BEAT_WINDOW_S - 0.5))
    app_end.send_bytes(decision_message(True))
    assert transaction.execute() is Outcome.KEPT


def test_beats_keep_the_trial_alive_up_to_the_cap(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    beats = [100.0 + 0.9 * BEAT_WINDOW_S * n for n in range(1, 7)]
    transaction = _trial(helper_end, _clock(100.0, 100.0, *beats, beats[-1] + 1.0), deadline_s=beats[-1] + 1.5 - 100)
    for _ in beats:
        app_end.send_bytes(BEAT_MESSAGE)
    app_end.send_bytes(decision_message(True))
    assert transaction.execute() is Outcome.KEPT


def test_beats_never_extend_past_the_cap(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    beats = [101.0, 102.0, 103.0, 104.0]  # fresh beats, but the trial's cap is 3 s
    transaction = _trial(helper_end, _clock(100.0, 100.0, *beats, 104.5), deadline_s=3)
    for _ in beats:
        app_end.send_bytes(BEAT_MESSAGE)
    app_end.send_bytes(decision_message(True))
    assert transaction.execute() is Outcome.REVERTED
    done = messages(app_end)[-1]
    assert isinstance(done, Done) and done.reason == RevertReason.DEADLINE.value


def test_a_beat_after_the_decision_is_harmless(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    transaction = _trial(helper_end, _clock(100.0, 100.0, 101.0, 102.0))
    app_end.send_bytes(BEAT_MESSAGE)
    app_end.send_bytes(decision_message(True))
    app_end.send_bytes(BEAT_MESSAGE)
    assert transaction.execute() is Outcome.KEPT
    assert isinstance(messages(app_end)[-1], Done)


def test_a_malformed_beat_still_reverts_as_a_bad_message(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    transaction = _trial(helper_end, _clock(100.0, 100.0, 101.0))
    app_end.send_bytes(b'{"type":"beat","extend":3600}')
    assert transaction.execute() is Outcome.REVERTED
    done = messages(app_end)[-1]
    assert isinstance(done, Done) and done.reason == RevertReason.BAD_MESSAGE.value


def test_a_failed_set_restores_what_was_touched(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh(faults=frozenset({Fault.SET_HANGS_ONCE}))
    changes = [(Family.IPV4, SettingsPatch(worker_count=9)), (Family.IPV6, INLINE)]
    outcome, _ = run(netsh, helper_end, changes)
    assert outcome is Outcome.FAILED
    assert netsh.machine.active == dict.fromkeys(Family, SIMULATED_INITIAL)
    (applied,) = messages(app_end)  # no decision is waited for
    assert isinstance(applied, Applied) and not applied.ok and "did not answer" in applied.message
    assert [argv[4] for argv in netsh.runs if argv[2] == "set"] == ["loopbackworkercount=9", "loopbackworkercount=4"]


def test_a_failed_second_family_restores_the_first(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()

    def run_netsh(argv: Argv) -> CommandResult:
        if argv[1] == "ipv6" and "loopbackexecutionmode=inline" in argv:  # only the change fails, not the restore
            return CommandResult(argv, 1, "The parameter is incorrect.\n")
        return netsh(argv)

    transaction = Transaction(
        run_netsh, helper_end, [(Family.IPV4, INLINE), (Family.IPV6, INLINE)], deadline_s=5, keep_store=Store.PERSISTENT
    )
    assert transaction.execute() is Outcome.FAILED
    assert netsh.machine.active == dict.fromkeys(Family, SIMULATED_INITIAL)
    assert [argv[1:5:3] for argv in netsh.runs if argv[2] == "set"] == [
        ("ipv4", "loopbackexecutionmode=inline"),
        ("ipv4", "loopbackexecutionmode=adaptive"),
        ("ipv6", "loopbackexecutionmode=adaptive"),
    ]
    (applied,) = messages(app_end)
    assert isinstance(applied, Applied) and applied.message.startswith("IPv6: netsh exited with code 1")


def test_unreadable_values_mean_nothing_is_changed(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh(build=17134)
    assert run(netsh, helper_end)[0] is Outcome.FAILED
    assert [argv[2] for argv in netsh.runs] == ["show"]
    (applied,) = messages(app_end)
    assert isinstance(applied, Applied) and "could not read the values to restore" in applied.message


def test_missing_netsh_is_a_failed_run_not_a_crash(pipe: tuple[Connection, Connection]) -> None:
    _, helper_end = pipe

    def missing(argv: Argv) -> CommandResult:
        raise NetshMissingError("netsh could not be started")

    transaction = Transaction(missing, helper_end, [(Family.IPV4, INLINE)], deadline_s=5, keep_store=Store.ACTIVE)
    assert transaction.execute() is Outcome.FAILED


def test_a_vanished_app_does_not_stop_the_revert(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    app_end.send_bytes(b"junk")
    app_end.close()  # sending Applied and Done now fails; the helper still reverts
    netsh = Netsh()
    assert run(netsh, helper_end)[0] is Outcome.REVERTED
    assert netsh.machine.active[Family.IPV4] == SIMULATED_INITIAL
