"""Runs a netsh executable (the real one, or any program standing in for it) as a child process."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping, Sequence

from app.domain.commands import Argv
from app.domain.parser import decode_output
from app.domain.runs import CommandResult, NetshMissingError

DEFAULT_TIMEOUT_S = 15.0
_CREATE_NO_WINDOW = 0x08000000  # keep a console window from flashing when the GUI runs netsh


class SubprocessRunner:
    """A NetshRunner over ``subprocess.run`` in the loop's executor: no shell, absolute program, time limit."""

    def __init__(
        self,
        program: Sequence[str],
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        codepage: int | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        label: str | None = None,
    ) -> None:
        if not program:
            raise ValueError("program must name an executable")
        self._program = tuple(program)
        self._timeout_s = timeout_s
        self._codepage = codepage
        self._env = dict(env) if env is not None else None
        self._cwd = cwd
        self._label = label or f"netsh at {self._program[0]}"

    @property
    def description(self) -> str:
        return self._label

    @property
    def program(self) -> tuple[str, ...]:
        return self._program

    @property
    def environment(self) -> dict[str, str] | None:
        """The child's whole environment, or None to inherit ours."""
        return dict(self._env) if self._env is not None else None

    @property
    def working_folder(self) -> str | None:
        """The child's working folder, or None for ours."""
        return self._cwd

    def run_blocking(self, argv: Argv) -> CommandResult:
        """The same run, blocking; for the helper process and the command line, never the GUI thread."""
        started = time.monotonic()
        flags = _CREATE_NO_WINDOW if sys.platform == "win32" else 0
        try:
            done = subprocess.run(
                [*self._program, *argv],
                capture_output=True,
                stdin=subprocess.DEVNULL,
                timeout=self._timeout_s,
                shell=False,
                check=False,
                env=self._env,
                cwd=self._cwd,
                creationflags=flags,
            )
        except subprocess.TimeoutExpired as exc:
            return CommandResult(
                argv,
                None,
                self._decode(exc.stdout),
                self._decode(exc.stderr),
                time.monotonic() - started,
                timed_out=True,
                raw_stdout=_raw(exc.stdout),
                raw_stderr=_raw(exc.stderr),
            )
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise NetshMissingError(f"netsh could not be started ({self._program[0]}: {reason})") from exc
        return CommandResult(
            argv,
            done.returncode,
            self._decode(done.stdout),
            self._decode(done.stderr),
            time.monotonic() - started,
            raw_stdout=_raw(done.stdout),
            raw_stderr=_raw(done.stderr),
        )

    def _decode(self, data: bytes | str | None) -> str:
        if data is None:
            return ""
        if isinstance(data, str):
            return data
        return decode_output(data, self._codepage).replace("\r\n", "\n")


def _raw(data: bytes | str | None) -> bytes:
    """The bytes a run wrote (subprocess gives bytes; a time-out may give None)."""
    if data is None:
        return b""
    return data if isinstance(data, bytes) else data.encode("utf-8")
