"""Measure now's messages to the helper (issue 15): a bounded pause and a switch between the values found before
and the trial values. Parsed strictly; driven through the helper's Transaction with an in-memory netsh, a Pipe and
an injected clock. Whatever was switched, a keep leaves (and saves) the trial values, every other ending the
originals.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, Pipe

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.commands import Argv
from app.domain.model import Family, SettingsPatch, Store
from app.domain.outcomes import Outcome, RevertReason
from app.domain.runs import CommandResult
from app.elevation import trial as trial_module
from app.elevation.protocol import (
    BEAT_MESSAGE,
    MAX_PAUSE_S,
    MAX_PAUSES,
    MAX_SWITCHES,
    Active,
    Beat,
    Done,
    Pause,
    ProtocolError,
    Switch,
    Switched,
    decision_message,
    parse_decision,
    parse_helper_message,
    parse_trial_message,
    pause_message,
    switch_message,
)
from app.elevation.trial import Transaction
from app.simulator.machine import SIMULATED_INITIAL
from tests.elevation.test_transaction import INLINE, TRIAL, Netsh, _clock, messages


@pytest.fixture
def pipe() -> Iterator[tuple[Connection, Connection]]:
    app_end, helper_end = Pipe()
    yield app_end, helper_end
    app_end.close()
    helper_end.close()


KEEP, REVERT = decision_message(True), decision_message(False)
BEFORE, BACK = switch_message(Active.BEFORE), switch_message(Active.TRIAL)
BOTH = [(Family.IPV4, INLINE), (Family.IPV6, SettingsPatch(worker_count=9))]


# --- parsing ----------------------------------------------------------------------------------------------------
def test_pause_and_switch_round_trip() -> None:
    assert parse_trial_message(pause_message(30)) == Pause(30)
    assert parse_trial_message(pause_message(MAX_PAUSE_S)) == Pause(MAX_PAUSE_S)
    assert parse_trial_message(BEFORE) == Switch(Active.BEFORE)
    assert parse_trial_message(BACK) == Switch(Active.TRIAL)
    assert json.loads(pause_message(1)) == {"type": "pause", "seconds": 1}
    assert json.loads(BEFORE) == {"type": "switch", "to": "before"}
    assert parse_trial_message(KEEP) is True and parse_trial_message(REVERT) is False


@pytest.mark.parametrize(
    "message",
    [
        {"type": "pause", "seconds": 0},
        {"type": "pause", "seconds": -5},
        {"type": "pause", "seconds": MAX_PAUSE_S + 1},
        {"type": "pause", "seconds": 10**12},
        {"type": "pause", "seconds": True},
        {"type": "pause", "seconds": 1.5},
        {"type": "pause", "seconds": 30.0},
        {"type": "pause", "seconds": "30"},
        {"type": "pause", "seconds": None},
        {"type": "pause"},
        {"type": "pause", "seconds": 30, "extra": 1},
        {"type": "Pause", "seconds": 30},
        {"type": "switch", "to": "original"},
        {"type": "switch", "to": "BEFORE"},
        {"type": "switch", "to": "unknown"},
        {"type": "switch", "to": None},
        {"type": "switch", "to": ["before"]},
        {"type": "switch"},
        {"type": "switch", "to": "trial", "values": {"loopbackworkercount": 16}},
        {"type": "switch", "to": "trial", "argv": ["interface", "ipv4", "set", "global"]},
    ],
)
def test_bad_pauses_and_switches_are_refused(message: dict[str, object]) -> None:
    with pytest.raises(ProtocolError):
        parse_trial_message(json.dumps(message).encode())


pause_like = st.dictionaries(
    st.sampled_from(["type", "seconds", "to", "decision", "argv"]),
    st.sampled_from(["pause", "switch", "before", "trial", "keep", 0, 1, 120, 121, -1, True, 1.0, None, "30"])
    | st.integers(-(2**40), 2**40),
    max_size=3,
)


@given(st.binary(max_size=300) | pause_like.map(lambda v: json.dumps(v).encode()))
@settings(max_examples=300)
def test_the_trial_decoder_accepts_exactly_the_documented_shapes(data: bytes) -> None:
    try:
        parsed = parse_trial_message(data)
    except ProtocolError:
        return
    message = json.loads(data)
    if isinstance(parsed, Pause):
        assert message == {"type": "pause", "seconds": parsed.seconds} and 1 <= parsed.seconds <= MAX_PAUSE_S
        assert type(message["seconds"]) is int
    elif isinstance(parsed, Switch):
        assert message == {"type": "switch", "to": parsed.to.value} and parsed.to is not Active.UNKNOWN
    elif parsed is Beat.BEAT:
        assert message == {"type": "beat"}
    else:
        assert message == {"type": "decision", "decision": "keep" if parsed else "revert"}


def test_the_old_decision_parser_still_takes_only_keep_revert_and_beat() -> None:
    with pytest.raises(ProtocolError):
        parse_decision(pause_message(30))


@pytest.mark.parametrize("seconds", [0, MAX_PAUSE_S + 1, True, 2.5])
def test_the_app_cannot_build_a_pause_the_helper_refuses(seconds: int) -> None:
    with pytest.raises(ValueError):
        pause_message(seconds)


def test_switch_to_unknown_cannot_be_built() -> None:
    with pytest.raises(ValueError):
        switch_message(Active.UNKNOWN)


def test_switched_round_trips_and_is_checked() -> None:
    result = CommandResult(("interface", "ipv4", "set", "global", "store=active"), 0, "Ok.\n")
    switched = Switched(Active.BEFORE, True, (result,), "")
    assert parse_helper_message(switched.encode()) == switched
    for bad in ({"active": "sideways"}, {"ok": "yes"}, {"message": 1}, {"results": {}}):
        raw = {"type": "switched", "active": "trial", "ok": True, "message": "", "results": [], **bad}
        with pytest.raises(ProtocolError):
            parse_helper_message(json.dumps(raw).encode())


# --- the helper's transaction -------------------------------------------------------------------------------------
def _run(
    helper_end: Connection,
    netsh: Callable[[Argv], CommandResult],
    clock: Callable[[], float],
    *,
    deadline_s: float = 30,
    changes: list[tuple[Family, SettingsPatch]] | None = None,
) -> tuple[Outcome, Transaction]:
    transaction = Transaction(
        netsh, helper_end, changes or BOTH, deadline_s=deadline_s, keep_store=Store.PERSISTENT, clock=clock
    )
    return transaction.execute(), transaction


def _done(app_end: Connection) -> Done:
    done = messages(app_end)[-1]
    assert isinstance(done, Done)
    return done


def test_a_pause_moves_the_cap_later(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    for message in (pause_message(10), BEAT_MESSAGE, BEAT_MESSAGE, BEAT_MESSAGE, KEEP):
        app_end.send_bytes(message)
    # a 3 s trial: without the pause its cap is 103; with it, 113
    outcome, _ = _run(helper_end, Netsh(), _clock(100.0, 100.0, 101.0, 104.0, 107.0, 110.0, 112.0), deadline_s=3)
    assert outcome is Outcome.KEPT


def test_without_the_pause_the_same_trial_is_reverted_at_its_cap(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    for message in (BEAT_MESSAGE, BEAT_MESSAGE, BEAT_MESSAGE, BEAT_MESSAGE, KEEP):
        app_end.send_bytes(message)
    outcome, _ = _run(helper_end, Netsh(), _clock(100.0, 100.0, 101.0, 104.0, 107.0, 110.0, 112.0), deadline_s=3)
    assert outcome is Outcome.REVERTED and _done(app_end).reason == RevertReason.DEADLINE.value


def test_a_pause_after_the_cap_is_too_late(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    app_end.send_bytes(pause_message(MAX_PAUSE_S))
    app_end.send_bytes(KEEP)
    outcome, _ = _run(helper_end, netsh, _clock(100.0, 100.0, 131.0), deadline_s=30)  # read 1 s past the cap
    assert outcome is Outcome.REVERTED and _done(app_end).reason == RevertReason.DEADLINE.value
    assert netsh.machine.active == dict.fromkeys(Family, SIMULATED_INITIAL)


def test_a_paused_trial_without_beats_is_still_reverted_within_the_beat_window(
    pipe: tuple[Connection, Connection], monkeypatch: pytest.MonkeyPatch
) -> None:
    app_end, helper_end = pipe
    monkeypatch.setattr(trial_module, "BEAT_WINDOW_S", 0.3)  # real time, kept short
    netsh = Netsh()
    app_end.send_bytes(pause_message(MAX_PAUSE_S))  # then the app hangs: nothing more
    started = time.monotonic()
    outcome, _ = _run(helper_end, netsh, time.monotonic, deadline_s=30)
    assert time.monotonic() - started < 5  # not the 150 s the cap allows
    assert outcome is Outcome.REVERTED and _done(app_end).reason == RevertReason.DEADLINE.value
    assert netsh.machine.active == dict.fromkeys(Family, SIMULATED_INITIAL)


def test_pauses_are_limited_per_trial(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    for _ in range(MAX_PAUSES + 1):
        app_end.send_bytes(pause_message(1))
    app_end.send_bytes(KEEP)
    outcome, _ = _run(helper_end, netsh, _clock(100.0, 100.0, 101.0))
    assert outcome is Outcome.REVERTED and _done(app_end).reason == RevertReason.BAD_MESSAGE.value
    assert netsh.machine.active == dict.fromkeys(Family, SIMULATED_INITIAL)


def test_the_last_allowed_pause_is_taken(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    for _ in range(MAX_PAUSES):
        app_end.send_bytes(pause_message(1))
    app_end.send_bytes(KEEP)
    assert _run(helper_end, Netsh(), _clock(100.0, 100.0, 101.0))[0] is Outcome.KEPT


def test_a_switch_puts_the_values_found_before_in_the_active_store_and_says_so(
    pipe: tuple[Connection, Connection],
) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    seen: list[object] = []

    def watching(argv: Argv) -> CommandResult:
        result = netsh(argv)
        if argv[2] == "set":
            seen.append(dict(netsh.machine.active))
        return result

    for message in (BEFORE, BACK, REVERT):
        app_end.send_bytes(message)
    outcome, _ = _run(helper_end, watching, _clock(100.0, 100.0, 101.0))
    assert outcome is Outcome.REVERTED
    after_switch_before = seen[3]  # apply ipv4, apply ipv6, then the switch's two sets
    assert after_switch_before == dict.fromkeys(Family, SIMULATED_INITIAL)
    after_switch_back = seen[5]
    assert after_switch_back[Family.IPV4] == TRIAL and after_switch_back[Family.IPV6].worker_count == 9
    found = messages(app_end)
    switched = [m for m in found if isinstance(m, Switched)]
    assert [(s.active, s.ok, len(s.results)) for s in switched] == [(Active.BEFORE, True, 2), (Active.TRIAL, True, 2)]
    assert netsh.machine.active == dict.fromkeys(Family, SIMULATED_INITIAL)


@pytest.mark.parametrize("switches", [[BEFORE], [BEFORE, BACK], [BEFORE, BACK, BEFORE]])
def test_an_app_killed_after_any_switch_gets_the_originals_back(
    pipe: tuple[Connection, Connection], switches: list[bytes]
) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    for message in switches:
        app_end.send_bytes(message)
    app_end.close()  # the app dies
    outcome, _ = _run(helper_end, netsh, _clock(100.0, 100.0, 101.0))
    assert outcome is Outcome.REVERTED
    assert netsh.machine.active == netsh.machine.persistent == dict.fromkeys(Family, SIMULATED_INITIAL)


def test_a_hung_app_while_switched_to_before_gets_the_originals_back_within_the_beat_window(
    pipe: tuple[Connection, Connection], monkeypatch: pytest.MonkeyPatch
) -> None:
    app_end, helper_end = pipe
    monkeypatch.setattr(trial_module, "BEAT_WINDOW_S", 0.3)
    netsh = Netsh()
    app_end.send_bytes(pause_message(MAX_PAUSE_S))
    app_end.send_bytes(BEFORE)  # then nothing: the app hangs while measuring the values found before
    started = time.monotonic()
    outcome, _ = _run(helper_end, netsh, time.monotonic)
    assert time.monotonic() - started < 5
    assert outcome is Outcome.REVERTED and _done(app_end).reason == RevertReason.DEADLINE.value
    assert netsh.machine.active == netsh.machine.persistent == dict.fromkeys(Family, SIMULATED_INITIAL)


def test_keep_while_the_values_found_before_are_active_saves_and_leaves_the_trial_values(
    pipe: tuple[Connection, Connection],
) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    app_end.send_bytes(BEFORE)
    app_end.send_bytes(KEEP)
    outcome, transaction = _run(helper_end, netsh, _clock(100.0, 100.0, 101.0))
    assert outcome is Outcome.KEPT and transaction.active is Active.TRIAL
    assert netsh.machine.active[Family.IPV4] == netsh.machine.persistent[Family.IPV4] == TRIAL
    assert netsh.machine.active[Family.IPV6].worker_count == netsh.machine.persistent[Family.IPV6].worker_count == 9
    done = _done(app_end)
    # the trial values back in the active store first, then saved; the switch's own runs went with its answer
    assert [r.argv[-1] for r in done.results] == ["store=active"] * 2 + ["store=persistent"] * 2


def test_keep_after_switching_back_writes_nothing_extra(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    for message in (BEFORE, BACK, KEEP):
        app_end.send_bytes(message)
    assert _run(helper_end, netsh, _clock(100.0, 100.0, 101.0))[0] is Outcome.KEPT
    assert [r.argv[-1] for r in _done(app_end).results] == ["store=persistent", "store=persistent"]
    assert netsh.machine.persistent[Family.IPV4] == TRIAL


def test_revert_while_before_is_active_leaves_the_originals(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    app_end.send_bytes(BEFORE)
    app_end.send_bytes(REVERT)
    assert _run(helper_end, netsh, _clock(100.0, 100.0, 101.0))[0] is Outcome.REVERTED
    assert netsh.machine.active == netsh.machine.persistent == dict.fromkeys(Family, SIMULATED_INITIAL)


def test_switches_are_limited_per_trial(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    for n in range(MAX_SWITCHES + 1):
        app_end.send_bytes(BACK if n % 2 else BEFORE)
    app_end.send_bytes(KEEP)
    outcome, transaction = _run(helper_end, netsh, _clock(100.0, 100.0, 101.0))
    assert outcome is Outcome.REVERTED and _done(app_end).reason == RevertReason.BAD_MESSAGE.value
    assert transaction.switches == MAX_SWITCHES + 1
    assert netsh.machine.active == dict.fromkeys(Family, SIMULATED_INITIAL)


def _failing_set(netsh: Netsh, *numbers: int) -> Callable[[Argv], CommandResult]:
    """``netsh``, except that the ``numbers``-th ``set`` runs (from 1) fail as netsh refuses a value."""
    count = 0

    def run(argv: Argv) -> CommandResult:
        nonlocal count
        if argv[2] == "set":
            count += 1
            if count in numbers:
                return CommandResult(argv, 1, "The parameter is incorrect.\n")
        return netsh(argv)

    return run


def test_a_failed_switch_is_reported_and_a_keep_then_writes_the_trial_values_again(
    pipe: tuple[Connection, Connection],
) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    app_end.send_bytes(BEFORE)
    app_end.send_bytes(KEEP)
    # sets 1-2 apply; set 3 (the switch's ipv4) works, set 4 (its ipv6) fails: ipv4 before, ipv6 trial
    outcome, _ = _run(helper_end, _failing_set(netsh, 4), _clock(100.0, 100.0, 101.0))
    switched = next(m for m in messages(app_end) if isinstance(m, Switched))
    assert (switched.active, switched.ok) == (Active.UNKNOWN, False) and switched.message.startswith("IPv6:")
    assert outcome is Outcome.KEPT
    assert netsh.machine.active[Family.IPV4] == netsh.machine.persistent[Family.IPV4] == TRIAL


def test_a_keep_whose_trial_values_will_not_go_back_leaves_the_originals_not_a_half_keep(
    pipe: tuple[Connection, Connection],
) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    app_end.send_bytes(BEFORE)
    app_end.send_bytes(KEEP)
    # sets 1-2 apply, 3-4 switch to before, 5 (the keep's ipv4 trial value) fails
    outcome, _ = _run(helper_end, _failing_set(netsh, 5), _clock(100.0, 100.0, 101.0))
    assert outcome is Outcome.FAILED
    assert "could not be put back" in _done(app_end).reason
    assert netsh.machine.active == netsh.machine.persistent == dict.fromkeys(Family, SIMULATED_INITIAL)


def test_a_helper_error_while_switched_puts_the_originals_back(pipe: tuple[Connection, Connection]) -> None:
    app_end, helper_end = pipe
    netsh = Netsh()
    sets = 0

    def exploding(argv: Argv) -> CommandResult:
        nonlocal sets
        if argv[2] == "set":
            sets += 1
            if sets == 5:  # the second switch's first set: a bug, not a failed run
                raise RuntimeError("boom")
        return netsh(argv)

    app_end.send_bytes(BEFORE)
    app_end.send_bytes(BACK)
    with pytest.raises(RuntimeError):
        _run(helper_end, exploding, _clock(100.0, 100.0, 101.0))
    assert netsh.machine.active == dict.fromkeys(Family, SIMULATED_INITIAL)
    assert _done(app_end).reason == RevertReason.HELPER_ERROR.value
