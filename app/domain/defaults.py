"""The per-build defaults table: parsed strictly, every entry carrying its source."""

from __future__ import annotations

import json
from dataclasses import dataclass

from app.domain.errors import ValidationError
from app.domain.model import LoopbackSettings

SCOPES = ("windows", "simulated")


@dataclass(frozen=True)
class DefaultsEntry:
    scope: str
    min_build: int
    max_build: int | None
    settings: LoopbackSettings
    source: str

    def covers(self, scope: str, build: int) -> bool:
        return self.scope == scope and self.min_build <= build and (self.max_build is None or build <= self.max_build)


def parse_defaults(text: str) -> list[DefaultsEntry]:
    """Parse the table; raises ValidationError for a malformed file or an entry without a source."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"the defaults table is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != "loopback-tuner-defaults" or data.get("version") != 1:
        raise ValidationError("not a Loopback Tuner defaults table (format 1)")
    entries = data.get("entries")
    if not isinstance(entries, list):
        raise ValidationError("the defaults table has no entries list")
    out = []
    for i, item in enumerate(entries):
        if not isinstance(item, dict) or set(item) != {"scope", "min_build", "max_build", "values", "source"}:
            raise ValidationError(f"defaults entry {i}: expected scope, min_build, max_build, values and source")
        scope, low, high, source = item["scope"], item["min_build"], item["max_build"], item["source"]
        if scope not in SCOPES:
            raise ValidationError(f"defaults entry {i}: unknown scope {scope!r}")
        if not isinstance(low, int) or not (high is None or isinstance(high, int)):
            raise ValidationError(f"defaults entry {i}: builds must be numbers")
        if not isinstance(source, str) or len(source.strip()) < 10:
            raise ValidationError(f"defaults entry {i}: every entry must name its source")
        out.append(DefaultsEntry(scope, low, high, LoopbackSettings.from_json(item["values"]), source))
    return out


def lookup(entries: list[DefaultsEntry], scope: str, build: int) -> DefaultsEntry | None:
    """The entry covering ``build`` in ``scope``, or None when the table does not know it."""
    return next((e for e in entries if e.covers(scope, build)), None)
