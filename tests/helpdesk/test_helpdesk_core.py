"""Pure help-desk pieces: presets, profile files, the defaults table, the BBR2 rule, the report."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.defaults import lookup, parse_defaults
from app.domain.errors import ValidationError
from app.domain.interactions import bbr2_large_mtu_risk
from app.domain.machine_facts import MachineInfo, parse_congestion_json
from app.domain.model import (
    Change,
    ExecutionMode,
    Family,
    FamilyChange,
    FamilyState,
    LoopbackSettings,
    MachineState,
    ReadFailure,
    ReadProblem,
)
from app.domain.presets import PRESETS, PresetId, preset, worker_count_for
from app.domain.profile_file import MAX_BYTES, dump_profile, load_profile
from app.resources import resource_path
from app.usecases.report import ReportInput, build_report

S = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)


def test_presets_fill_the_values_they_promise() -> None:
    latency = preset(PresetId.LATENCY).settings(LoopbackSettings(ExecutionMode.WORKER, 7, False), 8)
    assert latency == LoopbackSettings(ExecutionMode.INLINE, 7, True)  # count kept: no effect inline
    assert preset("throughput").settings(S, 8) == LoopbackSettings(ExecutionMode.WORKER, 8, True)
    assert preset("balanced").settings(S, 64) == LoopbackSettings(ExecutionMode.ADAPTIVE, 16, True)
    assert all(len(p.why) > 40 for p in PRESETS)
    with pytest.raises(ValueError):
        preset("fastest")


@pytest.mark.parametrize(("cpus", "expected"), [(None, 4), (0, 4), (1, 1), (12, 12), (128, 16)])
def test_worker_count_stays_in_range(cpus: int | None, expected: int) -> None:
    assert worker_count_for(cpus) == expected


def test_profile_round_trip() -> None:
    values = {Family.IPV4: S, Family.IPV6: LoopbackSettings(ExecutionMode.INLINE, 2, False)}
    assert load_profile(dump_profile(values, note="x").encode()) == values
    assert load_profile(dump_profile({Family.IPV6: S}).encode()) == {Family.IPV6: S}


def _profile(**extra: object) -> bytes:
    data: dict[str, object] = {"format": "loopback-tuner-profile", "version": 1, "ipv4": S.to_json()}
    data.update(extra)
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\x00\x01binary", "binary"),
        (b"\xff\xfe\xfa", "not UTF-8"),
        (b"{not json", "not valid JSON"),
        (b"[]", "JSON object"),
        (json.dumps({"format": "other", "version": 1}).encode(), "not a Loopback Tuner profile"),
        (_profile(version=2), "unsupported profile version"),
        (_profile(extra=True), "unknown key 'extra'"),
        (_profile(ipv4={"execution_mode": "inline", "worker_count": 17, "large_mtu": True}), "1 to 16, got 17"),
        (_profile(ipv4={"execution_mode": "fast", "worker_count": 4, "large_mtu": True}), "adaptive, inline or worker"),
        (_profile(ipv4={"execution_mode": "inline", "worker_count": "4", "large_mtu": True}), "whole number"),
        (_profile(ipv4={"execution_mode": "inline", "worker_count": 4, "large_mtu": 1}), "true or false"),
        (_profile(ipv4={"execution_mode": "inline", "worker_count": 4}), "missing setting"),
        (_profile(note=5), "note must be text"),
        (json.dumps({"format": "loopback-tuner-profile", "version": 1}).encode(), "neither ipv4 nor ipv6"),
        (b" " * (MAX_BYTES + 1), "too large"),
    ],
)
def test_bad_profiles_are_refused_with_a_clear_message(raw: bytes, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        load_profile(raw)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_any_bytes_give_a_profile_or_a_validation_error(raw: bytes) -> None:
    with contextlib.suppress(ValidationError):  # anything else propagates and fails the test
        load_profile(raw)


def test_the_shipped_defaults_table_is_valid_and_sourced() -> None:
    entries = parse_defaults(resource_path("windows_defaults.json").read_text(encoding="utf-8"))
    assert entries and all(len(e.source) >= 10 for e in entries)
    assert lookup(entries, "simulated", 22631) is not None
    assert lookup(entries, "simulated", 17134) is None  # before 1809 there is nothing to restore
    assert lookup(entries, "windows", 22631) is None  # no unverified Windows entry is shipped


def test_defaults_entries_must_name_a_source() -> None:
    table = {
        "format": "loopback-tuner-defaults",
        "version": 1,
        "entries": [{"scope": "windows", "min_build": 1, "max_build": None, "values": S.to_json(), "source": ""}],
    }
    with pytest.raises(ValidationError, match="source"):
        parse_defaults(json.dumps(table))


def test_bbr2_rule() -> None:
    active = {Family.IPV4: S, Family.IPV6: LoopbackSettings(ExecutionMode.ADAPTIVE, 4, False)}
    assert bbr2_large_mtu_risk(26100, {"Internet": "BBR2"}, active) == [Family.IPV4]
    assert bbr2_large_mtu_risk(26100, {"Internet": "CUBIC"}, active) == []
    assert bbr2_large_mtu_risk(22000, {"Internet": "BBR2"}, active) == []  # before 22H2
    assert bbr2_large_mtu_risk(None, {"Internet": "bbr2"}, active) == []


def test_congestion_json_is_parsed_without_localized_text() -> None:
    text = (
        '[{"SettingName":"Internet","CongestionProvider":"BBR2"},'
        '{"SettingName":"Compat","CongestionProvider":"NewReno"}]'
    )
    assert parse_congestion_json(text).providers == {"Internet": "BBR2", "Compat": "NewReno"}
    assert parse_congestion_json('{"SettingName":"Internet","CongestionProvider":"CUBIC"}').providers == {
        "Internet": "CUBIC"
    }
    assert parse_congestion_json("garbage").error
    assert parse_congestion_json("").error


def test_report_contains_what_a_ticket_needs() -> None:
    state = MachineState(
        {
            Family.IPV4: FamilyState(Family.IPV4, S, LoopbackSettings(ExecutionMode.INLINE, 4, True)),
            Family.IPV6: FamilyState(
                Family.IPV6,
                ReadFailure(ReadProblem.UNSUPPORTED, "no loopback settings"),
                ReadFailure(ReadProblem.UNSUPPORTED, "no loopback settings"),
            ),
        }
    )
    pending = Change((FamilyChange(Family.IPV4, S, LoopbackSettings(ExecutionMode.WORKER, 4, True)),))
    info = MachineInfo("PC-42", "Windows 11 23H2", 22631, "de-DE", False, False)
    text = build_report(ReportInput(info, state, pending, (), ["a warning"]))
    for expected in (
        "PC-42",
        "Windows 11 23H2, build 22631",
        "de-DE",
        "Running as administrator: no",
        "IPv4 now (active):",
        "adaptive, 4 workers, large MTU on",
        "IPv4 saved (persistent):",
        "inline, 4 workers",
        "cannot be read: no loopback settings",
        "IPv4 execution mode: adaptive \u2192 worker",
        "a warning",
    ):
        assert expected in text, expected
    markdown = build_report(ReportInput(info, state, pending), markdown=True)
    assert markdown.startswith("### Loopback Tuner") and "| Computer | PC-42 |" in markdown


def test_a_key_twice_is_refused_not_guessed() -> None:
    raw = b'{"format": "loopback-tuner-profile", "version": 1, "ipv4": {"execution_mode": "inline", '
    raw += b'"worker_count": 4, "large_mtu": true, "worker_count": 16}}'
    with pytest.raises(ValidationError, match="'worker_count' appears twice"):
        load_profile(raw)
