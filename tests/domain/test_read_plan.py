"""A read's commands in plain strings (app/domain/read_plan.py), for the early start: the same as the typed ones."""

from __future__ import annotations

import pytest

from app.domain.commands import machine_read, show_global
from app.domain.model import Family, Store
from app.domain.read_plan import (
    FAMILY_WORDS,
    FIRST_BUILD_WITH_LOOPBACK,
    STORE_WORDS,
    build_may_have_loopback,
    read_argvs,
)


def test_the_words_are_the_value_classes_values() -> None:
    assert tuple(family.value for family in Family) == FAMILY_WORDS
    assert set(STORE_WORDS) == {store.value for store in Store} and STORE_WORDS[0] == Store.ACTIVE.value


def test_the_plain_read_is_the_typed_read() -> None:
    assert (
        read_argvs()
        == machine_read()
        == [
            ("interface", "ipv4", "show", "global", "store=active"),
            ("interface", "ipv4", "show", "global", "store=persistent"),
            ("interface", "ipv6", "show", "global", "store=active"),
            ("interface", "ipv6", "show", "global", "store=persistent"),
        ]
    )
    assert read_argvs(["ipv6"]) == machine_read([Family.IPV6])
    assert show_global(Family.IPV6, Store.PERSISTENT) == ("interface", "ipv6", "show", "global", "store=persistent")


@pytest.mark.parametrize(
    ("build", "expected"),
    [(None, True), (FIRST_BUILD_WITH_LOOPBACK, True), (FIRST_BUILD_WITH_LOOPBACK - 1, False), (22631, True)],
)
def test_which_builds_may_have_the_loopback_settings(build: int | None, expected: bool) -> None:
    assert build_may_have_loopback(build) is expected
