"""What one ``show global`` run means: settings, or a typed reason why not (the parser's answer and the build rule).

Below the use cases, so the elevated helper's before-read and the app's reads decide it the same way.
"""

from __future__ import annotations

from app.domain.errors import NoLoopbackRowsError, UnrecognizedOutputError
from app.domain.model import ReadFailure, Reading, ReadProblem
from app.domain.parser import parse_show_global
from app.domain.read_plan import FIRST_BUILD_WITH_LOOPBACK, build_may_have_loopback
from app.domain.runs import CommandResult
from app.language_data import known_languages


def unsupported_build(build: int | None, raw: str = "") -> ReadFailure | None:
    """The one place that says "this Windows build does not have the loopback settings": only from a build
    number known to be older than 17763. An unknown build (None) is never called unsupported."""
    if build_may_have_loopback(build):
        return None
    return ReadFailure(
        ReadProblem.UNSUPPORTED,
        f"This Windows build ({build}) does not have the loopback settings (they arrived with build "
        f"{FIRST_BUILD_WITH_LOOPBACK}, Windows 10 1809 / Server 2019)",
        raw,
        build,
    )


def reading_from(result: CommandResult, build: int | None = None) -> Reading:
    """Settings from one ``show global`` run, or why not (never raises for netsh's behaviour).

    ``build`` is the Windows build number (None: unknown). Output without loopback rows is "unrecognized" with
    the raw text unless the build itself is older than 17763; an old build is "unsupported" whatever netsh said.
    """
    too_old = unsupported_build(build, result.output)
    if too_old is not None:
        return too_old
    if not result.ok:
        return ReadFailure(ReadProblem.NETSH_FAILED, result.describe_failure(), result.output, build)
    try:
        return parse_show_global(result.stdout, known_languages())
    except NoLoopbackRowsError as exc:
        known = "the Windows build is not known" if build is None else f"build {build} has the loopback settings"
        return ReadFailure(
            ReadProblem.UNRECOGNIZED,
            f"{exc} ({known}, so this output is not in a form this version can read)",
            exc.raw,
            build,
        )
    except UnrecognizedOutputError as exc:
        return ReadFailure(ReadProblem.UNRECOGNIZED, str(exc), exc.raw, build)
