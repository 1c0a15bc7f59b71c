"""The one decision both frozen executables make first: run as the elevated helper only when the first argument
is the helper flag, and then hand the helper exactly the rest."""

from __future__ import annotations

import pytest

from app.elevation import entry, helper
from app.elevation.entry import HELPER_FLAG, helper_arguments, run_helper_if_asked


def test_the_flag_is_the_documented_one_and_only_counts_first() -> None:
    assert HELPER_FLAG == "--elevated-helper"
    assert helper_arguments(["--elevated-helper", "--backend", "x"]) == ["--backend", "x"]
    assert helper_arguments(["--elevated-helper"]) == []
    assert helper_arguments(["--backend", "--elevated-helper"]) is None
    assert helper_arguments([]) is None
    assert helper_arguments(["--ELEVATED-HELPER"]) is None


def test_a_normal_start_runs_no_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(helper, "main", lambda args: pytest.fail("the helper must not run"))
    assert run_helper_if_asked(["--backend", "simulated"]) is None


def test_a_helper_start_returns_the_helpers_exit_code_for_its_own_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(helper, "main", lambda args: seen.append(args) or 6)
    assert entry.run_helper_if_asked(("--elevated-helper", "--a", "b")) == 6
    assert seen == [["--a", "b"]]
