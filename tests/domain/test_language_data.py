"""The display-language data file: every string names a source; captures really hold the strings they source."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from app.domain.capture import Capture
from app.domain.errors import UnrecognizedOutputError
from app.domain.model import Setting
from app.domain.netsh_text import LanguageDataError, SourceKind, normalize_label, parse_language_data
from app.domain.parser import parse_show_global
from app.language_data import DATA_FILE, known_languages
from app.resources import resource_path
from tests.conftest import FIXTURES


def _data() -> dict[str, Any]:
    data = json.loads(resource_path(DATA_FILE).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_installed_file_loads_with_the_labels_the_parser_always_had() -> None:
    table = known_languages()
    english, chinese = table.by_tag("en-US"), table.by_tag("zh-CN")
    assert english is not None and chinese is not None
    assert english.labels == {
        Setting.LARGE_MTU: "Loopback Large Mtu",
        Setting.WORKER_COUNT: "Loopback Worker Count",
        Setting.EXECUTION_MODE: "Loopback Execution Mode",
    }
    assert chinese.labels == {Setting.LARGE_MTU: "\u73af\u56de\u5927 Mtu"}
    assert english.after_labels == ("Source Based ECMP", "Reassembly Out Of Order Limit")
    assert len(english.other_labels) == 7 and english.loopback_words == ("loopback",)
    assert chinese.loopback_words == ("\u73af\u56de",)
    assert (english.codepage, chinese.codepage) == (437, 936)
    assert (english.header, chinese.title) == ("Querying active state...", "\u5e38\u89c4\u5168\u5c40\u53c2\u6570")


def test_every_string_names_a_source_and_only_captures_are_confirmed() -> None:
    table = known_languages()
    for language in table.languages:
        strings = [*language.labels.values(), *language.loopback_words, *language.other_labels]
        strings += [*language.after_labels, str(language.codepage), language.header or "", language.title or ""]
        sourced = {text for text, _ in language.provenance}
        assert {s for s in strings if s} <= sourced, language.tag
        for _, source in language.provenance:
            kind = table.sources[source].kind
            assert table.sources[source].unconfirmed is (kind is not SourceKind.CAPTURE)


def test_a_capture_source_holds_the_string_it_is_cited_for() -> None:
    table = known_languages()
    for language in table.languages:
        for text, source_id in language.provenance:
            source = table.sources[source_id]
            if source.kind is not SourceKind.CAPTURE:
                continue
            path = FIXTURES / source.where
            assert path.is_file(), f"{language.tag}: {text!r} cites {source.where}, which is not in the corpus"
            capture = Capture.from_json(json.loads(path.read_text(encoding="utf-8")))
            seen = normalize_label(" ".join(run.stdout_text for run in capture.runs))
            assert normalize_label(text) in seen, f"{text!r} is not in {source.where}"


def test_a_string_without_a_source_fails() -> None:
    data = _data()
    del data["languages"][1]["labels"]["loopbacklargemtu"]["source"]
    with pytest.raises(LanguageDataError, match="names no source"):
        parse_language_data(data)


@pytest.mark.parametrize("source", ["capture-zh-CN-ipv4-fragment", "facts-show-global", "facts-codepage"])
def test_removing_a_languages_source_fails(source: str) -> None:
    data = _data()
    del data["sources"][source]
    with pytest.raises(LanguageDataError, match="unknown source"):
        parse_language_data(data)


def test_a_document_must_be_marked_unconfirmed() -> None:
    data = _data()
    data["sources"]["facts-show-global"]["unconfirmed"] = False
    with pytest.raises(LanguageDataError, match="mark it unconfirmed"):
        parse_language_data(data)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(format=2),
        lambda d: d.update(languages=[]),
        lambda d: d["languages"].append(copy.deepcopy(d["languages"][0])),
        lambda d: d["languages"][0]["labels"].update(loopbackspeed={"text": "x", "source": "facts-show-global"}),
        lambda d: d["languages"][0].update(codepage={"text": "cp437", "source": "facts-codepage"}),
        lambda d: d["sources"]["facts-codepage"].update(kind="rumour"),
    ],
)
def test_a_malformed_file_fails(change: Any) -> None:
    data = _data()
    change(data)
    with pytest.raises(LanguageDataError):
        parse_language_data(data)


def test_a_language_is_added_as_data() -> None:
    # One entry, no code change: the parser reads a table in it (invented strings, only for this test).
    data = _data()
    data["sources"]["test-capture"] = {"kind": "capture", "where": "captures/x.json"}
    data["languages"].append(
        {
            "tag": "xx-XX",
            "name": "Test",
            "labels": {
                s: {"text": f"Zz {s}", "source": "test-capture"}
                for s in ("loopbacklargemtu", "loopbackworkercount", "loopbackexecutionmode")
            },
            "loopback_words": [{"text": "zz", "source": "test-capture"}],
        }
    )
    text = "Zz loopbacklargemtu : disabled\nZz loopbackworkercount : 3\nZz loopbackexecutionmode : inline\n"
    settings = parse_show_global(text, parse_language_data(data))
    assert (settings.execution_mode.value, settings.worker_count, settings.large_mtu) == ("inline", 3, False)
    with pytest.raises(UnrecognizedOutputError):
        parse_show_global(text, known_languages())  # the installed table does not know it
