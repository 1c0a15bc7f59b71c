"""`history` prints each entry's id; `history revert ID` does what *Revert this change* does in the window
(issue 13), planned by the same function (app/usecases/planning.py plan_revert)."""

from __future__ import annotations

import re

from app.domain.model import Family
from app.simulator.machine import SIMULATED_INITIAL
from tests.conftest import MakeState, RunCli, machine_values


def test_history_shows_ids_and_revert_puts_back_what_a_kept_change_replaced(
    run_cli: RunCli, make_state: MakeState
) -> None:
    state = make_state(elevated=True)
    cli = ("--state", str(state.path))
    assert run_cli(*cli, "set", "--yes", "--family", "ipv4", "--workers", "8", "--large-mtu", "off").returncode == 0
    assert run_cli(*cli, "set", "--yes", "--family", "ipv6", "--mode", "inline").returncode == 0
    listed = run_cli(*cli, "history").stdout.splitlines()
    assert len(listed) == 2 and all(
        re.match(r"[0-9a-f]{8}  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d  kept ", line) for line in listed
    )
    first = listed[0][:8]
    dry = run_cli(*cli, "history", "revert", first[:5], "--dry-run")  # a unique prefix is enough
    assert dry.returncode == 0 and "loopbackworkercount=4" in dry.stdout and "loopbacklargemtu=enable" in dry.stdout
    assert machine_values(state)[0][Family.IPV4].worker_count == 8  # a dry run changes nothing
    done = run_cli(*cli, "history", "revert", first, "--yes")
    assert done.returncode == 0, done.stderr
    active, saved = machine_values(state)
    assert active[Family.IPV4] == saved[Family.IPV4] == SIMULATED_INITIAL
    assert active[Family.IPV6].execution_mode.value == "inline"  # the other change stays


def test_revert_refuses_an_unknown_id_and_a_change_that_did_not_stay(run_cli: RunCli, make_state: MakeState) -> None:
    state = make_state(elevated=True)
    cli = ("--state", str(state.path))
    unknown = run_cli(*cli, "history", "revert", "0000ffff", "--yes")
    assert (unknown.returncode, unknown.stderr) == (
        2,
        "loopback-tuner-cli: error: no entry has an id starting with '0000ffff' (see 'history')\n",
    )
    tried = run_cli(*cli, "set", "--family", "ipv4", "--workers", "8", "--trial", "5", input="n\n")
    assert tried.returncode == 7
    ident = run_cli(*cli, "history").stdout.split()[0]
    refused = run_cli(*cli, "history", "revert", ident, "--yes")
    assert refused.returncode == 2
    assert refused.stderr.strip().endswith("only a kept change can be reverted; this one did not stay")
    assert run_cli(*cli, "history", ident).returncode == 2  # an id without 'revert' is a usage error
