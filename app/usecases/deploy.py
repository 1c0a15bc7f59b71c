"""``deploy``: write the glue a management tool needs (scripts or a playbook) next to a copy of the profile.

Everything is validated and rendered in memory first, then written into a fresh folder beside the target and
moved into place, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.domain.glue import TEMPLATES, GlueInput, Tool, render
from app.usecases.compliance import load_profile_path


class DeployError(Exception):
    """The output folder cannot be used or written; the message says why. Nothing was left half-written."""


@dataclass(frozen=True)
class Deployed:
    """What ``deploy`` wrote."""

    folder: Path
    files: tuple[str, ...]


def load_templates(read: Callable[[str], str]) -> dict[str, str]:
    """Every template ``render`` may need, read with ``read(name)`` (the resources folder's deploy/NAME)."""
    return {name: read(name) for name in TEMPLATES}


def deploy(
    profile_path: Path,
    tool: Tool,
    output: Path,
    *,
    force: bool,
    app_version: str,
    templates: dict[str, str],
) -> Deployed:
    """Validate the profile, render the files for ``tool`` and write them into ``output`` (created).

    Raises ValidationError for a profile that is not usable, DeployError for an output folder that exists and is
    not empty (without ``force``), that is a file, whose parent is missing, or that cannot be written.
    """
    settings = load_profile_path(profile_path)
    rendered = render(GlueInput(tool, settings, profile_path.name, app_version), templates)
    if output.exists() and not output.is_dir():
        raise DeployError(f"{output} exists and is not a folder")
    if output.is_dir() and any(output.iterdir()) and not force:
        raise DeployError(f"{output} exists and is not empty; add --force to write into it")
    parent = output.absolute().parent
    if not parent.is_dir():  # like export: a typo must not create a tree of folders somewhere
        raise DeployError(f"the folder {parent} does not exist; create it first, or choose another")
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{output.name}-", dir=parent))
    except OSError as exc:
        raise DeployError(f"{parent} cannot be written: {exc.strerror or exc}") from None
    try:
        for name, text in rendered.items():
            with open(staging / name, "w", encoding="utf-8", newline=_newline(name)) as handle:
                handle.write(text)
        if output.is_dir():
            for name in rendered:
                os.replace(staging / name, output / name)
        else:
            os.rename(staging, output)
    except OSError as exc:
        raise DeployError(f"{output} could not be written: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Deployed(output, tuple(rendered))


def _newline(name: str) -> str:
    """Windows line endings for the files Windows runs (cmd needs them), plain ones for YAML and JSON."""
    return "\r\n" if name.endswith((".cmd", ".ps1")) else "\n"
