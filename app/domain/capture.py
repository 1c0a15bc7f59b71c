"""The diagnostics file (a *capture*): what one machine's netsh said, byte for byte, and what the parser made of it.

Written by ``diagnose``, replayed by the simulated backend (``--capture FILE``), kept as a test in
tests/fixtures/netsh/captures/. Format ``loopback-tuner-diagnostics``, version 1, documented in the README
("Diagnostics file"). Pure: typed values and their JSON shape; no file access here.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from app.domain.errors import ValidationError
from app.domain.model import Family, LoopbackSettings, ReadFailure, Reading, ReadProblem, Store

CAPTURE_FORMAT = "loopback-tuner-diagnostics"
CAPTURE_VERSION = 1
MAX_CAPTURE_BYTES = 4 * 1024 * 1024  # a capture of four netsh runs is a few kB; anything this big is not one


class CaptureError(ValidationError):
    """A capture that cannot be used: not JSON, another format or version, or a field of the wrong shape."""


@dataclass(frozen=True)
class WindowsFacts:
    """The Windows version and languages behind a capture; None where the machine could not say."""

    build: int | None = None
    ubr: int | None = None  # update build revision (the number after the build: 22631.4317)
    edition: str | None = None  # EditionID, e.g. "Professional"
    display_version: str | None = None  # e.g. "23H2"
    user_ui_language: str | None = None  # GetUserDefaultUILanguage as a locale name
    system_ui_language: str | None = None  # GetSystemDefaultUILanguage as a locale name
    oem_codepage: int | None = None  # GetOEMCP: what a console (and so netsh) writes in
    ansi_codepage: int | None = None  # GetACP
    console_output_codepage: int | None = None  # GetConsoleOutputCP of the diagnosing process (0: no console)
    elevated: bool | None = None


@dataclass(frozen=True)
class CongestionFacts:
    """TCP setting name -> congestion provider (what the BBR2 check uses), or why they could not be read."""

    providers: dict[str, str] = field(default_factory=dict)
    error: str = ""


@dataclass(frozen=True)
class ParsedRun:
    """What the app made of one run: settings, or the problem and its message."""

    settings: LoopbackSettings | None = None
    problem: ReadProblem | None = None
    message: str = ""

    @classmethod
    def of(cls, reading: Reading) -> ParsedRun:
        if isinstance(reading, LoopbackSettings):
            return cls(settings=reading)
        return cls(problem=reading.problem, message=reading.message)

    def to_json(self) -> dict[str, object]:
        if self.settings is not None:
            return {"result": "settings", **self.settings.to_json()}
        assert self.problem is not None
        return {"result": self.problem.value, "message": self.message}

    @classmethod
    def from_json(cls, data: object, where: str) -> ParsedRun:
        obj = _obj(data, where)
        result = obj.get("result")
        if result == "settings":
            try:
                return cls(settings=LoopbackSettings.from_json({k: v for k, v in obj.items() if k != "result"}))
            except ValueError as exc:
                raise CaptureError(f"{where}: {exc}") from None
        try:
            problem = ReadProblem(str(result))
        except ValueError:
            raise CaptureError(f"{where}.result: expected settings or one of the read problems") from None
        return cls(problem=problem, message=_str(obj.get("message"), f"{where}.message"))


@dataclass(frozen=True)
class CapturedRun:
    """One netsh run: its argv, how it ended, the raw bytes and the text they were decoded to."""

    argv: tuple[str, ...]
    family: Family | None  # None for a run that is not a family's ``show global`` (e.g. a converted sample)
    store: Store | None
    started: bool  # False: netsh could not be started (``error`` says why)
    exit_code: int | None
    timed_out: bool
    stdout: bytes
    stderr: bytes
    stdout_text: str
    stderr_text: str
    error: str  # why it could not be started ("" when it was)
    parsed: ParsedRun

    def to_json(self) -> dict[str, object]:
        return {
            "family": self.family.value if self.family else None,
            "store": self.store.value if self.store else None,
            "argv": list(self.argv),
            "started": self.started,
            "exit_code": self.exit_code,
            "timed_out": self.timed_out,
            "stdout_base64": base64.b64encode(self.stdout).decode("ascii"),
            "stderr_base64": base64.b64encode(self.stderr).decode("ascii"),
            "stdout": self.stdout_text,
            "stderr": self.stderr_text,
            "error": self.error,
            "parsed": self.parsed.to_json(),
        }

    @classmethod
    def from_json(cls, data: object, where: str) -> CapturedRun:
        obj = _obj(data, where)
        argv = obj.get("argv")
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            raise CaptureError(f"{where}.argv: expected a non-empty list of strings")
        exit_code = obj.get("exit_code")
        if exit_code is not None and (isinstance(exit_code, bool) or not isinstance(exit_code, int)):
            raise CaptureError(f"{where}.exit_code: expected a number or null")
        return cls(
            argv=tuple(argv),
            family=_enum(Family, obj.get("family"), f"{where}.family"),
            store=_enum(Store, obj.get("store"), f"{where}.store"),
            started=_bool(obj.get("started"), f"{where}.started"),
            exit_code=exit_code,
            timed_out=_bool(obj.get("timed_out"), f"{where}.timed_out"),
            stdout=_b64(obj.get("stdout_base64"), f"{where}.stdout_base64"),
            stderr=_b64(obj.get("stderr_base64"), f"{where}.stderr_base64"),
            stdout_text=_str(obj.get("stdout"), f"{where}.stdout"),
            stderr_text=_str(obj.get("stderr"), f"{where}.stderr"),
            error=_str(obj.get("error"), f"{where}.error"),
            parsed=ParsedRun.from_json(obj.get("parsed"), f"{where}.parsed"),
        )


@dataclass(frozen=True)
class Capture:
    """One diagnostics file."""

    app_version: str
    created: str  # ISO 8601, UTC
    backend: str  # system, custom, simulated or capture (a replay)
    origin: str  # how it was made ("loopback-tuner-cli diagnose", or where a converted sample came from)
    windows: WindowsFacts
    codepage: int | None  # the code page the runs' bytes were decoded with
    runs: tuple[CapturedRun, ...]
    congestion: CongestionFacts = field(default_factory=CongestionFacts)
    notes: str = ""

    def run_for(self, family: Family, store: Store) -> CapturedRun | None:
        return next((r for r in self.runs if r.family is family and r.store is store), None)

    def to_json(self) -> dict[str, object]:
        w = self.windows
        return {
            "format": CAPTURE_FORMAT,
            "version": CAPTURE_VERSION,
            "app_version": self.app_version,
            "created": self.created,
            "backend": self.backend,
            "origin": self.origin,
            "windows": {
                "build": w.build,
                "ubr": w.ubr,
                "edition": w.edition,
                "display_version": w.display_version,
                "elevated": w.elevated,
            },
            "languages": {"user_ui": w.user_ui_language, "system_ui": w.system_ui_language},
            "codepages": {
                "oem": w.oem_codepage,
                "ansi": w.ansi_codepage,
                "console_output": w.console_output_codepage,
                "netsh_output": self.codepage,
            },
            "congestion": {"providers": dict(self.congestion.providers), "error": self.congestion.error},
            "runs": [run.to_json() for run in self.runs],
            "notes": self.notes,
        }

    @classmethod
    def from_json(cls, data: object) -> Capture:
        """Strict parse; raises CaptureError with a one-line reason."""
        top = _obj(data, "capture")
        if top.get("format") != CAPTURE_FORMAT:
            raise CaptureError(f"not a Loopback Tuner diagnostics file (format {CAPTURE_FORMAT!r} expected)")
        version = top.get("version")
        if version != CAPTURE_VERSION:
            raise CaptureError(f"diagnostics file version {version!r} is not supported (this version reads 1)")
        windows = _obj(top.get("windows"), "windows")
        languages = _obj(top.get("languages"), "languages")
        codepages = _obj(top.get("codepages"), "codepages")
        congestion = _obj(top.get("congestion"), "congestion")
        providers = _obj(congestion.get("providers"), "congestion.providers")
        if not all(isinstance(v, str) for v in providers.values()):
            raise CaptureError("congestion.providers: expected names")
        runs = top.get("runs")
        if not isinstance(runs, list):
            raise CaptureError("runs: expected a list")
        return cls(
            app_version=_str(top.get("app_version"), "app_version"),
            created=_str(top.get("created"), "created"),
            backend=_str(top.get("backend"), "backend"),
            origin=_str(top.get("origin"), "origin"),
            windows=WindowsFacts(
                build=_int(windows.get("build"), "windows.build"),
                ubr=_int(windows.get("ubr"), "windows.ubr"),
                edition=_opt_str(windows.get("edition"), "windows.edition"),
                display_version=_opt_str(windows.get("display_version"), "windows.display_version"),
                user_ui_language=_opt_str(languages.get("user_ui"), "languages.user_ui"),
                system_ui_language=_opt_str(languages.get("system_ui"), "languages.system_ui"),
                oem_codepage=_int(codepages.get("oem"), "codepages.oem"),
                ansi_codepage=_int(codepages.get("ansi"), "codepages.ansi"),
                console_output_codepage=_int(codepages.get("console_output"), "codepages.console_output"),
                elevated=_opt_bool(windows.get("elevated"), "windows.elevated"),
            ),
            codepage=_int(codepages.get("netsh_output"), "codepages.netsh_output"),
            runs=tuple(CapturedRun.from_json(run, f"runs[{i}]") for i, run in enumerate(runs)),
            congestion=CongestionFacts(dict(providers), _str(congestion.get("error"), "congestion.error")),
            notes=_str(top.get("notes", ""), "notes"),
        )


def read_failure(run: CapturedRun, build: int | None) -> ReadFailure:
    """The recorded failure of a run that never started, as the reading layer reports it."""
    return ReadFailure(ReadProblem.NETSH_MISSING, run.error, "", build)


def _obj(data: object, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise CaptureError(f"{where}: expected an object")
    return data


def _str(data: object, where: str) -> str:
    if not isinstance(data, str):
        raise CaptureError(f"{where}: expected a string")
    return data


def _opt_str(data: object, where: str) -> str | None:
    return None if data is None else _str(data, where)


def _bool(data: object, where: str) -> bool:
    if not isinstance(data, bool):
        raise CaptureError(f"{where}: expected true or false")
    return data


def _opt_bool(data: object, where: str) -> bool | None:
    return None if data is None else _bool(data, where)


def _int(data: object, where: str) -> int | None:
    if data is None:
        return None
    if isinstance(data, bool) or not isinstance(data, int):
        raise CaptureError(f"{where}: expected a number or null")
    return data


def _enum(kind: Any, data: object, where: str) -> Any:
    if data is None:
        return None
    try:
        return kind(data)
    except ValueError:
        raise CaptureError(f"{where}: unknown value {data!r}") from None


def _b64(data: object, where: str) -> bytes:
    text = _str(data, where)
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise CaptureError(f"{where}: not base64") from None
