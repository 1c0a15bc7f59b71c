"""Shared fixtures: an isolated per-user folder for every test, and simulated machines with a chosen profile."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from app.domain.model import Family, LoopbackSettings
from app.paths import AppPaths
from app.runners.factory import ENV_NETSH
from app.simulator.machine import SimulatedMachine
from app.simulator.profile import SimProfile
from app.simulator.store import SimStateFile

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "netsh"
# Copies of /work/shared/netsh/samples (real captures of other netsh commands, each with its source in '#' lines).
SAMPLES = FIXTURES / "samples"
# A child process must never hang the suite: every subprocess the tests start gets this limit.
SUBPROCESS_TIMEOUT_S = 60

# No per-example deadline: a loaded CI machine must not turn a slow example into a failure.
settings.register_profile("loopback-tuner", deadline=None)
settings.load_profile("loopback-tuner")

MakeState = Callable[..., SimStateFile]


def parse_show_global(text: str) -> LoopbackSettings:
    """The parser with the installed display-language table, as the reading layer calls it."""
    from app.domain import parser
    from app.language_data import known_languages

    return parser.parse_show_global(text, known_languages())


RunCli = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point LOOPBACK_TUNER_HOME at a fresh folder and drop LOOPBACK_TUNER_NETSH (children inherit both)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("LOOPBACK_TUNER_HOME", str(home))
    monkeypatch.delenv(ENV_NETSH, raising=False)
    return home


@pytest.fixture
def paths(isolated_home: Path) -> AppPaths:
    """The app's per-user paths, inside the isolated home."""
    return AppPaths.default()


@pytest.fixture
def make_state(tmp_path: Path) -> MakeState:
    """``make_state(profile=..., name=..., **profile_fields)``: a state file holding a fresh simulated machine."""

    def make(profile: SimProfile | None = None, *, name: str = "state.json", **fields: Any) -> SimStateFile:
        state = SimStateFile(tmp_path / name)
        machine = SimulatedMachine(profile if profile is not None else SimProfile(**fields))
        state.update(lambda m: _replace_machine(m, machine))
        return state

    return make


def _replace_machine(target: SimulatedMachine, source: SimulatedMachine) -> None:
    target.profile, target.active, target.persistent = source.profile, dict(source.active), dict(source.persistent)
    target.boots, target.hung_once = source.boots, source.hung_once


def machine_values(state: SimStateFile) -> tuple[dict[Family, LoopbackSettings], dict[Family, LoopbackSettings]]:
    """(active, persistent) of the machine in ``state``."""
    machine = state.load()
    return dict(machine.active), dict(machine.persistent)


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli", *args]


@pytest.fixture
def run_cli(tmp_path: Path) -> RunCli:
    """``run_cli(*args, input=None, env=None)``: the command line in a child process, in ``tmp_path``."""

    def run(
        *args: str,
        input: str | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            cli_command(*args),
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env if env is not None else dict(os.environ),
            timeout=SUBPROCESS_TIMEOUT_S,
            check=False,
        )

    return run


def read_until(stream: Any, marker: str) -> str:
    """Read a child's text stream line by line until a line contains ``marker``; fails at EOF."""
    seen: list[str] = []
    for line in stream:
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"{marker!r} never appeared; got {''.join(seen)!r}")


def strip_comments(data: bytes) -> bytes:
    """A sample file without its leading ``#`` provenance lines."""
    lines = data.splitlines(keepends=True)
    while lines and lines[0].startswith(b"#"):
        lines.pop(0)
    return b"".join(lines)


def write_fake_netsh(path: Path, outputs: dict[str, Path] | Path, exit_code: int = 0) -> Path:
    """An executable script standing in for netsh: prints a recorded output (per family, when a dict)."""
    if isinstance(outputs, Path):
        outputs = {"ipv4": outputs, "ipv6": outputs}
    table = {family: str(file) for family, file in outputs.items()}
    path.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        f"TABLE = {table!r}\n"
        "family = sys.argv[2] if len(sys.argv) > 2 else ''\n"
        "with open(TABLE[family], 'rb') as handle:\n"
        "    sys.stdout.buffer.write(handle.read())\n"
        f"sys.exit({exit_code})\n",
        encoding="utf-8",
    )
    path.chmod(0o755)
    return path
