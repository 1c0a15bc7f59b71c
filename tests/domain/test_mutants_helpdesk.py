"""The help-desk core's exact behaviour (profile files, the defaults table, presets, the BBR2 warning), found
missing by mutation testing (`make mutation`): each test pins one rule a silent change would break."""

from __future__ import annotations

import json

import pytest

from app.domain.defaults import DefaultsEntry, lookup, parse_defaults
from app.domain.errors import ValidationError
from app.domain.interactions import FIRST_BUILD_22H2, bbr2_large_mtu_risk
from app.domain.model import ExecutionMode, Family, LoopbackSettings
from app.domain.presets import PRESETS, PresetId, preset, worker_count_for
from app.domain.profile_file import MAX_BYTES, dump_profile, load_profile

V4 = LoopbackSettings(ExecutionMode.WORKER, 4, True)
V6 = LoopbackSettings(ExecutionMode.INLINE, 1, False)
V4_JSON = {"execution_mode": "worker", "worker_count": 4, "large_mtu": True}
V6_JSON = {"execution_mode": "inline", "worker_count": 1, "large_mtu": False}


def profile(**fields: object) -> bytes:
    data: dict[str, object] = {"format": "loopback-tuner-profile", "version": 1, **fields}
    return json.dumps(data).encode()


def refused(raw: bytes) -> str:
    with pytest.raises(ValidationError) as info:
        load_profile(raw)
    return str(info.value)


# --- the profile file --------------------------------------------------------------------------------------------


def test_dump_profile_writes_the_documented_text_byte_for_byte() -> None:
    text = dump_profile({Family.IPV6: V6, Family.IPV4: V4}, note="for the lab")
    expected = {"format": "loopback-tuner-profile", "version": 1, "note": "for the lab", "ipv4": V4_JSON}
    expected["ipv6"] = V6_JSON
    assert text == json.dumps(expected, indent=2) + "\n"
    assert list(json.loads(text)) == ["format", "version", "note", "ipv4", "ipv6"]  # families in a fixed order


def test_dump_profile_without_a_note_or_a_family_leaves_them_out() -> None:
    data = json.loads(dump_profile({Family.IPV6: V6}))
    assert data == {"format": "loopback-tuner-profile", "version": 1, "ipv6": V6_JSON}


def test_a_dumped_profile_loads_back_to_the_same_settings() -> None:
    both = {Family.IPV4: V4, Family.IPV6: V6}
    assert load_profile(dump_profile(both, note="n").encode()) == both
    assert load_profile(dump_profile({Family.IPV4: V4}).encode()) == {Family.IPV4: V4}


def test_load_profile_accepts_a_utf8_bom_a_note_and_one_family() -> None:
    raw = b"\xef\xbb\xbf" + profile(note="caf\u00e9", ipv6=V6_JSON)
    assert load_profile(raw) == {Family.IPV6: V6}


def test_the_size_limit_is_16_kib_exactly() -> None:
    base = profile(ipv4=V4_JSON, note="")
    fits = base.replace(b'"note": ""', b'"note": "' + b"a" * (MAX_BYTES - len(base)) + b'"')
    assert len(fits) == MAX_BYTES == 16 * 1024
    assert load_profile(fits) == {Family.IPV4: V4}
    too_big = fits.replace(b'"note": "', b'"note": "a')
    assert refused(too_big) == f"the file is too large for a profile ({MAX_BYTES + 1} bytes; at most {MAX_BYTES})"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"a": 1}\x00', "the file is binary, not a profile"),
        (b"\xff\xfe{}", "the file is not UTF-8 text"),
        (b'{"format": ', "the file is not valid JSON (line 1, column 12: Expecting value)"),
        (b"[1, 2]", "a profile must be a JSON object"),
        (b'{"version": 1}', 'not a Loopback Tuner profile (expected "format": "loopback-tuner-profile")'),
        (
            b'{"format": "other", "version": 1}',
            'not a Loopback Tuner profile (expected "format": "loopback-tuner-profile")',
        ),
        (b'{"format": "loopback-tuner-profile", "version": 2}', "unsupported profile version 2 (this app reads 1)"),
        (b'{"format": "loopback-tuner-profile"}', "unsupported profile version None (this app reads 1)"),
    ],
)
def test_load_profile_names_what_is_wrong(raw: bytes, message: str) -> None:
    assert refused(raw) == message


def test_a_key_given_twice_is_refused_naming_it() -> None:
    raw = b'{"format": "loopback-tuner-profile", "version": 1, "ipv4": {}, "ipv4": {}}'
    assert refused(raw) == "the key 'ipv4' appears twice in the profile"


def test_unknown_keys_are_refused_first_in_sorted_order() -> None:
    assert refused(profile(zeta=1, alpha=2, ipv4=V4_JSON)) == "unknown key 'alpha' in the profile"


def test_the_note_must_be_text() -> None:
    assert refused(profile(note=3, ipv4=V4_JSON)) == "note must be text"


def test_a_bad_family_is_named_with_its_label() -> None:
    bad = {**V6_JSON, "worker_count": 0}
    assert refused(profile(ipv4=V4_JSON, ipv6=bad)) == "IPv6: worker count must be 1 to 16, got 0"
    assert refused(profile(ipv4=[])).startswith("IPv4: settings must be an object")


def test_a_profile_without_any_family_is_refused() -> None:
    assert refused(profile(note="empty")) == "the profile has neither ipv4 nor ipv6 settings"


# --- the defaults table ------------------------------------------------------------------------------------------

SOURCE = "a capture of netsh on a clean installation"


def table(*entries: object, **top: object) -> str:
    data: dict[str, object] = {"format": "loopback-tuner-defaults", "version": 1, "entries": list(entries), **top}
    return json.dumps(data)


