"""The command builder: exact argv lists, the display form, and the helper's strict parser."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.commands import commands_for, display, parse_set_global, set_global, show_global
from app.domain.errors import ValidationError
from app.domain.model import Change, ExecutionMode, Family, FamilyChange, LoopbackSettings, SettingsPatch, Store

BASE = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)


def test_show_global_argv() -> None:
    assert show_global(Family.IPV4) == ("interface", "ipv4", "show", "global", "store=active")
    assert show_global(Family.IPV6, Store.PERSISTENT) == ("interface", "ipv6", "show", "global", "store=persistent")


MODE_TAG = "loopbackexecutionmode=inline"
COUNT_TAG = "loopbackworkercount=16"
MTU_TAG = "loopbacklargemtu=disable"


@pytest.mark.parametrize(
    ("fields", "tags"),
    [
        ({"execution_mode": ExecutionMode.INLINE}, [MODE_TAG]),
        ({"worker_count": 16}, [COUNT_TAG]),
        ({"large_mtu": False}, [MTU_TAG]),
        ({"execution_mode": ExecutionMode.INLINE, "worker_count": 16}, [MODE_TAG, COUNT_TAG]),
        ({"execution_mode": ExecutionMode.INLINE, "large_mtu": False}, [MODE_TAG, MTU_TAG]),
        ({"worker_count": 16, "large_mtu": False}, [COUNT_TAG, MTU_TAG]),
        (
            {"execution_mode": ExecutionMode.INLINE, "worker_count": 16, "large_mtu": False},
            [MODE_TAG, COUNT_TAG, MTU_TAG],
        ),
    ],
)
@pytest.mark.parametrize("store", list(Store))
@pytest.mark.parametrize("family", list(Family))
def test_set_global_argv_for_each_field_combination(
    fields: dict[str, object], tags: list[str], store: Store, family: Family
) -> None:
    argv = set_global(family, SettingsPatch(**fields), store)  # type: ignore[arg-type]
    assert argv == ("interface", family.value, "set", "global", *tags, f"store={store.value}")


def test_large_mtu_on_is_the_full_word_enable() -> None:
    assert set_global(Family.IPV4, SettingsPatch(large_mtu=True), Store.ACTIVE)[4] == "loopbacklargemtu=enable"


@pytest.mark.parametrize("mode", list(ExecutionMode))
def test_every_mode_is_written_in_full(mode: ExecutionMode) -> None:
    assert set_global(Family.IPV6, SettingsPatch(mode), Store.ACTIVE)[4] == f"loopbackexecutionmode={mode.value}"


def test_empty_patch_is_refused() -> None:
    with pytest.raises(ValidationError, match="nothing to change"):
        set_global(Family.IPV4, SettingsPatch(), Store.ACTIVE)


def test_commands_for_carries_only_changed_tags_per_changed_family() -> None:
    change = Change(
        (
            FamilyChange(Family.IPV6, BASE, LoopbackSettings(ExecutionMode.ADAPTIVE, 4, False)),
            FamilyChange(Family.IPV4, BASE, LoopbackSettings(ExecutionMode.WORKER, 2, True)),
        )
    )
    assert commands_for(change, Store.PERSISTENT) == [
        (
            "interface",
            "ipv4",
            "set",
            "global",
            "loopbackexecutionmode=worker",
            "loopbackworkercount=2",
            "store=persistent",
        ),
        ("interface", "ipv6", "set", "global", "loopbacklargemtu=disable", "store=persistent"),
    ]


def test_commands_for_skips_unchanged_families() -> None:
    change = Change(
        (
            FamilyChange(Family.IPV4, BASE, BASE),
            FamilyChange(Family.IPV6, BASE, LoopbackSettings(ExecutionMode.INLINE, 4, True)),
        )
    )
    assert commands_for(change, Store.ACTIVE) == [
        ("interface", "ipv6", "set", "global", "loopbackexecutionmode=inline", "store=active")
    ]
    assert commands_for(Change(), Store.ACTIVE) == []


def test_display_is_what_a_person_types() -> None:
    argv = set_global(Family.IPV4, SettingsPatch(ExecutionMode.INLINE, 2), Store.PERSISTENT)
    assert display(argv) == (
        "netsh interface ipv4 set global loopbackexecutionmode=inline loopbackworkercount=2 store=persistent"
    )


def test_display_quotes_only_for_display() -> None:
    argv = show_global(Family.IPV4)
    assert display(argv, r"C:\Program Files\Tools\netsh.exe") == (
        r'"C:\Program Files\Tools\netsh.exe" interface ipv4 show global store=active'
    )
    assert display(["a b", 'say "hi"', ""]) == r'netsh "a b" "say \"hi\"" ""'


# --- parse_set_global: the helper's gate ---

patches = st.builds(
    SettingsPatch,
    st.none() | st.sampled_from(list(ExecutionMode)),
    st.none() | st.integers(1, 16),
    st.none() | st.booleans(),
).filter(lambda p: not p.is_empty)


@given(st.sampled_from(list(Family)), patches, st.sampled_from(list(Store)))
def test_parse_set_global_round_trips(family: Family, patch: SettingsPatch, store: Store) -> None:
    assert parse_set_global(set_global(family, patch, store)) == (family, patch, store)


def _canonical(argv: list[str]) -> tuple[list[str], list[str], str]:
    return argv[:4], sorted(argv[4:-1]), argv[-1]


def _argv(*tags: str) -> list[str]:
    return ["interface", "ipv4", "set", "global", *tags]


@pytest.mark.parametrize(
    "argv",
    [
        _argv("mtu=1500", "store=active"),
        _argv("loopbackworkercount=4", "defaultcurhoplimit=64", "store=active"),
        _argv("store=active"),  # nothing to change
        _argv("loopbackworkercount=4"),  # no store
        _argv("loopbackworkercount=4", "store=active", "store=active"),
        _argv("loopbackworkercount=4", "store=everywhere"),
        _argv("loopbackworkercount=4", "store="),
        _argv("loopbackworkercount=0", "store=active"),
        _argv("loopbackworkercount=17", "store=active"),
        _argv("loopbackworkercount=4 ", "store=active"),
        _argv("loopbackworkercount= 4", "store=active"),
        _argv("loopbackworkercount=+4", "store=active"),
        _argv("loopbackworkercount=004", "store=active"),
        _argv("loopbackworkercount=04", "store=active"),
        _argv("loopbackworkercount=\u00b2", "store=active"),  # a digit to str.isdigit, not to int()
        _argv("loopbackworkercount=\uff14", "store=active"),  # full-width 4
        _argv("loopbackworkercount=4;calc", "store=active"),
        _argv("loopbackworkercount=4", ";", "store=active"),
        _argv("loopbackworkercount=4", "&", "store=active"),
        _argv("loopbackworkercount=4", "&&", "calc", "store=active"),
        _argv("loopbackworkercount=4", "|", "store=active"),
        _argv("loopbackexecutionmode=inline&calc", "store=active"),
        _argv("loopbackexecutionmode=inline;", "store=active"),
        _argv("loopbackexecutionmode=$(whoami)", "store=active"),
        _argv("loopbackexecutionmode=`id`", "store=active"),
        _argv("loopbackexecutionmode=fast", "store=active"),
        _argv("loopbackexecutionmode=INLINE", "store=active"),
        _argv("loopbackexecutionmode= inline", "store=active"),
        _argv("loopbackexecutionmode=inl", "store=active"),
        _argv("loopbacklargemtu=enabled", "store=active"),
        _argv("loopbacklargemtu=on", "store=active"),
        _argv("loopbacklargemtu=enable|calc", "store=active"),
        _argv("loopbackworkercount=4", "loopbackworkercount=5", "store=active"),
        _argv("extra", "loopbackworkercount=4", "store=active"),
        _argv("loopbackworkercount=4", "extra", "store=active"),
        _argv("store=active", "loopbackworkercount=4"),
        _argv("loopbackworkercount", "store=active"),
        _argv("LOOPBACKWORKERCOUNT=4", "store=active"),
        ["netsh", "interface", "ipv4", "set", "global", "loopbackworkercount=4", "store=active"],
        ["interface", "tcp", "set", "global", "loopbackworkercount=4", "store=active"],
        ["interface", "IPV4", "set", "global", "loopbackworkercount=4", "store=active"],
        ["interface", "ipv4", "show", "global", "loopbackworkercount=4", "store=active"],
        ["int", "ipv4", "set", "global", "loopbackworkercount=4", "store=active"],
        ["interface", "ipv4", "set", "gl", "loopbackworkercount=4", "store=active"],
        [],
    ],
)
def test_parse_set_global_rejects(argv: list[str]) -> None:
    with pytest.raises(ValidationError):
        parse_set_global(argv)


def test_parse_set_global_error_messages_are_for_people() -> None:
    with pytest.raises(ValidationError, match="worker count must be 1 to 16, got 17"):
        parse_set_global(_argv("loopbackworkercount=17", "store=active"))
    with pytest.raises(ValidationError, match="'mtu' is not a loopback setting"):
        parse_set_global(_argv("mtu=1500", "store=active"))


@given(st.lists(st.text(max_size=30), max_size=8))
def test_parse_set_global_only_raises_validation_error(argv: list[str]) -> None:
    try:
        family, patch, store = parse_set_global(argv)
    except ValidationError:
        return
    # Whatever it accepts is what the builder makes from typed values (tags in any order).
    assert _canonical(list(set_global(family, patch, store))) == _canonical(argv)


@given(
    st.lists(
        st.sampled_from(
            [
                "interface",
                "ipv4",
                "ipv6",
                "set",
                "global",
                "store=active",
                "store=persistent",
                "loopbackworkercount=4",
                "loopbackworkercount=16",
                "loopbackexecutionmode=worker",
                "loopbacklargemtu=enable",
                "loopbacklargemtu=disable",
                ";",
                "&",
                "",
            ]
        ),
        max_size=9,
    )
)
def test_parse_set_global_accepts_only_builder_output(argv: list[str]) -> None:
    try:
        family, patch, store = parse_set_global(argv)
    except ValidationError:
        return
    assert _canonical(list(set_global(family, patch, store))) == _canonical(argv)


def test_every_permutation_of_tags_is_accepted_as_long_as_store_is_last() -> None:
    tags = ["loopbackexecutionmode=worker", "loopbackworkercount=3", "loopbacklargemtu=enable"]
    for order in itertools.permutations(tags):
        family, patch, store = parse_set_global(_argv(*order, "store=persistent"))
        assert (family, patch, store) == (Family.IPV4, SettingsPatch(ExecutionMode.WORKER, 3, True), Store.PERSISTENT)


def test_display_quotes_exactly_as_subprocess_list2cmdline_does() -> None:
    """display() writes the Microsoft C runtime's quoting itself (no subprocess import on the window's first read):
    the same text as the standard library's rule, for spaces, tabs, quotation marks, backslashes and empty args."""
    import random
    import subprocess

    cases = [
        [],
        [""],
        ["a b"],
        ['say "hi"'],
        ["C:\\Program Files\\x\\"],
        ["trailing\\\\"],
        ['back\\"slash'],
        ["\\\\server\\share"],
        ["tab\there"],
        ['"'],
        ["\\"],
        ['a\\\\"b c'],
    ]
    rng = random.Random(20261206)
    alphabet = ["a", "b", "\\", '"', " ", "\t", "\u00e9"]
    cases += [["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))) for _ in range(3)] for _ in range(3000)]
    for argv in cases:
        assert display(argv, executable="C:\\Tools\\my netsh.exe") == subprocess.list2cmdline(
            ["C:\\Tools\\my netsh.exe", *argv]
        ), argv
