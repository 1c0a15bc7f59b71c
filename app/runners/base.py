"""The one runner protocol every backend implements (its values live in the domain: app/domain/runs.py)."""

from __future__ import annotations

from typing import Protocol

from app.domain.commands import Argv
from app.domain.runs import CommandResult, NetshMissingError

__all__ = ["CommandResult", "NetshMissingError", "NetshRunner"]


class NetshRunner(Protocol):
    """Runs netsh with an argv (netsh's own arguments, without the executable)."""

    @property
    def description(self) -> str:
        """Which backend this is, for people (e.g. "netsh at C:\\Windows\\System32\\netsh.exe")."""
        ...

    def run_blocking(self, argv: Argv) -> CommandResult:
        """The same run, blocking the calling thread (the helper, the command line; never the GUI thread)."""
        ...
