"""Why a netsh ``set`` failed, classified once from its exit code and output, for the helper and both faces.

The one place that looks at netsh's text to say "this needs administrator rights": everything above gets the
``SetFailure`` enum (the helper sends it to the app; the CLI maps it to an exit code; nothing searches text).
"""

from __future__ import annotations

import enum

# netsh's not-elevated message, as captured (FACTS.md; samples/error-not-elevated-en-US.txt and -de-DE.txt).
# Matched case-insensitively as a substring: the de-DE capture shows it after another sentence on the same line.
NOT_ELEVATED_MESSAGES = (
    "The requested operation requires elevation (Run as administrator).",
    "Für den angeforderten Vorgang sind erhöhte Rechte erforderlich (Als Administrator ausführen).",
)
# winerror.h ERROR_ELEVATION_REQUIRED (740). Whether netsh ever exits with it is UNCONFIRMED (FACTS.md: the
# exit code of the elevation error is unknown); if it does, it can only mean this, whatever the text says.
ERROR_ELEVATION_REQUIRED = 740


class SetFailure(enum.StrEnum):
    """Why a change could not be applied, as far as the helper can tell; "" is never a value."""

    NEEDS_ELEVATION = "needs-elevation"  # the process running netsh has no administrator rights
    NETSH_FAILED = "netsh-failed"  # any other failure: non-zero exit, time-out, netsh missing


def classify_set_failure(exit_code: int | None, output: str) -> SetFailure | None:
    """How a ``set`` run ended: None when it succeeded, else the typed reason.

    netsh's exit code for the elevation error is UNCONFIRMED (FACTS.md), so this is right for every plausible
    answer: the known message means NEEDS_ELEVATION whatever the code (1, 5, 740, another, even 0: a run that
    printed it changed nothing, so it is never a success); code 740 means it with any text (a translation we
    have not seen); any other non-zero code, or no code (killed, never started), is NETSH_FAILED. A run on a
    display language whose message we do not know, with an exit code other than 740, stays NETSH_FAILED: the
    user still sees netsh's own words, only the exit code is the generic one.
    """
    folded = output.casefold()
    if exit_code == ERROR_ELEVATION_REQUIRED or any(m.casefold() in folded for m in NOT_ELEVATED_MESSAGES):
        return SetFailure.NEEDS_ELEVATION
    if exit_code == 0:
        return None
    return SetFailure.NETSH_FAILED
