"""Diagnose: one diagnostics file (a capture) a user can send, made unelevated and changing nothing.

It runs ``show global`` for both families and both stores, keeping each run's argv, exit code and raw bytes, and
records what the app made of each; with it the Windows version, languages and code pages, and the congestion
facts the BBR2 check uses. No user, computer or domain name goes in: names found in any text are replaced.
"""

from __future__ import annotations

import json
import os
import platform
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from app import __version__
from app.domain.capture import Capture, CapturedRun, CongestionFacts, ParsedRun, WindowsFacts
from app.domain.commands import show_global
from app.domain.model import Family, ReadFailure, ReadProblem, Store
from app.domain.runs import NetshMissingError
from app.runners.base import NetshRunner
from app.runners.readings import reading_from

ORIGIN = "loopback-tuner-cli diagnose"
REDACTED = "<redacted>"
MIN_NAME_LENGTH = 3  # shorter "names" would blank out ordinary words


@dataclass(frozen=True)
class MachineFacts:
    """What the backend can say about the machine behind it (see app/usecases/diagnose_sources.py)."""

    backend: str  # system, custom, simulated or capture
    windows: WindowsFacts
    codepage: int | None  # the code page the runner decodes netsh's bytes with
    congestion: CongestionFacts


def private_names(environ: dict[str, str] | None = None) -> tuple[str, ...]:
    """The names a diagnostics file must not hold: this user's and computer's names, the domain, the home folder."""
    env = dict(os.environ if environ is None else environ)
    names = [env.get(key, "") for key in ("USERNAME", "USER", "LOGNAME", "COMPUTERNAME", "USERDOMAIN", "HOSTNAME")]
    names += [platform.node(), str(Path.home()), env.get("USERPROFILE", ""), env.get("HOME", "")]
    return tuple(sorted({n for n in names if len(n) >= MIN_NAME_LENGTH}, key=len, reverse=True))


class Redactor:
    """Replaces private names in text (whole words; paths as they are) and in raw bytes of a known code page."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(n for n in names if len(n) >= MIN_NAME_LENGTH)

    def _pattern(self, name: str) -> re.Pattern[str]:
        return re.compile(rf"(?<![\w]){re.escape(name)}(?![\w])", re.IGNORECASE)

    def text(self, value: str) -> str:
        for name in self.names:
            value = self._pattern(name).sub(REDACTED, value)
        return value

    def data(self, value: bytes, codepage: int | None) -> bytes:
        encoding = "utf-8" if codepage in (None, 65001) else f"cp{codepage}"
        for name in self.names:
            try:
                encoded = name.encode(encoding)
            except (LookupError, UnicodeEncodeError):
                continue
            value = re.sub(rb"(?<![\w])" + re.escape(encoded) + rb"(?![\w])", REDACTED.encode(), value, flags=re.I)
        return value


def capture_run(
    runner: NetshRunner, family: Family, store: Store, facts: MachineFacts, redact: Redactor
) -> CapturedRun:
    """One ``show global`` run, kept byte for byte, with what the reading layer makes of it."""
    argv = show_global(family, store)
    build = facts.windows.build
    try:
        result = runner.run_blocking(argv)
    except NetshMissingError as exc:
        message = redact.text(str(exc))
        failure = ReadFailure(ReadProblem.NETSH_MISSING, message, "", build)
        return CapturedRun(argv, family, store, False, None, False, b"", b"", "", "", message, ParsedRun.of(failure))
    # netsh runs even on a build before 17763 (a read changes nothing): its answer there is evidence too.
    parsed = ParsedRun.of(reading_from(result, build))
    return CapturedRun(
        argv=tuple(argv),
        family=family,
        store=store,
        started=True,
        exit_code=result.exit_code,
        timed_out=result.timed_out,
        stdout=redact.data(result.raw_stdout if result.raw_stdout is not None else b"", facts.codepage),
        stderr=redact.data(result.raw_stderr if result.raw_stderr is not None else b"", facts.codepage),
        stdout_text=redact.text(result.stdout),
        stderr_text=redact.text(result.stderr),
        error="",
        parsed=replace(parsed, message=redact.text(parsed.message)),
    )


def diagnose(
    runner: NetshRunner,
    facts: MachineFacts,
    *,
    names: Iterable[str] = (),
    now: datetime | None = None,
) -> Capture:
    """Read both families from both stores and describe the machine; blocking, unelevated, changes nothing.

    ``names`` are replaced wherever they appear (see private_names). Never raises for netsh's behaviour: a
    missing, failing or unreadable netsh is what the file records.
    """
    redact = Redactor(names)
    runs = tuple(capture_run(runner, f, s, facts, redact) for f in Family for s in (Store.ACTIVE, Store.PERSISTENT))
    congestion = CongestionFacts(
        {redact.text(k): redact.text(v) for k, v in facts.congestion.providers.items()},
        redact.text(facts.congestion.error),
    )
    return Capture(
        app_version=__version__,
        created=(now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        backend=facts.backend,
        origin=ORIGIN,
        windows=facts.windows,
        codepage=facts.codepage,
        runs=runs,
        congestion=congestion,
    )


def capture_text(capture: Capture) -> str:
    """The file's text: indented JSON, UTF-8 characters kept readable."""
    return json.dumps(capture.to_json(), indent=2, ensure_ascii=False) + "\n"
