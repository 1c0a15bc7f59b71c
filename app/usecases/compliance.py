"""Compliance: read the machine and compare it with a profile file (``check``; the detection scripts call it)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.domain.compliance import Compliance, Verdict, compare
from app.domain.errors import ValidationError
from app.domain.model import Family, LoopbackSettings, Store
from app.usecases.endings import Ending, problem_ending
from app.usecases.helpdesk import ProfileError, read_profile
from app.usecases.reading import MachineReader, ReadResult


def load_profile_path(path: Path) -> dict[Family, LoopbackSettings]:
    """The profile in ``path``, validated completely (the one profile reader, app/usecases/helpdesk.py); raises
    ValidationError naming the file and the problem."""
    try:
        return read_profile(path)
    except ProfileError as exc:
        raise ValidationError(str(exc)) from None


@dataclass(frozen=True)
class ComplianceCheck:
    """What was read, and how it compares with the profile."""

    read: ReadResult
    compliance: Compliance

    @property
    def verdict(self) -> Verdict:
        return self.compliance.verdict

    def read_endings(self) -> list[Ending]:
        """How the reads that failed ended, one per unreadable family and store (empty when all were read)."""
        return [problem_ending(u.failure.problem) for u in self.compliance.unreadable]


def check_compliance(
    reader: MachineReader, profile: dict[Family, LoopbackSettings], stores: Iterable[Store]
) -> ComplianceCheck:
    """Read the machine once (unelevated: reading needs no rights) and compare ``stores`` with ``profile``."""
    result = reader.read()
    return ComplianceCheck(result, compare(result.state, profile, stores))
