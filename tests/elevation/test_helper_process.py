"""The helper as a real process: it talks only over a channel authenticated with its key."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from multiprocessing import AuthenticationError
from multiprocessing.connection import Connection, Listener
from pathlib import Path

import pytest

from app.domain.model import Family
from app.domain.outcomes import Outcome
from app.elevation.helper import EXIT_FAILED, EXIT_KEPT
from app.elevation.launchers import ProcessLauncher
from app.elevation.protocol import Applied, Done, decision_message, parse_helper_message
from app.simulator.machine import SIMULATED_INITIAL
from tests.conftest import MakeState, machine_values

KEY = b"K" * 32


@pytest.fixture
def address() -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="lt-"))  # short: Unix socket paths are limited to ~100 bytes
    yield str(folder / "channel")
    shutil.rmtree(folder, ignore_errors=True)


def helper_args(state: Path, address: str) -> list[str]:
    return [
        "--backend",
        "simulated",
        "--state",
        str(state),
        "--address",
        address,
        "--app-pid",
        str(os.getpid()),  # this test process holds the Listener
        "--deadline-seconds",
        "30",
        "--keep-store",
        "persistent",
        "--change",
        "ipv4:loopbackworkercount=8",
    ]


def test_a_helper_with_another_key_changes_nothing(make_state: MakeState, address: str) -> None:
    state = make_state()
    outcome: list[BaseException | Connection] = []
    with Listener(address, authkey=KEY) as listener:

        def accept() -> None:
            try:
                outcome.append(listener.accept())
            except (AuthenticationError, EOFError, OSError) as exc:
                outcome.append(exc)

        thread = threading.Thread(target=accept)
        thread.start()
        process = ProcessLauncher().launch(helper_args(state.path, address), b"X" * 32)
        assert process.wait(30) == EXIT_FAILED
        thread.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], AuthenticationError)
    assert machine_values(state) == (dict.fromkeys(Family, SIMULATED_INITIAL), dict.fromkeys(Family, SIMULATED_INITIAL))


def test_a_helper_with_the_right_key_applies_and_keeps(make_state: MakeState, address: str) -> None:
    state = make_state()
    with Listener(address, authkey=KEY) as listener:
        process = ProcessLauncher().launch(helper_args(state.path, address), KEY)
        with listener.accept() as conn:
            applied = parse_helper_message(conn.recv_bytes())
            assert isinstance(applied, Applied) and applied.ok
            assert machine_values(state)[0][Family.IPV4].worker_count == 8
            conn.send_bytes(decision_message(True))
            done = parse_helper_message(conn.recv_bytes())
        assert isinstance(done, Done) and done.outcome is Outcome.KEPT
        assert process.wait(30) == EXIT_KEPT
    assert machine_values(state)[1][Family.IPV4].worker_count == 8
