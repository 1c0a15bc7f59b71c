"""The README's exit-code table, row by row: every way a read or a change ends gives its documented code.

Each row runs twice: through the installed ``loopback-tuner-cli`` entry point in a child process (what a user or a
script sees), and in this process through ``app.cli.main(argv)`` (so a mutation-testing tool's mutated copy of the
CLI is what runs). The simulated machine and its faults produce each outcome; the few that the simulator cannot
produce (a helper that crashes, breaks the protocol, or whose channel fails) are injected in-process only, at the
helper's channel boundary, by starting the real helper under a small wrapper (``HELPER_WRAPPER``).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

import app.cli
from app.cli_parts.common import EXIT_CODES, EXIT_FOR, PRECEDENCE, Ending
from app.domain.model import Family
from app.elevation.launchers import AdminTerminalRequiredError, ProcessLauncher
from app.simulator.machine import SIMULATED_INITIAL
from app.simulator.profile import Fault, SimProfile, UacAnswer
from app.simulator.store import SimStateFile
from app.storage.files import InterProcessLock
from tests.conftest import FIXTURES, REPO, SUBPROCESS_TIMEOUT_S, read_until, write_fake_netsh

pytestmark = pytest.mark.skipif(os.name == "nt", reason="#! scripts stand in for netsh in some rows")

TRIAL = ("set", "--family", "ipv4", "--workers", "8", "--trial", "30")
SET = ("set", "--family", "ipv4", "--workers", "8", "--yes")
APPLIED = "Applied for a trial"
UNKNOWN = "de-DE-like-unknown-labels-cp850"  # a table whose labels are not known: unrecognized


@dataclass(frozen=True)
class Row:
    """One outcome: the CLI arguments (after the backend options), the machine, and what happens mid-trial."""

    outcome: str
    code: int
    args: tuple[str, ...]
    profile: SimProfile = field(default_factory=SimProfile)
    answer: str | None = ""  # the trial's answer on stdin; None keeps stdin open (nobody answers in time)
    fault_after_apply: Fault | None = None  # set on the machine once the trial is applied, before the answer
    netsh: str | None = None  # "elevation" (the simulator's netsh, unelevated), "missing", "mixed:<ipv4>:<ipv6>"
    hold_lock: bool = False


ROWS = [
    Row("kept", 0, SET),
    Row("kept after a trial", 0, TRIAL, answer="y\n"),
    Row("no terminal and no --yes, --trial or --dry-run: nothing runs", 2, SET[:-1]),
    Row("reverted: asked (answered no)", 7, TRIAL, answer="n\n"),
    Row("reverted: asked (end of input)", 7, TRIAL),
    Row("reverted: no answer before the deadline", 7, (*TRIAL[:-1], "1"), answer=None),
    Row("failed (the helper put back what it touched)", 3, SET, SimProfile(faults=frozenset({Fault.SET_FAILS}))),
    Row("--yes: a value did not stick, so it was reverted", 3, SET, SimProfile(faults=frozenset({Fault.SET_IGNORED}))),
    Row("kept, but not saved", 3, SET, SimProfile(faults=frozenset({Fault.PERSIST_IGNORED}))),
    Row("keep failed (lasts until reboot)", 3, TRIAL, answer="y\n", fault_after_apply=Fault.SET_FAILS),
    Row("revert failed (the trial's values are still in place)", 3, TRIAL, answer="n\n", fault_after_apply=Fault.SET_FAILS),  # noqa: E501
    Row("prompt cancelled", 5, SET, SimProfile(uac=UacAnswer.CANCEL)),
    Row("not elevated (netsh refuses the change)", 5, SET, netsh="elevation"),
    Row("busy", 6, SET, hold_lock=True),
    Row("unsupported: set", 4, SET, SimProfile(build=17134)),
    Row("unsupported: show", 4, ("show",), SimProfile(build=17134)),
    Row("unrecognized: show", 3, ("show",), SimProfile(language="zh-CN")),
    Row("unrecognized: set", 3, SET, SimProfile(language="zh-CN")),
    Row("netsh failed: show", 3, ("show",), SimProfile(faults=frozenset({Fault.SHOW_FAILS}))),
    Row("netsh missing", 3, ("show",), netsh="missing"),
    # Mixed per family. "Unsupported" comes only from the build, which both families share, so it never mixes;
    # a custom program's build is unknown, so its table without loopback rows is "unrecognized" (3), never 4.
    Row("mixed: no loopback rows and unrecognized -> 3", 3, ("show",), netsh=f"mixed:en-US-pre1809:{UNKNOWN}"),
    Row("mixed: no loopback rows and readable -> 3 wins", 3, ("show",), netsh="mixed:en-US-pre1809:en-US-shuffled"),
    Row("mixed: set both, no loopback rows and readable -> 3", 3, ("set", "--family", "both", "--workers", "8", "--yes"), netsh="mixed:en-US-pre1809:en-US-shuffled"),  # noqa: E501
    Row("mixed: set both, no loopback rows and unrecognized -> 3", 3, ("set", "--family", "both", "--workers", "8", "--yes"), netsh="mixed:en-US-pre1809:de-DE-like-unknown-labels-cp850"),  # noqa: E501
]  # fmt: skip


def _netsh_program(row: Row, tmp_path: Path, state: Path) -> Path | None:
    if row.netsh is None:
        return None
    if row.netsh == "missing":
        return tmp_path / "no-such-netsh"
    if row.netsh == "elevation":  # the simulator's netsh, run as the user (no --as-admin): it refuses every set
        path = tmp_path / "netsh"
        path.write_text(
            f"#!{sys.executable}\nimport sys\n"  # the installed app (under mutmut, never the mutated copy)
            "from app.simulator.netsh import main\n"
            f"sys.exit(main(['--state', {str(state)!r}, *sys.argv[1:]]))\n",
            encoding="utf-8",
        )
        path.chmod(0o755)
        return path
    _, ipv4, ipv6 = row.netsh.split(":")  # recorded outputs, one per family
    return write_fake_netsh(tmp_path / "netsh", {"ipv4": FIXTURES / f"{ipv4}.txt", "ipv6": FIXTURES / f"{ipv6}.txt"})


@dataclass
class Prepared:
    argv: list[str]
    state: SimStateFile


@pytest.fixture
def prepare(tmp_path: Path) -> Callable[[Row], Prepared]:
    def make(row: Row) -> Prepared:
        state = SimStateFile(tmp_path / "state.json")
        state.set_profile(row.profile)
        netsh = _netsh_program(row, tmp_path, state.path)
        backend = ["--netsh", str(netsh)] if netsh is not None else ["--state", str(state.path)]
        return Prepared([*backend, *row.args], state)

    return make


def _set_fault(state: SimStateFile, fault: Fault) -> None:
    profile = state.load().profile
    state.set_profile(replace(profile, faults=profile.faults | {fault}))


def installed_cli() -> str:
    """The ``loopback-tuner-cli`` script pip installed beside this interpreter (pyproject's [project.scripts])."""
    found = shutil.which("loopback-tuner-cli", path=str(Path(sys.executable).parent))
    assert found is not None, "the package is not installed (make venv)"
    return found


def run_child(row: Row, prepared: Prepared, tmp_path: Path) -> tuple[int, str, str]:
    process = subprocess.Popen(
        [installed_cli(), *prepared.argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None and process.stdin is not None
        if row.fault_after_apply is not None:
            read_until(process.stdout, APPLIED)
            _set_fault(prepared.state, row.fault_after_apply)
        if row.answer is None:  # stdin stays open: the CLI's own countdown ends the trial
            process.wait(SUBPROCESS_TIMEOUT_S)
            out, err = process.communicate(timeout=SUBPROCESS_TIMEOUT_S)
        else:
            out, err = process.communicate(row.answer, timeout=SUBPROCESS_TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=SUBPROCESS_TIMEOUT_S)
    return process.returncode, out, err


class Answer(io.StringIO):
    """stdin for main(): runs ``before`` when the trial asks (it is applied by then), then answers (or never)."""

    def __init__(self, text: str | None, before: Callable[[], None] = lambda: None) -> None:
        super().__init__()
        self.text, self.before, self.release = text, before, threading.Event()

    def readline(self, size: int | None = -1) -> str:
        self.before()
        if self.text is None:
            self.release.wait(SUBPROCESS_TIMEOUT_S)  # released at the end of the test
            return ""
        return self.text


def run_in_process(row: Row, prepared: Prepared, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    fault = row.fault_after_apply
    stdin = Answer(row.answer, (lambda: _set_fault(prepared.state, fault)) if fault is not None else lambda: None)
    out = io.StringIO()
    try:
        code = app.cli.main(prepared.argv, out=out, stdin=stdin)
    finally:
        stdin.release.set()
    return code, out.getvalue(), capsys.readouterr().err


def _expected_lines(row: Row, code: int, out: str, err: str) -> None:
    """What the row's outcome says besides its code (the parts the README promises)."""
    assert "Traceback" not in err, err
    if row.outcome.startswith("revert failed"):
        assert "the trial's values are still in place" in err
    if row.outcome.startswith("keep failed"):
        assert "could not be saved" in err
    if row.code == 5 and row.netsh == "elevation":
        assert "requires elevation" in out + err  # netsh's own words reach the user; the code came from the type


@pytest.mark.parametrize("row", ROWS, ids=[r.outcome for r in ROWS])
def test_the_installed_entry_point_exits_with_the_documented_code(
    row: Row, prepare: Callable[[Row], Prepared], tmp_path: Path
) -> None:
    prepared = prepare(row)
    with _maybe_hold(row, prepared):
        code, out, err = run_child(row, prepared, tmp_path)
    assert code == row.code, (out, err)
    _expected_lines(row, code, out, err)


@pytest.mark.parametrize("row", ROWS, ids=[r.outcome for r in ROWS])
def test_main_in_process_exits_with_the_documented_code(
    row: Row, prepare: Callable[[Row], Prepared], capsys: pytest.CaptureFixture[str]
) -> None:
    prepared = prepare(row)
    with _maybe_hold(row, prepared):
        code, out, err = run_in_process(row, prepared, capsys)
    assert code == row.code, (out, err)
    _expected_lines(row, code, out, err)


@contextlib.contextmanager
def _maybe_hold(row: Row, prepared: Prepared) -> Iterator[None]:
    if not row.hold_lock:
        yield
        return
    from app.paths import AppPaths

    with InterProcessLock(AppPaths.default().transaction_lock).hold():
        yield


# --- outcomes the simulator cannot produce: injected in-process, at the helper's boundary -------------------------

# The real helper (app.elevation.helper.main) in a child process, with its channel to the app wrapped: the fault
# named by argv[1] happens where a real one would (a crash, a garbled message, a channel that drops). The trial code
# that reacts to it is the real one; only the connection is replaced.
HELPER_WRAPPER = """
import os, sys
import app.elevation.channel as channel
from app.elevation import helper

FAULT = sys.argv[1]
real_connect = channel.connect_to_app
if FAULT == "crash-before-connecting":
    os._exit(70)


class Faulty:
    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.conn.close()

    def close(self):
        self.conn.close()

    def send_bytes(self, data):
        self.conn.send_bytes(b"not a message" if FAULT == "protocol-error" else data)

    def poll(self, timeout=0.0):
        return False if FAULT == "deadline" else self.conn.poll(timeout)

    def recv_bytes(self, maxlength=None):
        data = self.conn.recv_bytes(maxlength)
        if FAULT == "channel-dropped":
            raise EOFError
        if FAULT == "bad-message":
            return b'{"type": "decision", "decision": "maybe"}'
        if FAULT == "helper-error":
            raise RuntimeError("injected: a bug in the helper after the change was applied")
        if FAULT == "crash-mid-trial":
            os._exit(70)
        return data


channel.connect_to_app = lambda *args, **kwargs: Faulty(real_connect(*args, **kwargs))
sys.exit(helper.main(sys.argv[2:]))
"""


@dataclass(frozen=True)
class Injected:
    outcome: str
    code: int
    fault: str
    answer: str = "y\n"


INJECTED = [
    Injected("reverted: the helper's own deadline passed", 7, "deadline"),
    Injected("reverted: the channel dropped", 7, "channel-dropped"),
    Injected("reverted: a bad message on the channel", 7, "bad-message"),
    Injected("reverted: the helper hit an error and put the values back", 7, "helper-error"),
    Injected("helper crashed before connecting", 3, "crash-before-connecting"),
    Injected("helper crashed mid-trial", 3, "crash-mid-trial"),
    Injected("protocol error", 3, "protocol-error"),
]


@pytest.mark.parametrize("case", INJECTED, ids=[c.outcome for c in INJECTED])
def test_helper_faults_in_process_exit_with_the_documented_code(
    case: Injected, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wrapper = tmp_path / "helper_wrapper.py"
    wrapper.write_text(HELPER_WRAPPER, encoding="utf-8")
    launcher = ProcessLauncher([sys.executable, str(wrapper), case.fault])
    monkeypatch.setattr("app.wiring.make_launcher", lambda backend, owner_hwnd=None, **_: launcher)
    state = SimStateFile(tmp_path / "state.json")
    state.set_profile(SimProfile())
    row = Row(case.outcome, case.code, TRIAL, answer=case.answer)
    code, out, err = run_in_process(row, Prepared(["--state", str(state.path), *TRIAL], state), capsys)
    assert code == case.code, (out, err)
    assert "Traceback" not in err
    if case.code == 7:
        assert f"Reverted ({case.fault}): the previous values are back." in out
        assert state.load().active == dict.fromkeys(Family, SIMULATED_INITIAL)  # truly put back


class _Refusing:
    prompts = 0

    def __init__(self, error: Exception) -> None:
        self.error = error

    def launch(self, args: object, authkey: bytes) -> object:
        raise self.error


@pytest.mark.parametrize(
    ("outcome", "error", "code"),
    [
        ("needs an administrator terminal", AdminTerminalRequiredError("open a terminal as administrator"), 5),
        ("the helper could not be started", None, 5),
    ],
)
def test_start_failures_in_process_exit_5(
    outcome: str,
    error: Exception | None,
    code: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The admin-terminal refusal exists only on Windows (UacLauncher): injected at the launcher boundary. A launcher
    # whose program is missing is the real ProcessLauncher failing to start.
    launcher = _Refusing(error) if error is not None else ProcessLauncher([str(tmp_path / "missing-helper")])
    monkeypatch.setattr("app.wiring.make_launcher", lambda backend, owner_hwnd=None, **_: launcher)
    state = SimStateFile(tmp_path / "state.json")
    row = Row(outcome, code, SET)
    done, out, err = run_in_process(row, Prepared(["--state", str(state.path), *SET], state), capsys)
    assert done == code, (out, err)
    assert err.count("\n") == 1 and "Traceback" not in err


def test_every_ending_has_a_documented_code_and_the_precedence_covers_every_code() -> None:
    assert set(EXIT_FOR) == set(Ending)
    assert set(EXIT_FOR.values()) <= set(EXIT_CODES)
    assert set(PRECEDENCE) >= set(EXIT_FOR.values())
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Exit codes") :]
    for ending in Ending:
        assert f"`{ending.value}`" in section, ending
