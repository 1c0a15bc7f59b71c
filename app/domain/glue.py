"""The glue files ``deploy`` writes for Intune, Configuration Manager, Group Policy and Ansible: pure rendering.

Templates are data (``resources/deploy/``). A placeholder names how its value is escaped for the place it sits in,
so nothing reaches a script unescaped: ``{{ps:NAME}}`` (inside a PowerShell single-quoted string), ``{{yaml:NAME}}``
(inside a YAML single-quoted scalar that Ansible will not template), ``{{token:NAME}}`` (a value that must already be
a plain token: letters, digits and ``._{}-``), ``{{cmd:NAME}}`` (inside a cmd ``"..."`` string: refused unless it
holds only characters cmd leaves alone), ``{{comment:NAME}}`` (free text reduced to a safe character set, for
comment and message lines in any of the languages), and ``{{part:NAME}}`` (another template, verbatim).
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from app.domain.errors import ValidationError
from app.domain.model import Family, LoopbackSettings
from app.domain.profile_file import dump_profile

# The installer's AppId (packaging/installer.iss): Inno Setup names the uninstall key "<AppId>_is1".
APP_ID = "{B9445B8D-3C06-4460-A828-E72A3DC28068}"
UNINSTALL_KEY = rf"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{APP_ID}_is1"
CLI_EXE = "loopback-tuner-cli.exe"
PROFILE_COPY = "loopback-tuner-profile.json"  # the profile's name in the output folder (never the user's name)
EVENT_SOURCE = "Loopback Tuner Startup Script"  # eventcreate registers its own source (it refuses the app's)


class Tool(enum.StrEnum):
    """The management tools ``deploy`` writes glue for."""

    INTUNE = "intune"
    CONFIGMGR = "configmgr"
    GPO = "gpo"
    ANSIBLE = "ansible"


# Per tool: (file written, template in resources/deploy/), besides the profile copy.
FILES: dict[Tool, tuple[tuple[str, str], ...]] = {
    Tool.INTUNE: (
        ("detect-loopback-tuner.ps1", "intune-detect.ps1"),
        ("remediate-loopback-tuner.ps1", "intune-remediate.ps1"),
    ),
    Tool.CONFIGMGR: (
        ("discover-loopback-tuner.ps1", "configmgr-discover.ps1"),
        ("remediate-loopback-tuner.ps1", "configmgr-remediate.ps1"),
    ),
    Tool.GPO: (("loopback-tuner-startup.cmd", "gpo-startup.cmd"),),
    Tool.ANSIBLE: (("loopback-tuner.yml", "ansible-playbook.yml"),),
}
PARTS = ("ps-common.ps1",)  # templates other templates include with {{part:...}}
TEMPLATES = tuple(sorted({t for files in FILES.values() for _, t in files} | set(PARTS)))

_PLACEHOLDER = re.compile(r"\{\{(ps|yaml|token|cmd|comment|part):([A-Za-z0-9_.-]+)\}\}")
_LEFTOVER = re.compile(r"\{\{(ps|yaml|token|cmd|comment|part):")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PS_QUOTES = "'\u2018\u2019\u201a\u201b"  # PowerShell takes each of these as a single quote
_TOKEN = re.compile(r"[A-Za-z0-9._{}-]+")
_CMD_SAFE = re.compile(r"[A-Za-z0-9 ._,+=@:/\\{}-]+")
_COMMENT_UNSAFE = re.compile(r"[^A-Za-z0-9 ._,+=@:/\\-]")
_VERSION = re.compile(r"[0-9]+(\.[0-9]+)*([.+-][A-Za-z0-9.]+)?")


def ps_single_quoted(value: str) -> str:
    """``value`` as the inside of a PowerShell single-quoted string: every kind of single quote doubled."""
    if _CONTROL.search(value):
        raise ValidationError("a value for a PowerShell script holds a control character")
    return "".join(ch * 2 if ch in _PS_QUOTES else ch for ch in value)


def yaml_single_quoted(value: str) -> str:
    """``value`` as the inside of a YAML single-quoted scalar that Ansible's templating leaves alone."""
    if _CONTROL.search(value):
        raise ValidationError("a value for the playbook holds a control character")
    if any(marker in value for marker in ("{{", "{%", "{#")):
        raise ValidationError("a value for the playbook holds a Jinja marker ({{, {% or {#)")
    return value.replace("'", "''")


