"""show's netsh runs start before the command line imports its parser or the domain (app/cli_parts/early.py, issue
16), only when the arguments plainly ask for show on Windows' netsh or the simulated machine, and are taken only when
the full parse agrees."""

from __future__ import annotations

import io
import itertools
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

import app.runners.early as early_module
from app.cli import run
from app.cli_parts.early import plain_show_options, start_show
from app.cli_parts.exits import UsageError
from app.cli_parts.parser import build_parser
from app.domain.model import ExecutionMode, Family
from app.runners.early import StartedRead, start_read
from app.runners.factory import ENV_NETSH, Backend, BackendKind, choose_backend
from tests.conftest import SUBPROCESS_TIMEOUT_S, MakeState


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["show"], {}),
        (["show", "--json"], {}),
        (["--backend", "simulated", "show", "--json", "--store", "persistent"], {"backend": "simulated"}),
        (
            ["--backend=simulated", "--state=/s.json", "-v", "show", "--store=active"],
            {"backend": "simulated", "state": "/s.json"},
        ),
        (["--state", "/a.json", "--state", "/b.json", "show"], {"state": "/b.json"}),  # the last wins, as in argparse
        (["--verbose", "--netsh", "/x/netsh", "show"], {"netsh": "/x/netsh"}),
        (["--state", "show", "show"], {"state": "show"}),  # a value, never the command
    ],
)
def test_a_plain_show_and_its_backend_options(argv: list[str], expected: dict[str, str]) -> None:
    assert plain_show_options(argv) == expected


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["set", "--family", "ipv4", "--mode", "inline"],
        ["report"],
        ["show", "--help"],
        ["-h", "show"],
        ["--version"],
        ["show", "extra"],
        ["show", "show"],
        ["show", "--store", "saved"],
        ["show", "--store"],
        ["show", "--store", "--json"],
        ["show", "--jso"],  # no abbreviations in the parser: never guessed here either
        ["--back", "simulated", "show"],
        ["--backend", "show"],
        ["--state", "-x", "show"],
        ["--state=", "show"],
        ["show", "--backend", "simulated"],  # a global option after the command: the parser refuses it
        ["show", "--json=yes"],
        ["--", "show"],
        ["-vv", "show"],
        ["--state"],
    ],
)
def test_anything_else_is_left_to_the_full_parse(argv: list[str]) -> None:
    assert plain_show_options(argv) is None


def _parsed_backend_options(argv: Sequence[str]) -> dict[str, str] | None:
    """What the command line's own parser makes of ``argv``: show's backend options, or None (not a show, or
    refused)."""
    try:
        args = build_parser(list(argv)).parse_args(list(argv))
    except (UsageError, SystemExit):
        return None
    if args.command != "show":
        return None
    names = ("backend", "netsh", "state", "capture")
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


WORDS = (
    "show",
    "--json",
    "--store",
    "active",
    "--backend",
    "simulated",
    "netsh",
    "--state",
    "/s",
    "-v",
    "--netsh",
    "--capture",
    "--backend=simulated",
    "--store=persistent",
    "--state=/t",
    "x",
    "-h",
)


def test_whenever_the_look_finds_a_show_the_parser_finds_the_same_show(capsys: pytest.CaptureFixture[str]) -> None:
    """Every argument list of up to four of these words: a plain show found by the early look is the parse's show
    with the same backend options (never the other way round: the look may leave a show to the full parse)."""
    found = 0
    for length in range(5):
        for argv in itertools.product(WORDS, repeat=length):
            options = plain_show_options(argv)
            if options is not None:
                found += 1
                assert _parsed_backend_options(argv) == options, argv
    capsys.readouterr()  # argparse's help and usage text for the refused ones
    assert found > 100


