"""What one netsh run did (a value every layer passes around), and the one error a run may raise."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.domain.commands import Argv, display
from app.domain.errors import LoopbackTunerError


class NetshMissingError(LoopbackTunerError):
    """netsh (or the program standing in for it) could not be started at all."""


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What one netsh run did. A non-zero exit or a time-out is data, not an exception."""

    argv: Argv
    exit_code: int | None  # None when the process was killed at its time limit
    stdout: str
    stderr: str = ""
    duration_s: float = 0.0
    timed_out: bool = False
    # The bytes netsh wrote, before decoding (for diagnostics); None where the runner has none (e.g. a result
    # that crossed the helper's channel). Not part of equality: two runs that read the same are the same.
    raw_stdout: bytes | None = field(default=None, compare=False, repr=False)
    raw_stderr: bytes | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    @property
    def output(self) -> str:
        """stdout and stderr together, trimmed (netsh writes its errors to stdout; we look at both)."""
        return "\n".join(part.strip() for part in (self.stdout, self.stderr) if part.strip())

    @property
    def command_line(self) -> str:
        return display(self.argv)

    def describe_failure(self) -> str:
        """A one-line reason for a failed run, e.g. "netsh timed out after 10 s"."""
        if self.timed_out:
            return f"netsh did not answer within {self.duration_s:.0f} s and was stopped"
        if self.exit_code is None:  # never started (the reason is in stderr)
            return self.stderr.strip() or "netsh could not be started"
        first = next((line.strip() for line in self.output.splitlines() if line.strip()), "no output")
        return f"netsh exited with code {self.exit_code}: {first}"

    def to_json(self) -> dict[str, object]:
        return {
            "argv": list(self.argv),
            "exit_code": self.exit_code,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "duration_s": round(self.duration_s, 3),
            "timed_out": self.timed_out,
        }

    @classmethod
    def from_json(cls, data: object) -> CommandResult:
        """Parse :meth:`to_json`'s shape; raises ValueError when it does not fit."""
        if not isinstance(data, dict):
            raise ValueError("a command result must be an object")
        argv, code, out, err = data.get("argv"), data.get("exit_code"), data.get("stdout"), data.get("stderr")
        dur, timed_out = data.get("duration_s", 0.0), data.get("timed_out", False)
        if (
            not isinstance(argv, list)
            or not all(isinstance(a, str) for a in argv)
            or not (code is None or (isinstance(code, int) and not isinstance(code, bool)))
            or not isinstance(out, str)
            or not isinstance(err, str)
            or not isinstance(dur, int | float)
            or not isinstance(timed_out, bool)
        ):
            raise ValueError("malformed command result")
        return cls(tuple(argv), code, out, err, float(dur), timed_out)
