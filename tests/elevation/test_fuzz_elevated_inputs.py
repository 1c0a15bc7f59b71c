"""Bad input to the elevated side, fuzzed: any bytes or arguments give a typed refusal, never an escaped
exception and never an applied change (issue 11, point 9).

Three inputs reach the elevated helper or decide what it is told: the decision message on the channel, the
helper's command line, and a profile file (its values become the helper's --change arguments).
"""

from __future__ import annotations

import io
import json
import string
from multiprocessing.connection import Pipe

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.errors import ValidationError
from app.domain.model import ExecutionMode, Family, LoopbackSettings, SettingsPatch, Store
from app.domain.outcomes import Outcome, RevertReason
from app.domain.profile_file import FORMAT, VERSION, dump_profile, load_profile
from app.domain.runs import CommandResult
from app.elevation import helper
from app.elevation.helper import EXIT_FAILED, EXIT_USAGE
from app.elevation.protocol import (
    MAX_MESSAGE_BYTES,
    Done,
    ProtocolError,
    decision_message,
    parse_decision,
    parse_helper_message,
)
from app.elevation.trial import Transaction
from app.simulator.machine import SIMULATED_INITIAL
from app.simulator.store import SimStateFile
from tests.elevation.test_transaction import Netsh

KEEP = {"type": "decision", "decision": "keep"}
REVERT = {"type": "decision", "decision": "revert"}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
# Near misses of a decision: the right keys with odd values, extra keys, other types.
decision_like = st.dictionaries(
    st.sampled_from(["type", "decision", "run", "argv", "Type"]),
    st.sampled_from(["decision", "keep", "revert", "KEEP", "keep ", "", None, True, 1, ["keep"]]) | json_values,
    max_size=4,
)
message_bytes = (
    st.binary(max_size=600)
    | json_values.map(lambda v: json.dumps(v).encode())
    | decision_like.map(lambda v: json.dumps(v).encode())
)


@given(message_bytes)
@settings(max_examples=300)
def test_the_decision_decoder_accepts_exactly_two_messages(data: bytes) -> None:
    try:
        keep = parse_decision(data)
    except ProtocolError:
        return
    assert json.loads(data) == (KEEP if keep else REVERT)


@given(message_bytes)
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
def test_any_message_on_the_channel_keeps_only_if_it_is_a_keep_decision(data: bytes) -> None:
    app_end, helper_end = Pipe()
    with app_end, helper_end:
        netsh = Netsh()
        app_end.send_bytes(data)
        patch = SettingsPatch(execution_mode=ExecutionMode.INLINE)
        outcome = Transaction(
            netsh, helper_end, [(Family.IPV4, patch)], deadline_s=5, keep_store=Store.ACTIVE
        ).execute()
        try:
            is_keep = parse_decision(data)
        except ProtocolError:
            is_keep = False
        if is_keep:
            assert outcome is Outcome.KEPT
        else:
            assert outcome is Outcome.REVERTED
            assert netsh.machine.active[Family.IPV4] == SIMULATED_INITIAL
            messages = []
            while app_end.poll(0):
                messages.append(parse_helper_message(app_end.recv_bytes()))
            done = messages[-1]
            assert isinstance(done, Done)
            assert done.reason in (RevertReason.ASKED, RevertReason.BAD_MESSAGE)


VALID = {
    "--backend": ["simulated", "system", "custom"],
    "--keep-store": ["persistent", "active"],
    "--deadline-seconds": ["30", "0", "-1", "99999", "nan", "1e3"],
    "--netsh-timeout": ["15", "nan", "inf", "0", "-3", "1e9"],
    "--change": ["ipv4:loopbackworkercount=8", "ipv6:loopbacklargemtu=disable", "ipv4:", "ipv4:store=persistent",
                 "ipv4:loopbackworkercount=8,loopbackworkercount=9", "ipx:loopbackworkercount=1", ":"],
    "--authkey": ["ab" * 32, "zz" * 32, "ab", ""],
    "--address": ["/tmp/lt-fuzz/channel", r"\\.\pipe\LoopbackTuner-" + "0" * 32, r"\\host\pipe\x", "relative"],
    "--netsh": ["/bin/true", "netsh.exe"],
    "--app-pid": ["4242", "0", "-1", "4294967296", "1e3", "٣"],
}  # fmt: skip
flags = st.sampled_from([*VALID, "--authkey-stdin", "--help", "-h", "--state"])
tokens = (
    flags | st.sampled_from([v for values in VALID.values() for v in values]) | st.text(string.printable, max_size=20)
)


