"""Whether this process was started as the elevated helper: one decision for both frozen executables (no Qt, no
asyncio until the helper itself runs)."""

from __future__ import annotations

from collections.abc import Sequence

HELPER_FLAG = "--elevated-helper"


def helper_arguments(argv: Sequence[str]) -> list[str] | None:
    """The helper's own arguments when ``argv`` (without the program name) starts with the helper flag, else None."""
    args = list(argv)
    return args[1:] if args[:1] == [HELPER_FLAG] else None


def run_helper_if_asked(argv: Sequence[str]) -> int | None:
    """Run the helper and return its exit code when ``argv`` asks for it; None when this is a normal start."""
    helper_args = helper_arguments(argv)
    if helper_args is None:
        return None
    from app.elevation.helper import main as helper_main

    return helper_main(helper_args)
