"""Exact rules of the typed core (changes, their JSON, netsh argv parsing), found missing by mutation testing:
each message is the one-line message the user sees, so a test pins it whole."""

from __future__ import annotations

import pytest

from app.domain.commands import parse_set_global, set_global
from app.domain.errors import NetshOutputError, UnrecognizedOutputError, ValidationError
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
    SettingsPatch,
    Store,
)

A = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)
B = LoopbackSettings(ExecutionMode.INLINE, 2, False)


def message(call: object, *args: object) -> str:
    with pytest.raises(ValidationError) as info:
        call(*args)  # type: ignore[operator]
    return str(info.value)


def test_settings_json_errors_name_the_type_and_the_expected_keys() -> None:
    assert message(LoopbackSettings.from_json, [1]) == "settings must be an object, got list"
    assert message(LoopbackSettings.from_json, {"speed": 1}) == (
        "unknown setting 'speed' (expected execution_mode, large_mtu, worker_count)"
    )


def test_a_change_naming_a_family_twice_is_refused() -> None:
    twice = (FamilyChange(Family.IPV4, A, B), FamilyChange(Family.IPV4, B, A))
    assert message(Change, twice) == "a change names the same family twice"


def test_change_between_takes_only_the_families_both_sides_have() -> None:
    change = Change.between({Family.IPV4: A}, {Family.IPV4: B, Family.IPV6: B})
    assert change.families == (FamilyChange(Family.IPV4, A, B),)
    assert Change.between({Family.IPV6: A}, {Family.IPV4: B}).is_empty


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ([], "a change must be an object"),
        ({"ipv5": {}}, "unknown family 'ipv5'"),
        ({"ipv4": {"before": A.to_json()}}, "ipv4: expected 'before' and 'after'"),
        ({"ipv6": []}, "ipv6: expected 'before' and 'after'"),
    ],
)
def test_change_from_json_names_what_is_wrong(data: object, text: str) -> None:
    assert message(Change.from_json, data) == text


def test_machine_state_json_lists_every_family_present_in_order_even_after_a_missing_one() -> None:
    failure = ReadFailure(ReadProblem.UNRECOGNIZED, "no loopback lines")
    only_v6 = MachineState({Family.IPV6: FamilyState(Family.IPV6, failure, A)})
    assert only_v6.to_json() == {"ipv6": {"error": "no loopback lines"}}
    assert only_v6.to_json(Store.PERSISTENT) == {"ipv6": A.to_json()}


def test_netsh_output_errors_carry_their_message_and_raw_text() -> None:
    error = UnrecognizedOutputError("odd table", "raw netsh text")
    assert (str(error), error.raw) == ("odd table", "raw netsh text")
    assert NetshOutputError("only a message").raw == ""


def test_set_global_refuses_an_empty_patch() -> None:
    assert message(set_global, Family.IPV4, SettingsPatch(), Store.ACTIVE) == "nothing to change"


@pytest.mark.parametrize(
    ("argv", "text"),
    [
        (
            ["interface", "ipv4", "show", "global", "x", "store=active"],
            "not a loopback set command: netsh interface ipv4 show global x store=active",
        ),
        (["interface", "ipx", "set", "global", "loopbacklargemtu=enable", "store=active"], "unknown family 'ipx'"),
        (
            ["interface", "ipv4", "set", "global", "loopbacklargemtu=enable", "store=both"],
            "the command must end with store=active or store=persistent",
        ),
        (
            ["interface", "ipv4", "set", "global", "loopbacklargemtu", "store=active"],
            "bad or repeated tag 'loopbacklargemtu'",
        ),
        (
            [
                "interface",
                "ipv4",
                "set",
                "global",
                "loopbacklargemtu=enable",
                "loopbacklargemtu=enable",
                "store=active",
            ],
            "bad or repeated tag 'loopbacklargemtu=enable'",
        ),
        (
            ["interface", "ipv4", "set", "global", "loopbackexecutionmode=Inline", "store=active"],
            "execution mode must be adaptive, inline or worker, got 'Inline'",
        ),
        (
            ["interface", "ipv4", "set", "global", "loopbackworkercount=04", "store=active"],
            "worker count must be 1 to 16, got '04'",
        ),
        (
            ["interface", "ipv4", "set", "global", "loopbacklargemtu=on", "store=active"],
            "large MTU must be enable or disable, got 'on'",
        ),
        (
            ["interface", "ipv4", "set", "global", "loopbackworkercount=4=4", "store=active"],
            "worker count must be 1 to 16, got '4=4'",
        ),
    ],
)
def test_parse_set_global_names_what_is_wrong(argv: list[str], text: str) -> None:
    assert message(parse_set_global, argv) == text


def test_parse_set_global_splits_a_tag_at_its_first_equals_sign() -> None:
    # rpartition would read "loopbackworkercount=4=4" as the tag "loopbackworkercount=4", an unknown one.
    argv = ["interface", "ipv4", "set", "global", "loopbackworkercount=4=4", "store=active"]
    assert "not a loopback setting" not in message(parse_set_global, argv)
