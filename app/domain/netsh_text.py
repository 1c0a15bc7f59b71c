"""What the parser knows of netsh's ``show global`` text per display language, parsed from the sourced data file.

The data lives in ``resources/display_languages.json`` (read by app/language_data.py); this module only turns its
JSON structure into typed values and refuses an entry whose string names no source. Adding a language is one
capture plus one entry in that file, no code change. The simulator has its own literal text
(app/simulator/output.py) and never reads this table.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from app.domain.model import Setting

LANGUAGE_DATA_FORMAT = 1


class LanguageDataError(ValueError):
    """The display-language data is malformed, or one of its strings names no (known) source."""


class SourceKind(enum.StrEnum):
    CAPTURE = "capture"  # a capture file in tests/fixtures/netsh/captures/: real netsh bytes
    DOCUMENT = "document"  # a document (FACTS.md, Microsoft's pages): must be marked unconfirmed
    SCRIPT = "script"  # a public script that prints or matches the text: must be marked unconfirmed


@dataclass(frozen=True)
class Source:
    """Where a string comes from. Anything but a capture is UNCONFIRMED until a capture shows it."""

    id: str
    kind: SourceKind
    where: str  # a capture file (relative to tests/fixtures/netsh/) or the document's or script's name
    unconfirmed: bool


@dataclass(frozen=True)
class Language:
    """Known strings of one Windows display language. ``labels`` holds only translations we have seen."""

    tag: str
    name: str
    labels: dict[Setting, str]
    # Words that, inside a label, show a line is about loopback even when we cannot map it.
    loopback_words: tuple[str, ...]
    # Labels of other (non-loopback) rows of the same table: their presence proves the table is
    # ``show global`` in this language even when the loopback rows are absent.
    other_labels: tuple[str, ...] = ()
    # Of those, the rows FACTS.md places after the loopback rows: seeing one shows the table was not cut short
    # before the place where the loopback rows would be.
    after_labels: tuple[str, ...] = ()
    codepage: int | None = None  # the console (OEM) code page netsh writes in on this language's Windows
    header: str | None = None  # the first line, e.g. "Querying active state..." (the parser does not need it)
    title: str | None = None  # the table's title (the parser does not need it)
    # (string, source id) for every string above; the data file cannot give a string without one.
    provenance: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class LanguageTable:
    """Every known language with its sources, and the lookups the parser derives from them."""

    languages: tuple[Language, ...]
    sources: dict[str, Source] = field(default_factory=dict)
    labels: dict[str, Setting] = field(init=False, compare=False, repr=False)
    loopback_words: tuple[str, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        labels = {normalize_label(text): s for lang in self.languages for s, text in lang.labels.items()}
        object.__setattr__(self, "labels", labels)
        words = tuple(w.casefold() for lang in self.languages for w in lang.loopback_words)
        object.__setattr__(self, "loopback_words", words)

    def by_tag(self, tag: str) -> Language | None:
        return next((lang for lang in self.languages if lang.tag == tag), None)


def normalize_label(label: str) -> str:
    """Labels compare case-insensitively with runs of white space folded to one space."""
    return " ".join(label.split()).casefold()


def _obj(data: object, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise LanguageDataError(f"{where}: expected an object")
    return data


def _text(data: object, where: str) -> str:
    if not isinstance(data, str) or not data.strip():
        raise LanguageDataError(f"{where}: expected a non-empty string")
    return data


def _sources(data: object) -> dict[str, Source]:
    found: dict[str, Source] = {}
    for key, raw in _obj(data, "sources").items():
        entry = _obj(raw, f"sources.{key}")
        try:
            kind = SourceKind(str(entry.get("kind")))
        except ValueError:
            raise LanguageDataError(f"sources.{key}: kind must be capture, document or script") from None
        where = _text(entry.get("where"), f"sources.{key}.where")
        unconfirmed = entry.get("unconfirmed", False)
        if not isinstance(unconfirmed, bool):
            raise LanguageDataError(f"sources.{key}.unconfirmed: expected true or false")
        if kind is not SourceKind.CAPTURE and not unconfirmed:
            raise LanguageDataError(f"sources.{key}: a {kind.value} is not a capture: mark it unconfirmed")
        found[key] = Source(key, kind, where, unconfirmed)
    return found


class _Reader:
    """Reads one language entry, recording each string's source (and refusing a string without one)."""

    def __init__(self, tag: str, sources: dict[str, Source]) -> None:
        self.tag, self.sources = tag, sources
        self.provenance: list[tuple[str, str]] = []

    def string(self, data: object, where: str) -> str:
        entry = _obj(data, f"{self.tag}.{where}")
        text = _text(entry.get("text"), f"{self.tag}.{where}.text")
        source = entry.get("source")
        if not isinstance(source, str) or not source:
            raise LanguageDataError(f"{self.tag}.{where}: {text!r} names no source")
        if source not in self.sources:
            raise LanguageDataError(f"{self.tag}.{where}: {text!r} names the unknown source {source!r}")
        self.provenance.append((text, source))
        return text

    def strings(self, data: object, where: str) -> tuple[str, ...]:
        if data is None:
            return ()
        if not isinstance(data, list):
            raise LanguageDataError(f"{self.tag}.{where}: expected a list")
        return tuple(self.string(item, f"{where}[{i}]") for i, item in enumerate(data))

    def optional(self, data: object, where: str) -> str | None:
        return None if data is None else self.string(data, where)