def entry(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {"scope": "windows", "min_build": 17763, "max_build": 19045}
    base.update(values=V4_JSON, source=SOURCE)
    base.update(fields)
    return base


def defaults_refused(text: str) -> str:
    with pytest.raises(ValidationError) as info:
        parse_defaults(text)
    return str(info.value)


def test_parse_defaults_reads_every_field_of_every_entry() -> None:
    entries = parse_defaults(table(entry(), entry(scope="simulated", min_build=22000, max_build=None, values=V6_JSON)))
    assert entries == [
        DefaultsEntry("windows", 17763, 19045, V4, SOURCE),
        DefaultsEntry("simulated", 22000, None, V6, SOURCE),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (json.dumps([]), "not a Loopback Tuner defaults table (format 1)"),
        (json.dumps({"format": "x", "version": 1, "entries": []}), "not a Loopback Tuner defaults table (format 1)"),
        (
            json.dumps({"format": "loopback-tuner-defaults", "version": 2}),
            "not a Loopback Tuner defaults table (format 1)",
        ),
        (json.dumps({"format": "loopback-tuner-defaults", "version": 1}), "the defaults table has no entries list"),
        (table(entry(), "x"), "defaults entry 1: expected scope, min_build, max_build, values and source"),
        (table({**entry(), "extra": 1}), "defaults entry 0: expected scope, min_build, max_build, values and source"),
        (table(entry(scope="linux")), "defaults entry 0: unknown scope 'linux'"),
        (table(entry(min_build="17763")), "defaults entry 0: builds must be numbers"),
        (table(entry(max_build="19045")), "defaults entry 0: builds must be numbers"),
        (table(entry(source=7)), "defaults entry 0: every entry must name its source"),
        (table(entry(source="  123456789  ")), "defaults entry 0: every entry must name its source"),
    ],
)
def test_parse_defaults_names_what_is_wrong(text: str, message: str) -> None:
    assert defaults_refused(text) == message


def test_a_source_of_ten_characters_is_enough() -> None:
    assert parse_defaults(table(entry(source="0123456789")))[0].source == "0123456789"


def test_invalid_json_is_refused_as_such() -> None:
    assert defaults_refused("{").startswith("the defaults table is not valid JSON: ")


def test_lookup_covers_builds_inclusively_within_the_scope() -> None:
    entries = parse_defaults(table(entry(), entry(scope="simulated", min_build=20000, max_build=None, values=V6_JSON)))
    windows, simulated = entries
    assert lookup(entries, "windows", 17763) is windows
    assert lookup(entries, "windows", 19045) is windows
    assert lookup(entries, "windows", 17762) is None
    assert lookup(entries, "windows", 19046) is None
    assert lookup(entries, "windows", 20000) is None  # the simulated entry is another scope
    assert lookup(entries, "simulated", 20000) is simulated
    assert lookup(entries, "simulated", 99999) is simulated  # no upper bound
    assert lookup(entries, "simulated", 19999) is None


def test_lookup_takes_the_first_entry_that_covers() -> None:
    first, second = parse_defaults(table(entry(), entry(values=V6_JSON)))
    assert lookup([first, second], "windows", 18000) is first


# --- presets -----------------------------------------------------------------------------------------------------


def test_latency_goes_inline_and_keeps_the_current_worker_count() -> None:
    current = LoopbackSettings(ExecutionMode.WORKER, 7, False)
    assert preset(PresetId.LATENCY).settings(current, 12) == LoopbackSettings(ExecutionMode.INLINE, 7, True)


def test_throughput_and_balanced_take_one_worker_per_logical_processor() -> None:
    current = LoopbackSettings(ExecutionMode.INLINE, 1, False)
    assert preset("throughput").settings(current, 6) == LoopbackSettings(ExecutionMode.WORKER, 6, True)
    assert preset("balanced").settings(current, 6) == LoopbackSettings(ExecutionMode.ADAPTIVE, 6, True)


def test_worker_count_for_stays_within_1_to_16_and_assumes_4_when_unknown() -> None:
    assert [worker_count_for(n) for n in (None, 0, 1, 2, 16, 17, 64)] == [4, 4, 1, 2, 16, 16, 16]


def test_presets_are_listed_once_each_in_order_and_an_unknown_id_is_refused() -> None:
    assert [p.id for p in PRESETS] == [PresetId.LATENCY, PresetId.THROUGHPUT, PresetId.BALANCED]
    assert all(preset(p.id) is p for p in PRESETS)
    with pytest.raises(ValueError):
        preset("fastest")


# --- the BBR2 warning --------------------------------------------------------------------------------------------

BOTH_ON = {Family.IPV4: V4, Family.IPV6: LoopbackSettings(ExecutionMode.INLINE, 1, True)}


def test_bbr2_with_large_mtu_on_22h2_or_later_warns_for_each_family_with_large_mtu() -> None:
    assert FIRST_BUILD_22H2 == 22621
    assert bbr2_large_mtu_risk(22621, {"internet": " BBR2 "}, BOTH_ON) == [Family.IPV4, Family.IPV6]
    assert bbr2_large_mtu_risk(26100, {"a": "cubic", "b": "bbr2"}, {Family.IPV4: V4, Family.IPV6: V6}) == [Family.IPV4]


def test_no_bbr2_warning_before_22h2_without_bbr2_or_without_a_build() -> None:
    assert bbr2_large_mtu_risk(22620, {"internet": "bbr2"}, BOTH_ON) == []
    assert bbr2_large_mtu_risk(None, {"internet": "bbr2"}, BOTH_ON) == []
    assert bbr2_large_mtu_risk(22621, {"internet": "cubic"}, BOTH_ON) == []
    assert bbr2_large_mtu_risk(22621, {}, BOTH_ON) == []
