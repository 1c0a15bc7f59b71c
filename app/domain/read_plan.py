"""What a read of the machine runs, in plain strings: no value classes, no dataclasses, so the command line can start
a read's netsh runs before it has imported the rest of the domain (issue 16, make bench's figure 3).

app/domain/commands.py builds every netsh argv from typed values through ``show_global_argv`` here; the words below
are the values of app/domain/model.py's ``Family`` and ``Store`` (tests/domain/test_read_plan.py holds them equal).
"""

from __future__ import annotations

from collections.abc import Sequence

FIRST_BUILD_WITH_LOOPBACK = 17763  # Windows 10 1809 / Server 2019: the first build with the loopback settings

FAMILY_WORDS = ("ipv4", "ipv6")  # Family's values, in its order
STORE_WORDS = ("active", "persistent")  # Store's values, in the order a read runs them


def build_may_have_loopback(build: int | None) -> bool:
    """False only for a build number known to be older than 17763; an unknown build (None) may have them."""
    return build is None or build >= FIRST_BUILD_WITH_LOOPBACK


def show_global_argv(family: str, store: str) -> tuple[str, ...]:
    """netsh arguments (without the executable) that print ``family``'s global parameters from ``store``."""
    return ("interface", family, "show", "global", f"store={store}")


def read_argvs(families: Sequence[str] = FAMILY_WORDS) -> list[tuple[str, ...]]:
    """Every ``show global`` a read of ``families`` runs: each family's active store, then its persistent one."""
    return [show_global_argv(family, store) for family in families for store in STORE_WORDS]
