"""``loopback-tuner-cli compare`` on the simulated machine: a short real comparison, its JSON, the rule that the
simulated machine never keeps a "winner", and the options it refuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.domain.model import Family
from app.simulator.machine import SIMULATED_INITIAL
from app.simulator.profile import UacAnswer
from app.storage.history import History
from tests.conftest import MakeState, RunCli, machine_values

SHORT = ("--family", "ipv4", "--with", "current,latency", "--seconds", "0.1", "--rounds", "1")


def test_a_short_comparison_keeps_the_originals_on_the_simulated_machine(
    run_cli: RunCli, make_state: MakeState
) -> None:
    state = make_state(elevated=True)
    done = run_cli("--backend", "simulated", "--state", str(state.path), "compare", *SHORT, "--keep", "best", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["simulated"] is True and "simulated settings do not change it" in data["caveat"]
    assert [c["label"] for c in data["configurations"]] == ["current", "latency"]
    assert data["configurations"][1]["settings"]["ipv4"]["execution_mode"] == "inline"
    assert data["configurations"][0]["families"]["ipv4"]["latency_us"]["p50"]["runs"] == 1
    assert data["recommendation"]["best"] is None and data["kept"] is None
    assert data["outcome"] == "reverted" and data["goal"] == "balanced"
    assert machine_values(state) == (dict.fromkeys(Family, SIMULATED_INITIAL), dict.fromkeys(Family, SIMULATED_INITIAL))


def test_the_text_says_what_was_kept_and_why(run_cli: RunCli, make_state: MakeState) -> None:
    state = make_state(elevated=True)
    done = run_cli("--backend", "simulated", "--state", str(state.path), "compare", *SHORT, "--keep", "none")
    assert done.returncode == 0, done.stderr
    assert "Note: simulated machine" in done.stdout
    assert "Recommendation: nothing is recommended" in done.stdout
    assert "The original values are back (reverted: asked)." in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "compare needs --keep best or --keep none when it cannot ask (no terminal)"),
        (("--keep", "best", "--with", "current,fastest"), "--with takes current, latency, throughput, balanced"),
        (("--keep", "best", "--config", "mode=turbo"), "--config 'mode=turbo'"),
        (("--keep", "best", "--config", "mtu=maybe"), "--config takes mode=..., workers=... and mtu=on|off"),
        (("--keep", "best", "--with", "current"), "nothing to compare"),
        (("--keep", "best", "--rounds", "11"), "--rounds 1 to 10"),
        (("--keep", "always"), "argument --keep: invalid choice"),
    ],
)
def test_options_compare_refuses_exit_2(run_cli: RunCli, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    done = run_cli("--backend", "simulated", "--state", str(tmp_path / "s.json"), "compare", *args)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("loopback-tuner-cli: error:") and message in done.stderr


def test_a_cancelled_prompt_exits_5_and_changes_nothing(run_cli: RunCli, make_state: MakeState) -> None:
    state = make_state(elevated=False, uac=UacAnswer.CANCEL)
    done = run_cli("--backend", "simulated", "--state", str(state.path), "compare", *SHORT, "--keep", "best")
    assert done.returncode == 5, done.stderr
    assert machine_values(state) == (dict.fromkeys(Family, SIMULATED_INITIAL), dict.fromkeys(Family, SIMULATED_INITIAL))


def test_a_stopped_comparison_exits_7(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], make_state: MakeState
) -> None:
    from app import cli
    from app.usecases import compare as compare_usecase

    def stopped(*_args: object, **_kwargs: object) -> object:
        raise compare_usecase.ComparisonCancelledError("Stopped: the helper puts the original values back.")

    monkeypatch.setattr(compare_usecase, "compare", stopped)
    state = make_state(elevated=True)
    assert cli.main(["--backend", "simulated", "--state", str(state.path), "compare", *SHORT, "--keep", "best"]) == 7
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "loopback-tuner-cli: error: Stopped: the helper puts the original values back."
    )


@pytest.mark.parametrize(
    ("error", "code"),
    [
        ("app.elevation.launchers:AdminTerminalRequiredError", 5),  # fell through to 3 before one mapping was shared
        ("app.elevation.launchers:HelperStartError", 5),
        ("app.elevation.session:TransactionBusyError", 6),
        ("app.elevation.session:HelperError", 3),
    ],
)
def test_a_transaction_error_gets_the_same_code_as_for_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], make_state: MakeState, error: str, code: int
) -> None:
    import importlib

    from app import cli
    from app.usecases import compare as compare_usecase

    module, name = error.split(":")
    raised = getattr(importlib.import_module(module), name)

    def failing(*_args: object, **_kwargs: object) -> object:
        raise raised("it went wrong")

    monkeypatch.setattr(compare_usecase, "compare", failing)
    state = make_state(elevated=True)
    assert cli.main(["--backend", "simulated", "--state", str(state.path), "compare", *SHORT, "--keep", "best"]) == code
    assert capsys.readouterr().err.strip().splitlines()[-1] == "loopback-tuner-cli: error: it went wrong"


def test_the_progress_lines_name_each_step_and_the_time_left(run_cli: RunCli, make_state: MakeState) -> None:
    state = make_state(elevated=True)
    done = run_cli("--backend", "simulated", "--state", str(state.path), "compare", *SHORT, "--keep", "none")
    assert done.returncode == 0, done.stderr
    steps = [line for line in done.stderr.splitlines() if line.startswith("  round ")]
    assert [line.split(",")[0] for line in steps] == [
        "  round 1 of 1: configuration 1 (current)",
        "  round 1 of 1: configuration 2 (latency)",
    ]
    assert all(line.endswith(" s left") for line in steps)  # one line per step, never one per stage


def test_a_comparison_waits_for_no_one_while_another_change_is_tried_exit_6(
    run_cli: RunCli, make_state: MakeState, paths: Any
) -> None:
    from app.storage.files import InterProcessLock

    state = make_state(elevated=True)
    with InterProcessLock(paths.transaction_lock).hold():  # a trial in another window holds the machine
        done = run_cli("--backend", "simulated", "--state", str(state.path), "compare", *SHORT, "--keep", "none")
    assert done.returncode == 6 and "finish it there first" in done.stderr
    assert History(paths.history).load()[0] == []  # nothing started: nothing recorded