def token(value: str) -> str:
    """``value`` unchanged when it is a plain token (letters, digits, ``._{}-``); else ValidationError."""
    if not _TOKEN.fullmatch(value):
        raise ValidationError(f"{value!r} is not a plain name")
    return value


def cmd_quoted(value: str) -> str:
    """``value`` unchanged for the inside of a cmd ``"..."`` string when it holds nothing cmd expands or ends the
    string with (``%``, ``!``, ``"``, ``^``, ``&``...); else ValidationError."""
    if not _CMD_SAFE.fullmatch(value):
        raise ValidationError(f"{value!r} cannot be put into a cmd script")
    return value


def comment_text(value: str) -> str:
    """Free text made safe for a comment or message line in PowerShell, cmd and YAML (others become ``_``)."""
    return _COMMENT_UNSAFE.sub("_", value)[:120]


_ESCAPERS: dict[str, Callable[[str], str]] = {
    "ps": ps_single_quoted,
    "yaml": yaml_single_quoted,
    "token": token,
    "cmd": cmd_quoted,
    "comment": comment_text,
}


def fill(template: str, values: Mapping[str, str], parts: Mapping[str, str]) -> str:
    """``template`` with each placeholder replaced by its escaped value; raises ValidationError for an unknown
    placeholder name (a template bug: nothing is guessed) or a value its escaper refuses."""

    def replace(match: re.Match[str]) -> str:
        kind, name = match.group(1), match.group(2)
        if kind == "part":
            if name not in parts:
                raise ValidationError(f"the template part {name!r} is missing")
            return fill(parts[name], values, {})
        if name not in values:
            raise ValidationError(f"the template names an unknown value {name!r}")
        return _ESCAPERS[kind](values[name])

    filled = _PLACEHOLDER.sub(replace, template)
    if _LEFTOVER.search(filled):
        raise ValidationError("a template placeholder is malformed")
    return filled


@dataclass(frozen=True)
class GlueInput:
    """What the generated files say and embed."""

    tool: Tool
    settings: Mapping[Family, LoopbackSettings]
    profile_name: str  # the file the admin gave, for the headers only
    app_version: str
    note: str = ""

    def __post_init__(self) -> None:
        if not _VERSION.fullmatch(self.app_version):
            raise ValidationError(f"unexpected app version {self.app_version!r}")
        if not self.settings:
            raise ValidationError("the profile has neither ipv4 nor ipv6 settings")


def profile_text(glue: GlueInput) -> str:
    """The profile copy written beside the scripts (and embedded in them): re-serialised from validated values."""
    return dump_profile(dict(glue.settings), note=glue.note)


def summary(settings: Mapping[Family, LoopbackSettings]) -> str:
    return " / ".join(f"{family.label}: {settings[family].describe()}" for family in Family if family in settings)


def render(glue: GlueInput, templates: Mapping[str, str]) -> dict[str, str]:
    """Every file ``deploy --for glue.tool`` writes, by name, with its content (the profile copy included)."""
    profile_json = profile_text(glue)
    values = {
        "PROFILE_NAME": comment_text(glue.profile_name),
        "PROFILE_JSON": json.dumps(json.loads(profile_json), separators=(",", ":")),  # one line, ASCII
        "PROFILE_FILE": PROFILE_COPY,
        "VALUES": comment_text(summary(glue.settings)),
        "APP_VERSION": glue.app_version,
        "APP_ID": APP_ID,
        "UNINSTALL_KEY": UNINSTALL_KEY,
        "CLI_EXE": CLI_EXE,
        "EVENT_SOURCE": EVENT_SOURCE,
        "INSTALLER": f"loopback-tuner-{glue.app_version}-setup.exe",
    }
    parts = {name: templates[name] for name in PARTS if name in templates}
    out = {PROFILE_COPY: profile_json}
    for filename, template in FILES[glue.tool]:
        if template not in templates:
            raise ValidationError(f"the template {template} is missing from this installation")
        out[filename] = fill(templates[template], values, parts)
    return out
