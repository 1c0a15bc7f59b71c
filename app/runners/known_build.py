"""A NetshRunner that also says which Windows build it runs against, so a read can decide "unsupported" once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from app.domain.commands import Argv
from app.domain.runs import CommandResult
from app.runners.base import NetshRunner

# The build number now, or None when it cannot be known. Cheap by contract (a system call, or a small local
# file): reads ask it on their own thread, before running netsh.
BuildSource = Callable[[], int | None]


@runtime_checkable
class KnowsWindowsBuild(Protocol):
    """A runner that can say the Windows build behind it (None: unknown, e.g. a custom netsh off Windows)."""

    def windows_build(self) -> int | None: ...


class KnownBuildRunner:
    """Passes every call through to ``inner``; ``windows_build()`` asks ``build``."""

    def __init__(self, inner: NetshRunner, build: BuildSource) -> None:
        self.inner = inner
        self._build = build

    @property
    def description(self) -> str:
        return self.inner.description

    def run_blocking(self, argv: Argv) -> CommandResult:
        return self.inner.run_blocking(argv)

    def windows_build(self) -> int | None:
        return self._build()