@pytest.fixture(scope="module")
def sim_state(tmp_path_factory: pytest.TempPathFactory) -> SimStateFile:
    return SimStateFile(tmp_path_factory.mktemp("fuzz") / "state.json")


@given(st.lists(tokens, max_size=18))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_helper_command_line_is_refused_or_finds_no_channel_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, sim_state: SimStateFile, argv: list[str]
) -> None:
    def no_app(address: str, authkey: bytes, app_pid: int) -> None:
        raise ConnectionRefusedError("no app listens here")

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with_state = [*argv, "--state", str(sim_state.path)] if "--state" not in argv else argv
    assert helper.main(with_state, connect=no_app) in (EXIT_USAGE, EXIT_FAILED)
    machine = sim_state.load()  # nothing was applied: no channel, no change
    assert machine.active == machine.persistent == dict.fromkeys(Family, SIMULATED_INITIAL)


settings_json = st.fixed_dictionaries(
    {
        "execution_mode": st.sampled_from(["adaptive", "inline", "worker", "fast", "", 3, None]),
        "worker_count": st.integers(-2, 20) | st.sampled_from(["4", 4.0, True, None]),
        "large_mtu": st.booleans() | st.sampled_from(["on", 1, 0, None]),
    }
)
profile_like = st.fixed_dictionaries(
    {"format": st.sampled_from([FORMAT, "other", 1]), "version": st.sampled_from([VERSION, 2, "1", 1.0])},
    optional={
        "ipv4": settings_json | json_values,
        "ipv6": settings_json,
        "note": st.text(max_size=20) | st.integers(),
        "extra": json_values,
    },
)
profile_bytes = st.binary(max_size=512) | profile_like.map(lambda v: json.dumps(v).encode())


@given(profile_bytes)
@settings(max_examples=400)
def test_any_profile_bytes_give_settings_that_round_trip_or_a_validation_error(raw: bytes) -> None:
    try:
        loaded = load_profile(raw)
    except ValidationError as exc:
        assert str(exc)  # a message for a person, naming the problem
        return
    assert loaded and all(isinstance(s, LoopbackSettings) for s in loaded.values())
    assert load_profile(dump_profile(loaded).encode()) == loaded  # what was read is exactly what is written
    data = json.loads(raw.decode("utf-8-sig"))
    for family, values in loaded.items():  # and it is what the file said, not a guess
        assert values.to_json() == data[family.value]


def test_a_profile_value_of_the_wrong_type_names_its_family() -> None:
    raw = json.dumps({"format": FORMAT, "version": VERSION, "ipv6": {"execution_mode": "inline", "worker_count": "4",
                                                                      "large_mtu": True}}).encode()  # fmt: skip
    with pytest.raises(ValidationError, match="IPv6"):
        load_profile(raw)


netsh_text = st.text(max_size=40) | st.integers(0, 2 * MAX_MESSAGE_BYTES).map(lambda n: "é" * n)


@given(netsh_text, netsh_text, st.booleans())
@settings(max_examples=60, deadline=None)
def test_any_netsh_output_is_reported_and_the_trial_still_reverts(stdout: str, stderr: str, keep: bool) -> None:
    """What netsh prints is input too: before the fix, a long output made Applied(...).encode() raise and left
    IPv4 changed."""
    app_end, helper_end = Pipe()
    with app_end, helper_end:
        netsh = Netsh()

        def chatty(argv: tuple[str, ...]) -> CommandResult:
            result = netsh(argv)
            return CommandResult(argv, result.exit_code, stdout, stderr) if argv[2] == "set" else result

        app_end.send_bytes(decision_message(keep))
        patch = SettingsPatch(execution_mode=ExecutionMode.INLINE)
        transaction = Transaction(chatty, helper_end, [(Family.IPV4, patch)], deadline_s=5, keep_store=Store.ACTIVE)
        outcome = transaction.execute()
        assert outcome is (Outcome.KEPT if keep else Outcome.REVERTED)
        if not keep:
            assert netsh.machine.active[Family.IPV4] == SIMULATED_INITIAL
        while app_end.poll(0):
            assert len(app_end.recv_bytes()) <= MAX_MESSAGE_BYTES
