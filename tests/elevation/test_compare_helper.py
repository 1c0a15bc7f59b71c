"""The comparison helper as a real process (``--compare-session``) over an authenticated channel, on the simulated
machine: configurations in turn, then kept; the app vanishing mid-comparison; arguments it refuses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from multiprocessing.connection import Listener
from pathlib import Path

import pytest

from app.domain.model import ExecutionMode, Family
from app.domain.outcomes import Outcome
from app.elevation.compare_protocol import NEXT_MESSAGE, Ready, Step, keep_message, parse_session_message
from app.elevation.helper import COMPARE_FLAG, EXIT_KEPT, EXIT_REVERTED, EXIT_USAGE
from app.elevation.launchers import ProcessLauncher
from app.elevation.protocol import Done
from app.simulator.machine import SIMULATED_INITIAL
from app.storage.machine import machine_records
from tests.conftest import SUBPROCESS_TIMEOUT_S, MakeState, machine_values

KEY = b"K" * 32
CONFIGS = ("ipv4:loopbackworkercount=8", "ipv4:loopbackexecutionmode=inline/ipv6:loopbacklargemtu=disable")


@pytest.fixture
def address() -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="lt-"))  # short: Unix socket paths are limited to ~100 bytes
    yield str(folder / "channel")
    shutil.rmtree(folder, ignore_errors=True)


def session_args(state: Path, address: str, configs: tuple[str, ...] = CONFIGS) -> list[str]:
    args = [
        COMPARE_FLAG, "--backend", "simulated", "--state", str(state), "--address", address,
        "--app-pid", str(os.getpid()), "--deadline-seconds", "30", "--keep-store", "persistent",
    ]  # fmt: skip
    for config in configs:
        args += ["--config", config]
    return args


def test_configurations_in_turn_then_one_kept(make_state: MakeState, address: str) -> None:
    state = make_state()
    with Listener(address, authkey=KEY) as listener:
        process = ProcessLauncher().launch(session_args(state.path, address), KEY)
        with listener.accept() as conn:
            ready = parse_session_message(conn.recv_bytes())
            assert isinstance(ready, Ready) and ready.ok and ready.before[Family.IPV4] == SIMULATED_INITIAL
            conn.send_bytes(NEXT_MESSAGE)
            first = parse_session_message(conn.recv_bytes())
            assert isinstance(first, Step) and (first.index, first.ok) == (0, True)
            assert machine_values(state)[0][Family.IPV4].worker_count == 8
            conn.send_bytes(NEXT_MESSAGE)
            second = parse_session_message(conn.recv_bytes())
            assert isinstance(second, Step) and (second.index, second.ok) == (1, True)
            active = machine_values(state)[0]
            assert active[Family.IPV4].execution_mode is ExecutionMode.INLINE
            assert active[Family.IPV4].worker_count == 4  # configuration 1 is whole: 0's change is gone
            assert active[Family.IPV6].large_mtu is False
            conn.send_bytes(keep_message(1))
            done = parse_session_message(conn.recv_bytes())
        assert isinstance(done, Done) and done.outcome is Outcome.KEPT
        assert process.wait(SUBPROCESS_TIMEOUT_S) == EXIT_KEPT
    saved = machine_values(state)[1]
    assert saved[Family.IPV4].execution_mode is ExecutionMode.INLINE and saved[Family.IPV6].large_mtu is False
    # The machine-wide records: the originals, read before the first set, and a history line per kept family.
    records = machine_records("simulated", state.path)
    assert records is not None
    assert {f: v for f, (v, _when) in records.read_originals().items()} == dict.fromkeys(Family, SIMULATED_INITIAL)
    assert len(records.history_path.read_text(encoding="utf-8").splitlines()) == 2


def test_the_app_vanishing_mid_comparison_puts_the_originals_back(make_state: MakeState, address: str) -> None:
    state = make_state()
    with Listener(address, authkey=KEY) as listener:
        process = ProcessLauncher().launch(session_args(state.path, address), KEY)
        with listener.accept() as conn:
            assert isinstance(parse_session_message(conn.recv_bytes()), Ready)
            conn.send_bytes(NEXT_MESSAGE)
            assert isinstance(parse_session_message(conn.recv_bytes()), Step)
            assert machine_values(state)[0][Family.IPV4].worker_count == 8
        # The channel closed (as when the app is killed): the helper puts the values it found back and exits.
        assert process.wait(SUBPROCESS_TIMEOUT_S) == EXIT_REVERTED
    assert machine_values(state) == (dict.fromkeys(Family, SIMULATED_INITIAL), dict.fromkeys(Family, SIMULATED_INITIAL))


@pytest.mark.parametrize(
    "configs",
    [
        ("ipv4:loopbackworkercount=8",),  # one configuration is not a comparison
        ("ipv4:loopbackworkercount=8", "ipv4:loopbackworkercount=17"),
        ("ipv4:loopbackworkercount=8", "ipv4:mtu=1500"),  # only the three loopback tags
        ("ipv4:loopbackworkercount=8", "ipv4:loopbackworkercount=2/ipv4:loopbacklargemtu=disable"),
        tuple(f"ipv4:loopbackworkercount={n}" for n in range(1, 10)),  # more than 8
    ],
)
def test_configurations_the_helper_refuses(make_state: MakeState, address: str, configs: tuple[str, ...]) -> None:
    state = make_state()
    argv = [
        sys.executable,
        "-I",
        "-m",
        "app.helper",
        *session_args(state.path, address, configs),
        "--authkey",
        "00" * 32,
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT_S, check=False)
    assert done.returncode == EXIT_USAGE, done.stderr
    assert done.stderr.startswith("helper: refused:")
    assert machine_values(state) == (dict.fromkeys(Family, SIMULATED_INITIAL), dict.fromkeys(Family, SIMULATED_INITIAL))
