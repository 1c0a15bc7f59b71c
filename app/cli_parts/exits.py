"""The command line's exit codes and its usage error: what the parser needs, before anything is imported."""

from __future__ import annotations

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_NETSH, EXIT_UNSUPPORTED, EXIT_ELEVATION, EXIT_BUSY, EXIT_REVERTED = range(8)
EXIT_NOT_COMPLIANT = 8  # `check` only: the machine was read and differs from the profile
EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_ERROR: "unexpected internal error",
    EXIT_USAGE: "usage or validation error (nothing was run)",
    EXIT_NETSH: "netsh failed, its output could not be recognized, or a value did not stick",
    EXIT_UNSUPPORTED: "this Windows build has no loopback settings (before 1809)",
    EXIT_ELEVATION: "administrator rights needed, or the prompt was cancelled",
    EXIT_BUSY: "another change is being tried right now",
    EXIT_REVERTED: "the trial ended without keeping the change (it was reverted)",
    EXIT_NOT_COMPLIANT: "check: the machine does not match the profile (each difference is printed)",
    # measure's own code (app/cli_parts/measure.py, EXIT_MEASURE_FAILED: kept there so measure loads nothing else)
    9: "measure: a family could not be measured (the others are still shown)",
}
# Standard output closed early (`| head`): the shell's own code for a closed pipe (128 + SIGPIPE).
EXIT_PIPE_CLOSED = 141
EXIT_CODES[EXIT_PIPE_CLOSED] = "standard output was closed before everything was written (a trial not kept reverted)"


class UsageError(Exception):
    """Bad command-line input; nothing has run."""
