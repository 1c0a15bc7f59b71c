"""Builds netsh argv lists from typed values (never shell strings), and parses them back strictly."""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.domain.errors import ValidationError
from app.domain.model import (
    Change,
    ExecutionMode,
    Family,
    SettingsPatch,
    Store,
    parse_execution_mode,
    validate_worker_count,
)
from app.domain.read_plan import read_argvs, show_global_argv

Argv = tuple[str, ...]

_MTU_TOKENS = {True: "enable", False: "disable"}


def show_global(family: Family, store: Store = Store.ACTIVE) -> Argv:
    """netsh arguments (without the executable) that print ``family``'s global parameters from ``store``."""
    return show_global_argv(Family(family).value, Store(store).value)


def machine_read(families: Sequence[Family] = tuple(Family)) -> list[Argv]:
    """Every ``show global`` a read of the machine runs: each family's active store, then its persistent one."""
    return read_argvs([Family(family).value for family in families])


def set_global(family: Family, patch: SettingsPatch, store: Store) -> Argv:
    """netsh arguments that set only the fields present in ``patch``; raises ValidationError if it is empty."""
    if patch.is_empty:
        raise ValidationError("nothing to change")
    tags = []
    for setting, value in patch.items():
        if isinstance(value, bool):
            token = _MTU_TOKENS[value]
        elif isinstance(value, ExecutionMode):
            token = value.value
        else:
            token = str(validate_worker_count(value))
        tags.append(f"{setting.value}={token}")
    return ("interface", Family(family).value, "set", "global", *tags, f"store={Store(store).value}")


def commands_for(change: Change, store: Store) -> list[Argv]:
    """One ``set global`` per changed family, carrying only the tags that change."""
    return [set_global(fc.family, fc.patch, store) for fc in change.families]


def display(argv: Sequence[str], executable: str = "netsh") -> str:
    """The command as a person would type it in an administrator prompt (quoted for display only)."""
    return " ".join(quote_argument(arg) for arg in (executable, *argv))


def quote_argument(argument: str, *, quote_on: str = " \t") -> str:
    """``argument`` as the Microsoft C runtime and CommandLineToArgvW read it back: in quotation marks when it is
    empty or holds a character of ``quote_on``; backslashes doubled only before a quotation mark (escaped) or the
    closing mark. The default is ``subprocess.list2cmdline``'s rule (tests compare the two), without importing
    subprocess, which the window's first read would otherwise load to log its runs (4-6 ms); the UAC launch's
    command line quotes on more whitespace (app/platform/windows.py)."""
    quoted = not argument or any(char in quote_on for char in argument)
    if not quoted and '"' not in argument:
        return argument  # backslashes not before a quotation mark are taken literally
    parts: list[str] = []
    backslashes = 0
    for char in argument:
        if char == "\\":
            backslashes += 1
            continue
        # before a quotation mark each backslash is doubled, and the mark escaped; elsewhere they stay as they are
        parts.append("\\" * (2 * backslashes + 1) + '"' if char == '"' else "\\" * backslashes + char)
        backslashes = 0
    parts.append("\\" * (2 * backslashes if quoted else backslashes))  # before our closing mark: doubled too
    return f'"{"".join(parts)}"' if quoted else "".join(parts)


def parse_set_global(argv: Sequence[str]) -> tuple[Family, SettingsPatch, Store]:
    """Strictly parse an argv made by :func:`set_global`; raises ValidationError for anything else.

    The elevated helper uses this so it can only ever run the loopback tags with valid values.
    """
    argv = list(argv)
    if len(argv) < 6 or argv[0] != "interface" or argv[2:4] != ["set", "global"]:
        raise ValidationError(f"not a loopback set command: {display(argv)}")
    try:
        family = Family(argv[1])
    except ValueError:
        raise ValidationError(f"unknown family {argv[1]!r}") from None
    *tags, store_tag = argv[4:]
    if not store_tag.startswith("store=") or store_tag[6:] not in {s.value for s in Store}:
        raise ValidationError("the command must end with store=active or store=persistent")
    fields: dict[str, object] = {}
    for tag in tags:
        name, sep, value = tag.partition("=")
        if not sep or name in fields:
            raise ValidationError(f"bad or repeated tag {tag!r}")
        if name == "loopbackexecutionmode":
            if value not in {m.value for m in ExecutionMode}:  # exactly as set_global writes it
                raise ValidationError(f"execution mode must be adaptive, inline or worker, got {value!r}")
            fields[name] = parse_execution_mode(value)
        elif name == "loopbackworkercount":
            # ASCII digits without a leading zero: str.isdigit() also accepts "²", which int() rejects.
            if not re.fullmatch(r"[1-9][0-9]?", value):
                raise ValidationError(f"worker count must be 1 to 16, got {value!r}")
            fields[name] = validate_worker_count(int(value))
        elif name == "loopbacklargemtu":
            if value not in ("enable", "disable"):
                raise ValidationError(f"large MTU must be enable or disable, got {value!r}")
            fields[name] = value == "enable"
        else:
            raise ValidationError(f"tag {name!r} is not a loopback setting")
    mode = fields.get("loopbackexecutionmode")
    count = fields.get("loopbackworkercount")
    mtu = fields.get("loopbacklargemtu")
    assert mode is None or isinstance(mode, ExecutionMode)
    assert count is None or isinstance(count, int)
    assert mtu is None or isinstance(mtu, bool)
    patch = SettingsPatch(mode, count, mtu)
    if patch.is_empty:
        raise ValidationError("nothing to change")
    return family, patch, Store(store_tag[6:])