def _language(data: object, index: int, sources: dict[str, Source]) -> Language:
    entry = _obj(data, f"languages[{index}]")
    tag = _text(entry.get("tag"), f"languages[{index}].tag")
    read = _Reader(tag, sources)
    labels: dict[Setting, str] = {}
    for key, raw in _obj(entry.get("labels", {}), f"{tag}.labels").items():
        try:
            setting = Setting(key)
        except ValueError:
            raise LanguageDataError(f"{tag}.labels: {key!r} is not a netsh loopback tag") from None
        labels[setting] = read.string(raw, f"labels.{key}")
    codepage_text = read.optional(entry.get("codepage"), "codepage")
    if codepage_text is not None and not codepage_text.isdigit():
        raise LanguageDataError(f"{tag}.codepage: expected a number, got {codepage_text!r}")
    return Language(
        tag=tag,
        name=_text(entry.get("name"), f"{tag}.name"),
        labels=labels,
        loopback_words=read.strings(entry.get("loopback_words"), "loopback_words"),
        other_labels=read.strings(entry.get("other_labels"), "other_labels"),
        after_labels=read.strings(entry.get("after_labels"), "after_labels"),
        codepage=int(codepage_text) if codepage_text is not None else None,
        header=read.optional(entry.get("header"), "header"),
        title=read.optional(entry.get("title"), "title"),
        provenance=tuple(read.provenance),
    )


def parse_language_data(data: object) -> LanguageTable:
    """The table from the data file's JSON structure; raises LanguageDataError (a ValueError) when malformed or
    when any string names no source, or a source that is not listed."""
    top = _obj(data, "display languages")
    if top.get("format") != LANGUAGE_DATA_FORMAT:
        raise LanguageDataError(f"display languages: expected format {LANGUAGE_DATA_FORMAT}")
    sources = _sources(top.get("sources"))
    raw_languages = top.get("languages")
    if not isinstance(raw_languages, list) or not raw_languages:
        raise LanguageDataError("display languages: expected a non-empty list of languages")
    languages = tuple(_language(item, i, sources) for i, item in enumerate(raw_languages))
    tags = [lang.tag for lang in languages]
    if len(set(tags)) != len(tags):
        raise LanguageDataError("display languages: a language is listed twice")
    return LanguageTable(languages, sources)