def test_a_named_netsh_is_never_run_from_the_early_look(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    started: list[Backend] = []
    monkeypatch.setattr(early_module, "start_read", lambda backend: started.append(backend))
    assert start_show(["--netsh", str(tmp_path / "netsh"), "show"], environ={}) is None
    assert start_show(["show"], environ={ENV_NETSH: str(tmp_path / "netsh")}) is None
    assert start_show(["--backend", "netsh", "show"], environ={ENV_NETSH: str(tmp_path / "netsh")}) is None
    assert start_show(["--backend", "simulated", "--capture", str(tmp_path / "c.txt"), "show"], environ={}) is None
    assert start_show(["--backend", "netsh", "--state", "/s", "show"], environ={}) is None  # refused by the parse
    assert started == []
    # the simulated machine ignores LOOPBACK_TUNER_NETSH: its read is started
    state = str(tmp_path / "state.json")
    start_show(["--backend", "simulated", "--state", state, "show"], environ={ENV_NETSH: str(tmp_path / "netsh")})
    assert started == [choose_backend(backend="simulated", state=state, environ={})]


def test_a_failing_early_start_is_left_to_the_full_parse(
    monkeypatch: pytest.MonkeyPatch, make_state: MakeState
) -> None:
    """The early start is only a head start: whatever goes wrong there (here: an error nobody expects) is met again,
    and reported, by the full parse's own start; the early look itself never ends the command line."""

    def failing(_backend: Backend) -> StartedRead:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(early_module, "start_read", failing)
    assert start_show(["--state", str(make_state().path), "show"], environ={}) is None


def test_a_plain_show_starts_the_read_on_the_backend_the_parse_chooses(make_state: MakeState) -> None:
    state = make_state()
    started = start_show(["--state", str(state.path), "show", "--json"], environ={})
    assert isinstance(started, StartedRead)
    assert started.backend == Backend(BackendKind.SIMULATED, state=state.path.absolute())
    assert started.simulated is not None and started.simulated.path == state.path.absolute()


def test_runs_started_for_another_backend_are_not_taken(make_state: MakeState) -> None:
    """run() takes the early runs only when the full parse chose the same backend (defence in depth: the look and
    the parser agree, tested above)."""
    here, elsewhere = make_state(name="here.json", elevated=True), make_state(name="elsewhere.json", elevated=True)
    elsewhere.update(lambda m: m.execute(["interface", "ipv4", "set", "global", "loopbackexecutionmode=inline"]))
    wrong = start_read(Backend(BackendKind.SIMULATED, state=elsewhere.path))
    argv = ["--state", str(here.path), "show", "--json"]
    out = io.StringIO()
    assert run(build_parser(argv).parse_args(argv), out, io.StringIO(), wrong) == 0
    assert json.loads(out.getvalue())["ipv4"]["execution_mode"] == ExecutionMode.ADAPTIVE.value
    assert here.load().active[Family.IPV4].execution_mode is ExecutionMode.ADAPTIVE


ORDER_PROBE = r"""
import sys
import app.runners.prefetch as prefetch
loaded_then = {}
original = prefetch.PrefetchingRunner.__init__
def probe(self, inner, argvs):
    for name in ("dataclasses", "argparse", "app.cli_parts.parser", "app.domain.model", "app.simulator.machine"):
        loaded_then[name] = name in sys.modules
    original(self, inner, argvs)
prefetch.PrefetchingRunner.__init__ = probe
import app.cli
code = app.cli.main()
print(loaded_then, file=sys.stderr)
sys.exit(code)
"""


def test_show_starts_its_runs_before_importing_the_parser_or_the_domain(make_state: MakeState) -> None:
    """The runs of a plain show are on their threads before the parser, argparse, dataclasses or the domain's
    values are imported: all of that is imported while netsh runs (make bench's figure 3)."""
    done = subprocess.run(
        [sys.executable, "-c", ORDER_PROBE, "--state", str(make_state().path), "show", "--json"],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)) == {"ipv4", "ipv6"}
    assert done.stderr.strip().splitlines()[-1] == str(
        {
            "dataclasses": False,
            "argparse": False,
            "app.cli_parts.parser": False,
            "app.domain.model": False,
            "app.simulator.machine": False,
        }
    )


def _import_cycles() -> list[list[str]]:
    """The app's import cycles (strongly connected groups of modules, type-checking imports left out)."""
    import grimp

    graph = grimp.build_graph("app", include_external_packages=False, exclude_type_checking_imports=True)
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in order:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], order[imported])
        if low[module] == order[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in order:
            visit(module)
    return cycles


def test_no_import_cycle_among_what_the_early_runs_and_the_command_line_import_at_once() -> None:
    """An early read's threads import the simulator and the domain while the main thread imports the parser, the
    domain and the rest. Python locks each module, so two threads importing at once is safe unless modules import
    each other in a cycle (each thread could then hold one and wait for the other: a "deadlock detected" error)."""
    concurrent = ("app.domain", "app.simulator", "app.runners", "app.storage", "app.usecases", "app.cli_parts")
    cycles = [group for group in _import_cycles() if any(m.startswith(concurrent) for m in group)]
    assert cycles == []
    assert any("app.elevation.helper" in group for group in _import_cycles())  # the search finds cycles where they are
