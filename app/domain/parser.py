"""Turns netsh ``interface ipv4|ipv6 show global`` output into settings, or says exactly why it cannot."""

from __future__ import annotations

import codecs
import re

from app.domain.errors import NoLoopbackRowsError, UnrecognizedOutputError, ValidationError
from app.domain.model import ExecutionMode, LoopbackSettings, Setting, validate_worker_count
from app.domain.netsh_text import LanguageTable, normalize_label

# "Label   : value". Labels never contain a colon in the tables we know; values may (so split on the first).
_ROW = re.compile(r"^\s*(?P<label>[^:\r\n]*?[^\s:][^:\r\n]*?)\s*:\s*(?P<value>.*?)\s*$")

_BOOLEAN = {"enabled": True, "enable": True, "disabled": False, "disable": False}


def decode_output(data: bytes, codepage: int | None) -> str:
    """Decode netsh's bytes with the console code page; falls back to UTF-8, then cp437 (never raises)."""
    candidates: list[str] = []
    if codepage:
        candidates.append("utf-8" if codepage == 65001 else f"cp{codepage}")
    candidates.append("utf-8")
    for encoding in candidates:
        try:
            codecs.lookup(encoding)
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    # cp437 maps every byte, so this always succeeds; a wrong guess shows as odd characters, never a crash.
    return data.decode("cp437", errors="replace")


def _rows(text: str) -> list[tuple[str, str, str]]:
    """(normalized label, value, original line) for every ``label : value`` line."""
    rows = []
    for line in text.splitlines():
        match = _ROW.match(line)
        if match:
            rows.append((normalize_label(match["label"]), match["value"].strip(), line.strip()))
    return rows


def _parse_value(setting: Setting, value: str) -> ExecutionMode | int | bool:
    token = value.strip().casefold()
    if setting is Setting.EXECUTION_MODE:
        return ExecutionMode(token)  # ValueError when unknown
    if setting is Setting.WORKER_COUNT:
        if not re.fullmatch(r"[0-9]{1,3}", token):
            raise ValueError(token)
        try:
            return validate_worker_count(int(token))
        except ValidationError as exc:
            raise ValueError(token) from exc
    if token not in _BOOLEAN:
        raise ValueError(token)
    return _BOOLEAN[token]


def _complete_table_without_loopback(rows: list[tuple[str, str, str]], table: LanguageTable) -> bool:
    """True only with evidence that this is a whole ``show global`` table in a language we know.

    A header or a title alone is not evidence (the output may be cut short, or in a language whose rows we do
    not know): at least three known rows of one language, one of them a row that comes after the loopback rows.
    """
    labels = {label for label, _, _ in rows}
    for lang in table.languages:
        known = labels & {normalize_label(x) for x in lang.other_labels}
        after = labels & {normalize_label(x) for x in lang.after_labels}
        if len(known) >= 3 and after:
            return True
    return False


def _mentions_loopback(labels: list[str], table: LanguageTable) -> bool:
    return any(word in label for label in labels for word in table.loopback_words)


def parse_show_global(text: str, languages: LanguageTable) -> LoopbackSettings:
    """Read the loopback settings from ``show global`` output, with the labels of ``languages`` (the display-
    language data file, resources/display_languages.json, read by app/language_data.py outside the domain).

    Raises NoLoopbackRowsError when the output is a whole table in a language we know without any loopback row
    (a fact about the text: what it means is decided from the build number, by the reading layer), and
    UnrecognizedOutputError, carrying the raw text, for anything else that cannot be mapped with certainty:
    unknown labels or values, duplicates that disagree, a partial set. Never guesses.
    """
    table = languages
    rows = _rows(text)
    found: dict[Setting, ExecutionMode | int | bool] = {}
    for label, value, line in rows:
        setting = table.labels.get(label)
        if setting is None:
            continue
        try:
            parsed = _parse_value(setting, value)
        except ValueError:
            raise UnrecognizedOutputError(
                f"netsh reported a value for the {setting.label} that this version does not understand: {line!r}", text
            ) from None
        if setting in found and found[setting] != parsed:
            raise UnrecognizedOutputError(f"netsh reported the {setting.label} twice with different values", text)
        found[setting] = parsed

    if len(found) == len(Setting):
        mode, count, mtu = found[Setting.EXECUTION_MODE], found[Setting.WORKER_COUNT], found[Setting.LARGE_MTU]
        assert isinstance(mode, ExecutionMode) and isinstance(mtu, bool) and isinstance(count, int)
        return LoopbackSettings(mode, count, mtu)

    unmapped_loopback = [
        label for label, _, _ in rows if label not in table.labels and _mentions_loopback([label], table)
    ]
    if not found and not unmapped_loopback:
        if not text.strip():
            raise UnrecognizedOutputError("netsh printed nothing", text)
        if _complete_table_without_loopback(rows, table):
            raise NoLoopbackRowsError(
                "netsh printed a whole global-parameters table without any loopback line; nothing was guessed",
                text,
            )
        raise UnrecognizedOutputError(
            "netsh's output has no loopback lines this version can recognize (unknown display language or "
            "format); nothing was guessed",
            text,
        )
    missing = [s.label for s in Setting if s not in found]
    known = ", ".join(f"{s.label}" for s in found) or "none"
    raise UnrecognizedOutputError(
        f"netsh's output could not be read with certainty: recognized {known}; not recognized "
        f"{', '.join(missing)} (labels in this display language are not known yet); nothing was guessed",
        text,
    )
