"""Loads the display-language data file (``resources/display_languages.json``) once; the domain parses it."""

from __future__ import annotations

import functools
import json

from app.domain.netsh_text import LanguageTable, parse_language_data
from app.resources import resource_path

DATA_FILE = "display_languages.json"


def languages_from_text(text: str) -> LanguageTable:
    """The table from the file's text; raises LanguageDataError (a ValueError) when malformed or unsourced."""
    return parse_language_data(json.loads(text))


@functools.cache
def known_languages() -> LanguageTable:
    """The installed data file's table (read once per process).

    Raises:
        FileNotFoundError: the resources folder or the file is missing (a broken install).
        LanguageDataError: the file is malformed or a string in it names no source.
    """
    return languages_from_text(resource_path(DATA_FILE).read_text(encoding="utf-8"))
