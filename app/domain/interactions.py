"""Known interactions worth warning about (FACTS.md, "Known interaction worth warning about")."""

from __future__ import annotations

import enum
from collections.abc import Mapping

from app.domain.model import Family, LoopbackSettings

FIRST_BUILD_22H2 = 22621


class ProblemKind(enum.Enum):
    """A known interaction the app warns about (the window and the report name it by this, never by its text)."""

    BBR2_LARGE_MTU = "bbr2-large-mtu"


# Windows 11 22H2

BBR2_WARNING = (
    "Windows 11 22H2 and later with the BBR2 congestion provider and loopback large MTU on is reported to "
    "stall localhost connections (Steam's web helper, Gradle/JDK, local proxies). The usual fix is to "
    "turn large MTU off for both families."
)


def bbr2_rule_applies(build: int | None, providers: Mapping[str, str]) -> bool:
    """Whether this machine is one where large MTU is reported to stall localhost (Windows 11 22H2+ with BBR2)."""
    if build is None or build < FIRST_BUILD_22H2:
        return False
    return any(value.strip().casefold() == "bbr2" for value in providers.values())


def bbr2_large_mtu_risk(
    build: int | None, providers: Mapping[str, str], active: Mapping[Family, LoopbackSettings]
) -> list[Family]:
    """The families with large MTU on when the build and a BBR2 TCP setting make the stall likely (else [])."""
    if not bbr2_rule_applies(build, providers):
        return []
    return [family for family, settings in active.items() if settings.large_mtu]
