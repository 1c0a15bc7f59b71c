"""Typed values: validation messages, changes and their inverse, and strict JSON parsing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.errors import ValidationError
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
    Setting,
    SettingsPatch,
    Store,
    parse_execution_mode,
    validate_worker_count,
)

ADA, INL, WRK = ExecutionMode.ADAPTIVE, ExecutionMode.INLINE, ExecutionMode.WORKER
BASE = LoopbackSettings(ADA, 4, True)

settings_st = st.builds(LoopbackSettings, st.sampled_from(list(ExecutionMode)), st.integers(1, 16), st.booleans())


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (17, "worker count must be 1 to 16, got 17"),
        (0, "worker count must be 1 to 16, got 0"),
        (-3, "worker count must be 1 to 16, got -3"),
        ("4", "worker count must be a whole number from 1 to 16, got '4'"),
        (4.0, "worker count must be a whole number from 1 to 16, got 4.0"),
        (True, "worker count must be a whole number from 1 to 16, got True"),
        (None, "worker count must be a whole number from 1 to 16, got None"),
    ],
)
def test_worker_count_messages(value: object, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_worker_count(value)
    assert str(caught.value) == message


@pytest.mark.parametrize("value", [1, 2, 15, 16])
def test_worker_count_bounds_accepted(value: int) -> None:
    assert validate_worker_count(value) == value


def test_validation_error_is_a_value_error() -> None:
    assert issubclass(ValidationError, ValueError)


@pytest.mark.parametrize(("value", "mode"), [("inline", INL), (" Worker ", WRK), ("ADAPTIVE", ADA)])
def test_parse_execution_mode(value: str, mode: ExecutionMode) -> None:
    assert parse_execution_mode(value) is mode


@pytest.mark.parametrize("value", ["fast", "", "inl", 1, None, b"inline"])
def test_parse_execution_mode_rejects(value: object) -> None:
    with pytest.raises(ValidationError, match="execution mode must be adaptive, inline or worker"):
        parse_execution_mode(value)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (("inline", 4, True), "execution mode must be"),
        ((INL, 17, True), "worker count must be 1 to 16, got 17"),
        ((INL, 4, 1), "large MTU must be on or off, got 1"),
        ((INL, 4, "on"), "large MTU must be on or off"),
    ],
)
def test_loopback_settings_validate_on_construction(fields: tuple[object, object, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        LoopbackSettings(*fields)  # type: ignore[arg-type]


def test_settings_patch_validates() -> None:
    with pytest.raises(ValidationError, match="got 17"):
        SettingsPatch(worker_count=17)
    with pytest.raises(ValidationError, match="large MTU"):
        SettingsPatch(large_mtu=0)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="execution mode"):
        SettingsPatch(execution_mode="inline")  # type: ignore[arg-type]
    assert SettingsPatch().is_empty and not SettingsPatch(large_mtu=False).is_empty


def test_patch_items_are_in_netsh_tag_order() -> None:
    patch = SettingsPatch(WRK, 2, False)
    assert [s for s, _ in patch.items()] == [Setting.EXECUTION_MODE, Setting.WORKER_COUNT, Setting.LARGE_MTU]


def test_patch_between_holds_only_differences() -> None:
    assert SettingsPatch.between(BASE, BASE).is_empty
    assert SettingsPatch.between(BASE, LoopbackSettings(ADA, 4, False)) == SettingsPatch(large_mtu=False)
    assert SettingsPatch.between(BASE, LoopbackSettings(WRK, 2, True)) == SettingsPatch(WRK, 2)


@given(settings_st, settings_st)
def test_patch_between_applied_gives_after(before: LoopbackSettings, after: LoopbackSettings) -> None:
    assert before.with_patch(SettingsPatch.between(before, after)) == after


def test_change_between_leaves_unchanged_families_out() -> None:
    before = {Family.IPV4: BASE, Family.IPV6: BASE}
    after = {Family.IPV4: BASE, Family.IPV6: LoopbackSettings(INL, 4, True)}
    change = Change.between(before, after)
    assert [fc.family for fc in change.families] == [Family.IPV6]
    assert change.families == (FamilyChange(Family.IPV6, BASE, LoopbackSettings(INL, 4, True)),)
    assert Change.between(before, before).is_empty


def test_change_orders_families_and_refuses_duplicates() -> None:
    v6 = FamilyChange(Family.IPV6, BASE, LoopbackSettings(INL, 4, True))
    v4 = FamilyChange(Family.IPV4, BASE, LoopbackSettings(WRK, 4, True))
    assert [fc.family for fc in Change((v6, v4)).families] == [Family.IPV4, Family.IPV6]
    with pytest.raises(ValidationError, match="same family twice"):
        Change((v4, v4))


@given(settings_st, settings_st, settings_st, settings_st)
def test_inverse_undoes_a_change(
    b4: LoopbackSettings, a4: LoopbackSettings, b6: LoopbackSettings, a6: LoopbackSettings
) -> None:
    before, after = {Family.IPV4: b4, Family.IPV6: b6}, {Family.IPV4: a4, Family.IPV6: a6}
    change = Change.between(before, after)
    assert change.inverse() == Change.between(after, before)
    assert change.inverse().inverse() == change
    for fc in change.inverse().families:
        assert fc.before.with_patch(fc.patch) == before[fc.family]


def test_describe() -> None:
    change = Change(
        (
            FamilyChange(Family.IPV4, BASE, LoopbackSettings(INL, 8, True)),
            FamilyChange(Family.IPV6, BASE, LoopbackSettings(ADA, 4, False)),
        )
    )
    assert change.describe() == [
        "IPv4 execution mode: adaptive \u2192 inline",
        "IPv4 worker count: 4 \u2192 8",
        "IPv6 large MTU: on \u2192 off",
    ]
    assert change.inverse().describe()[0] == "IPv4 execution mode: inline \u2192 adaptive"
    assert BASE.describe() == "adaptive, 4 workers, large MTU on"


# --- JSON ---


def test_settings_json_shape_and_round_trip() -> None:
    assert BASE.to_json() == {"execution_mode": "adaptive", "worker_count": 4, "large_mtu": True}
    assert list(BASE.to_json()) == ["execution_mode", "worker_count", "large_mtu"]
    assert LoopbackSettings.from_json(BASE.to_json()) == BASE


GOOD = {"execution_mode": "inline", "worker_count": 4, "large_mtu": False}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "settings must be an object"),
        ({**GOOD, "extra": 1}, "unknown setting 'extra'"),
        ({"execution_mode": "inline", "worker_count": 4}, "missing setting 'large_mtu'"),
        ({**GOOD, "worker_count": True}, "worker count must be a whole number"),
        ({**GOOD, "worker_count": "4"}, "worker count must be a whole number"),
        ({**GOOD, "worker_count": 4.0}, "worker count must be a whole number"),
        ({**GOOD, "worker_count": 17}, "worker count must be 1 to 16, got 17"),
        ({**GOOD, "large_mtu": 1}, "large_mtu must be true or false"),
        ({**GOOD, "large_mtu": "true"}, "large_mtu must be true or false"),
        ({**GOOD, "execution_mode": 1}, "execution mode must be"),
        ({**GOOD, "execution_mode": "fast"}, "execution mode must be"),
    ],
)
def test_settings_from_json_is_strict(data: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        LoopbackSettings.from_json(data)


@given(settings_st, settings_st)
def test_change_json_round_trip(before: LoopbackSettings, after: LoopbackSettings) -> None:
    change = Change((FamilyChange(Family.IPV6, before, after),))
    assert Change.from_json(change.to_json()) == change


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"ipv5": {"before": GOOD, "after": GOOD}},
        {"ipv4": {"before": GOOD}},
        {"ipv4": {"before": GOOD, "after": GOOD, "x": 1}},
        {"ipv4": {"before": GOOD, "after": {**GOOD, "worker_count": True}}},
        {"ipv4": "inline"},
    ],
)
def test_change_from_json_is_strict(data: object) -> None:
    with pytest.raises(ValidationError):
        Change.from_json(data)


def test_machine_state_json_contract() -> None:
    failure = ReadFailure(ReadProblem.UNSUPPORTED, "too old", "raw")
    state = MachineState(
        {
            Family.IPV4: FamilyState(Family.IPV4, BASE, LoopbackSettings(INL, 2, False)),
            Family.IPV6: FamilyState(Family.IPV6, failure, failure),
        }
    )
    assert state.to_json() == {"ipv4": BASE.to_json(), "ipv6": {"error": "too old"}}
    assert state.to_json(Store.PERSISTENT)["ipv4"] == {
        "execution_mode": "inline",
        "worker_count": 2,
        "large_mtu": False,
    }
    assert state.settings() == {Family.IPV4: BASE}


def test_family_state_unsaved_settings() -> None:
    fs = FamilyState(Family.IPV4, LoopbackSettings(INL, 4, False), BASE)
    assert fs.unsaved_settings == (Setting.EXECUTION_MODE, Setting.LARGE_MTU)
    assert FamilyState(Family.IPV4, BASE, BASE).unsaved_settings == ()
    failure = ReadFailure(ReadProblem.NETSH_FAILED, "x")
    assert FamilyState(Family.IPV4, BASE, failure).unsaved_settings == ()
    assert FamilyState(Family.IPV4, failure, BASE).failure is failure
