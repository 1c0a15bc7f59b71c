"""The small JSON profile file help desks pass around: strict to read, simple to write."""

from __future__ import annotations

import json

from app.domain.errors import ValidationError
from app.domain.model import Family, LoopbackSettings

FORMAT = "loopback-tuner-profile"
VERSION = 1
MAX_BYTES = 16 * 1024


def dump_profile(settings: dict[Family, LoopbackSettings], note: str = "") -> str:
    """The file's text for ``settings`` (one or both families)."""
    data: dict[str, object] = {"format": FORMAT, "version": VERSION}
    if note:
        data["note"] = note
    for family in Family:
        if family in settings:
            data[family.value] = settings[family].to_json()
    return json.dumps(data, indent=2) + "\n"


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """JSON objects with a key twice are refused: which one counts would be a guess."""
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise ValidationError(f"the key {key!r} appears twice in the profile")
        out[key] = value
    return out


def load_profile(raw: bytes) -> dict[Family, LoopbackSettings]:
    """Parse a profile file strictly; raises ValidationError with a message naming the problem.

    Refused: files over 16 KiB, binary or non-UTF-8 content, anything but one JSON object of the expected
    format and version, unknown keys, wrong types, out-of-range values, no family at all.
    """
    if len(raw) > MAX_BYTES:
        raise ValidationError(f"the file is too large for a profile ({len(raw)} bytes; at most {MAX_BYTES})")
    if b"\x00" in raw:
        raise ValidationError("the file is binary, not a profile")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("the file is not UTF-8 text") from None
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"the file is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(data, dict):
        raise ValidationError("a profile must be a JSON object")
    if data.get("format") != FORMAT:
        raise ValidationError(f'not a Loopback Tuner profile (expected "format": "{FORMAT}")')
    if data.get("version") != VERSION:
        raise ValidationError(f"unsupported profile version {data.get('version')!r} (this app reads {VERSION})")
    allowed = {"format", "version", "note", *(f.value for f in Family)}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError(f"unknown key {unknown[0]!r} in the profile")
    if "note" in data and not isinstance(data["note"], str):
        raise ValidationError("note must be text")
    out: dict[Family, LoopbackSettings] = {}
    for family in Family:
        if family.value in data:
            try:
                out[family] = LoopbackSettings.from_json(data[family.value])
            except ValidationError as exc:
                raise ValidationError(f"{family.label}: {exc}") from None
    if not out:
        raise ValidationError("the profile has neither ipv4 nor ipv6 settings")
    return out
