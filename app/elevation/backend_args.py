"""Which backend the helper is told to use: its arguments, fixed by the composition root (a light module: reading
commands need it to find the machine lock without loading the trial machinery)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HelperBackend:
    """The helper's backend arguments, fixed by the composition root (never from user text at this point)."""

    args: tuple[str, ...]
    name: str
