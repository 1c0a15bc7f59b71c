"""The helper's comparison session driven directly: an in-memory netsh and a Pipe for the channel. Every way it
can end without a keep (asked, the channel dropping, silence, a bad message, an unexpected error) puts the
original values back; a configuration that fails is reported and the comparison goes on."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from multiprocessing.connection import Connection, Pipe

import pytest

from app.domain.commands import Argv
from app.domain.model import ExecutionMode, Family, LoopbackSettings, SettingsPatch
from app.domain.outcomes import Outcome
from app.domain.runs import CommandResult
from app.elevation.compare_protocol import (
    NEXT_MESSAGE,
    REVERT_MESSAGE,
    KeepConfiguration,
    Next,
    Ready,
    RevertAll,
    Step,
    keep_message,
    parse_session_decision,
    parse_session_message,
)
from app.elevation.comparison import ComparisonSession
from app.elevation.protocol import BEAT_MESSAGE, Beat, Done, ProtocolError, encode
from app.simulator.machine import SIMULATED_INITIAL, SimulatedMachine
from app.simulator.profile import Fault, SimProfile
from app.storage.machine_events import ChangeStage

INLINE_V4 = [(Family.IPV4, SettingsPatch(execution_mode=ExecutionMode.INLINE))]
WORKER_BOTH = [
    (Family.IPV4, SettingsPatch(execution_mode=ExecutionMode.WORKER, worker_count=2)),
    (Family.IPV6, SettingsPatch(large_mtu=False)),
]
CONFIGS = [INLINE_V4, WORKER_BOTH]
INLINE = LoopbackSettings(ExecutionMode.INLINE, 4, True)
WORKER_2 = LoopbackSettings(ExecutionMode.WORKER, 2, True)
NO_MTU = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, False)


class Netsh:
    """An in-memory simulated netsh run as an administrator; ``fail_when`` makes matching sets exit 1."""

    def __init__(self, fail_when: str | None = None, raise_when: str | None = None) -> None:
        self.machine = SimulatedMachine(SimProfile())
        self.runs: list[Argv] = []
        self.fail_when, self.raise_when = fail_when, raise_when

    def __call__(self, argv: Argv) -> CommandResult:
        self.runs.append(argv)
        if self.raise_when and self.raise_when in " ".join(argv):
            self.raise_when = None
            raise RuntimeError("a bug in the middle of a step")
        if self.fail_when and "set" in argv and self.fail_when in " ".join(argv):
            return CommandResult(argv, 1, "The parameter is incorrect.\n")
        outcome = self.machine.execute(argv, as_admin=True)
        assert not isinstance(outcome, str)
        code, text = outcome
        return CommandResult(argv, code, text)

    def sets(self) -> list[str]:
        return [" ".join(a) for a in self.runs if "set" in a]


@pytest.fixture
def pipe() -> Iterator[tuple[Connection, Connection]]:
    app_end, helper_end = Pipe()
    yield app_end, helper_end
    app_end.close()
    helper_end.close()


def run(netsh: Netsh, helper_end: Connection, deadline_s: float = 5.0) -> tuple[Outcome, ComparisonSession]:
    session = ComparisonSession(netsh, helper_end, CONFIGS, deadline_s=deadline_s)
    return session.execute(), session


def messages(app_end: Connection) -> list[Ready | Step | Done]:
    found = []
    while app_end.poll(0):
        found.append(parse_session_message(app_end.recv_bytes()))
    return found


def originals(netsh: Netsh) -> None:
    assert netsh.machine.active == dict.fromkeys(Family, SIMULATED_INITIAL)
    assert netsh.machine.persistent == dict.fromkeys(Family, SIMULATED_INITIAL)


def test_each_configuration_in_turn_then_one_kept_and_saved(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    for data in (NEXT_MESSAGE, BEAT_MESSAGE, NEXT_MESSAGE, NEXT_MESSAGE, keep_message(1)):
        app_end.send_bytes(data)
    netsh = Netsh()
    outcome, session = run(netsh, helper_end)
    assert outcome is Outcome.KEPT
    assert session.applied == [0, 1, 0]  # next cycles through the list: A B A ...
    assert netsh.machine.active == {Family.IPV4: WORKER_2, Family.IPV6: NO_MTU}
    assert netsh.machine.persistent == {Family.IPV4: WORKER_2, Family.IPV6: NO_MTU}
    found = messages(app_end)
    assert isinstance(found[0], Ready) and found[0].ok
    assert found[0].before == dict.fromkeys(Family, SIMULATED_INITIAL)
    steps = [m for m in found if isinstance(m, Step)]
    assert [(s.index, s.ok) for s in steps] == [(0, True), (1, True), (0, True)]
    assert isinstance(found[-1], Done) and found[-1].outcome is Outcome.KEPT
    # Only what differs is written: step 0 sets IPv4; step 1 both; back to 0 both; keep 1 both again, then saves both.
    assert len(netsh.sets()) == 1 + 2 + 2 + 2 + 2
    assert netsh.sets()[:1] == [
        "interface ipv4 set global loopbackexecutionmode=inline loopbackworkercount=4 loopbacklargemtu=enable "
        "store=active"
    ]


def test_revert_puts_the_original_values_back(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    for data in (NEXT_MESSAGE, NEXT_MESSAGE, REVERT_MESSAGE):
        app_end.send_bytes(data)
    netsh = Netsh()
    outcome, _ = run(netsh, helper_end)
    assert outcome is Outcome.REVERTED
    originals(netsh)
    done = messages(app_end)[-1]
    assert isinstance(done, Done) and done.reason == "asked"


def test_the_app_dying_mid_comparison_puts_the_originals_back(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    app_end.send_bytes(NEXT_MESSAGE)
    app_end.send_bytes(NEXT_MESSAGE)
    app_end.close()  # the app is killed after asking for the second configuration
    netsh = Netsh()
    outcome, session = run(netsh, helper_end)
    assert outcome is Outcome.REVERTED
    assert session.applied == [0, 1]
    originals(netsh)


def test_an_app_that_stops_answering_is_reverted_at_the_deadline(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    app_end.send_bytes(NEXT_MESSAGE)
    netsh = Netsh()
    outcome, _ = run(netsh, helper_end, deadline_s=0.2)
    assert outcome is Outcome.REVERTED
    originals(netsh)
    done = messages(app_end)[-1]
    assert isinstance(done, Done) and done.reason == "deadline"


@pytest.mark.parametrize(
    "bad",
    [
        keep_message(2),  # no such configuration
        encode({"type": "keep", "index": True}),
        encode({"type": "keep", "index": 0, "values": {"ipv4": "inline"}}),  # never values
        encode({"type": "decision", "decision": "keep"}),  # a trial's decision is not a comparison's
        b"not json",
        b"x" * 300,  # longer than any decision
    ],
)
def test_anything_but_a_decision_reverts(pipe: tuple[Connection, Connection], bad: bytes) -> None:
    app_end, helper_end = pipe
    app_end.send_bytes(NEXT_MESSAGE)
    app_end.send_bytes(bad)
    netsh = Netsh()
    outcome, _ = run(netsh, helper_end)
    assert outcome is Outcome.REVERTED
    originals(netsh)
    done = messages(app_end)[-1]
    assert isinstance(done, Done) and done.reason == "bad-message"


def test_a_configuration_that_fails_is_reported_and_the_comparison_goes_on(
    pipe: tuple[Connection, Connection],
) -> None:
    app_end, helper_end = pipe
    for data in (NEXT_MESSAGE, NEXT_MESSAGE, NEXT_MESSAGE, keep_message(0)):
        app_end.send_bytes(data)
    netsh = Netsh(fail_when="loopbacklargemtu=disable ")  # configuration 1 turns IPv6 large MTU off: that set fails
    outcome, session = run(netsh, helper_end)
    assert outcome is Outcome.KEPT
    steps = [m for m in messages(app_end) if isinstance(m, Step)]
    assert [(s.index, s.ok) for s in steps] == [(0, True), (1, False), (0, True)]
    assert steps[1].message.startswith("IPv6: netsh exited with code 1: The parameter is incorrect")
    assert netsh.machine.active == {Family.IPV4: INLINE, Family.IPV6: SIMULATED_INITIAL}
    assert netsh.machine.persistent == {Family.IPV4: INLINE, Family.IPV6: SIMULATED_INITIAL}
    assert session.applied == [0, 1, 0]


def test_an_unexpected_error_puts_every_store_back_and_is_raised(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    for data in (NEXT_MESSAGE, NEXT_MESSAGE):
        app_end.send_bytes(data)
    netsh = Netsh(raise_when="ipv6 set global")
    with pytest.raises(RuntimeError, match="a bug"):
        run(netsh, helper_end)
    originals(netsh)
    done = messages(app_end)[-1]
    assert isinstance(done, Done) and done.outcome is Outcome.REVERTED and done.reason == "helper-error"


def test_values_that_cannot_be_read_change_nothing(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    netsh.machine.profile = SimProfile(faults=frozenset({Fault.SHOW_FAILS}))
    outcome, _ = run(netsh, helper_end)
    assert outcome is Outcome.FAILED
    assert netsh.sets() == []
    ready = messages(app_end)[0]
    assert isinstance(ready, Ready) and not ready.ok and "could not read" in ready.message


def test_session_decisions_parse_strictly() -> None:
    assert parse_session_decision(BEAT_MESSAGE, 2) is Beat.BEAT
    assert parse_session_decision(NEXT_MESSAGE, 2) == Next()
    assert parse_session_decision(REVERT_MESSAGE, 2) == RevertAll()
    assert parse_session_decision(keep_message(1), 2) == KeepConfiguration(1)
    for bad in (keep_message(-1), keep_message(2), encode({"type": "next", "index": 0})):
        with pytest.raises(ProtocolError):
            parse_session_decision(bad, 2)


def test_session_messages_round_trip() -> None:
    ready = Ready(True, {Family.IPV4: INLINE})
    assert parse_session_message(ready.encode()) == ready
    step = Step(3, False, (CommandResult(("netsh",), 1, "no"),), "IPv4: failed", None)
    assert parse_session_message(step.encode()) == step
    done = Done(Outcome.KEPT, "kept", ())
    assert parse_session_message(done.encode()) == done
    with pytest.raises(ProtocolError):
        parse_session_message(encode({"type": "step", "index": True, "ok": True, "message": "", "failure": None}))


def test_an_app_that_stops_beating_is_reverted_after_the_beat_window(pipe: tuple[Connection, Connection]) -> None:
    # The session's cap is far away; the app asked for one configuration and then hung (no beat, no decision).
    app_end, helper_end = pipe
    app_end.send_bytes(NEXT_MESSAGE)
    netsh = Netsh()
    outcome, _ = run(netsh, helper_end, deadline_s=600.0)
    assert outcome is Outcome.REVERTED
    originals(netsh)
    done = messages(app_end)[-1]
    assert isinstance(done, Done) and done.reason == "deadline"


def test_the_machine_records_get_the_originals_first_and_the_kept_configuration(
    pipe: tuple[Connection, Connection],
) -> None:
    app_end, helper_end = pipe
    for data in (NEXT_MESSAGE, NEXT_MESSAGE, keep_message(1)):
        app_end.send_bytes(data)
    seen: list[tuple[str, object, dict[Family, LoopbackSettings]]] = []

    def observer_for(configuration: object) -> Callable[[ChangeStage, Mapping[Family, LoopbackSettings]], None]:
        return lambda stage, before: seen.append((stage.value, configuration, dict(before)))

    session = ComparisonSession(Netsh(), helper_end, CONFIGS, deadline_s=5.0, observer_for=observer_for)
    assert session.execute() is Outcome.KEPT
    originals_seen = dict.fromkeys(Family, SIMULATED_INITIAL)
    assert seen == [("starting", CONFIGS[0], originals_seen), ("kept", CONFIGS[1], originals_seen)]


def test_a_record_that_fails_never_stops_the_session(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    for data in (NEXT_MESSAGE, REVERT_MESSAGE):
        app_end.send_bytes(data)

    def broken(_configuration: object) -> Callable[[ChangeStage, Mapping[Family, LoopbackSettings]], None]:
        raise OSError("disk full")

    netsh = Netsh()
    assert ComparisonSession(netsh, helper_end, CONFIGS, deadline_s=5.0, observer_for=broken).execute() is (
        Outcome.REVERTED
    )
    originals(netsh)
