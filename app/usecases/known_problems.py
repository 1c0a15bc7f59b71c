"""The known problems of a machine's loopback values (the BBR2 and large MTU interaction), each with its fix: for
the window's warnings, which are checked after every read (so this module is small: the rest of the help-desk use
cases are imported when first used, issue 16) and the command line's report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.domain.interactions import BBR2_WARNING, ProblemKind, bbr2_large_mtu_risk
from app.domain.model import Family, LoopbackSettings

if TYPE_CHECKING:
    from app.domain.machine_facts import MachineInfo


@dataclass(frozen=True)
class KnownProblem:
    """A known-interaction warning with its one-click fix (values to fill in as pending edits)."""

    kind: ProblemKind
    text: str
    fix_label: str
    fix: dict[Family, LoopbackSettings] = field(default_factory=dict)


def known_problems(
    info: MachineInfo | None,
    providers: Mapping[str, str],
    active: Mapping[Family, LoopbackSettings],
    base: Mapping[Family, LoopbackSettings] | None = None,
) -> tuple[KnownProblem, ...]:
    """The known problems of the machine's ``active`` values; each fix starts from ``base`` (the pending edits,
    where the window has some) or else the active values."""
    build = info.build if info else None
    if not bbr2_large_mtu_risk(build, providers, active):
        return ()
    start = dict(active) | dict(base or {})
    fix = {f: LoopbackSettings(s.execution_mode, s.worker_count, False) for f, s in start.items()}
    return (KnownProblem(ProblemKind.BBR2_LARGE_MTU, BBR2_WARNING, "Turn large MTU off for both families", fix),)
