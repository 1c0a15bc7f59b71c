"""The CLI's prompts in-process, on a virtual clock: the exact text of the trial's question and countdown, what
is flushed before waiting, the deadline's boundaries, the reader thread, and the corrupt-state note."""

from __future__ import annotations

import io
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.cli_parts import common
from app.domain.model import Change, ExecutionMode, Family, FamilyChange, LoopbackSettings
from app.runners.factory import Backend, BackendKind


class Out(io.StringIO):
    """A terminal (or not) that knows whether everything written so far was flushed."""

    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty
        self.pending = False

    def isatty(self) -> bool:
        return self.tty

    def write(self, s: str) -> int:
        if s:
            self.pending = True
        return super().write(s)

    def flush(self) -> None:
        self.pending = False
        super().flush()


class Held(io.StringIO):
    """A stdin whose readline blocks until released (the user has not typed yet); it records the flush state."""

    def __init__(self, line: str = "", out: Out | None = None) -> None:
        super().__init__()
        self.line = line
        self.out = out
        self.release = threading.Event()
        self.reading = threading.Event()
        self.unflushed_at_read: bool | None = None

    def readline(self, size: int | None = -1) -> str:
        self.reading.set()
        if self.out is not None:
            self.unflushed_at_read = self.out.pending
        self.release.wait(30)
        return self.line


class Clock:
    """common's ``time`` and the wait for the answer: a wait that times out moves the virtual clock by its timeout."""

    def __init__(self, out: Out, answer_at: float | None = None, stdin: Held | None = None) -> None:
        self.now = 100.0
        self.out = out
        self.answer_at = answer_at
        self.stdin = stdin
        self.timeouts: list[float | None] = []

    def monotonic(self) -> float:
        return self.now

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real_wait = common.StdinLine.wait
        clock = self

        def wait(line: common.StdinLine, timeout_s: float | None) -> str | None:
            assert not clock.out.pending, "the prompt must be flushed before waiting for the answer"
            assert len(clock.timeouts) < 50, "the countdown did not end"
            clock.timeouts.append(timeout_s)
            assert timeout_s is not None
            if clock.answer_at is not None and clock.now + timeout_s >= clock.answer_at and clock.stdin is not None:
                clock.now = clock.answer_at
                clock.stdin.release.set()  # the user types now: the real reader thread delivers the line
                return real_wait(line, 30)
            clock.now += timeout_s
            return None

        monkeypatch.setattr(common.StdinLine, "wait", wait)


def keep(monkeypatch: pytest.MonkeyPatch, seconds: int, *, tty: bool, answer_at: float | None = None, line: str = ""):
    out = Out(tty)
    stdin = Held(line)
    clock = Clock(out, answer_at, stdin)
    monkeypatch.setattr(common, "time", SimpleNamespace(monotonic=clock.monotonic))
    clock.install(monkeypatch)
    try:
        result = common.ask_keep(seconds, stdin, out)
    finally:
        stdin.release.set()
    return result, out.getvalue(), clock.timeouts


def test_no_answer_on_a_terminal_counts_down_to_zero_then_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    result, text, timeouts = keep(monkeypatch, 3, tty=True)
    assert result == (False, "no answer in time")
    assert timeouts == [1.0, 1.0, 1.0]
    assert text == (
        "Reverting in 3 s unless you keep the change.\n"
        "Keep these settings? [y/N] "
        "\rKeep these settings? [y/N] (reverting in  2 s) "
        "\rKeep these settings? [y/N] (reverting in  1 s) "
        "\rKeep these settings? [y/N] (reverting in  0 s) "
        "\nNo answer in time.\n"
    )


def test_no_answer_elsewhere_prints_the_question_on_its_own_line_and_no_countdown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result, text, timeouts = keep(monkeypatch, 2, tty=False)
    assert result == (False, "no answer in time")
    assert timeouts == [1.0, 1.0]
    assert text == ("Reverting in 2 s unless you keep the change.\nKeep these settings? [y/N] \n\nNo answer in time.\n")


def test_the_last_wait_is_only_what_is_left_and_the_deadline_itself_ends_it(monkeypatch: pytest.MonkeyPatch) -> None:
    out = Out(False)
    stdin = Held()
    clock = Clock(out)
    times = iter([100.0, 100.0, 101.5])  # the deadline (100 + 2), then 2 s left, then 0.5 s left

    def monotonic() -> float:
        clock.now = next(times, clock.now)
        return clock.now

    monkeypatch.setattr(common, "time", SimpleNamespace(monotonic=monotonic))
    clock.install(monkeypatch)
    try:
        result = common.ask_keep(2, stdin, out)
    finally:
        stdin.release.set()
    # 2 s left: wait 1 s (moves to 101); the clock says 101.5: 0.5 s left is still waited for; then exactly 0 left.
    assert clock.timeouts == [1.0, 0.5]
    assert result == (False, "no answer in time")


def test_an_answer_during_the_countdown_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    result, text, timeouts = keep(monkeypatch, 5, tty=True, answer_at=101.5, line="yes\n")
    assert result == (True, "")
    assert timeouts == [1.0, 1.0]
    assert text.endswith("\rKeep these settings? [y/N] (reverting in  4 s) ")  # no countdown once answered
    result, text, _ = keep(monkeypatch, 5, tty=True, answer_at=100.5, line="n\n")
    assert result == (False, "answered no")
    assert text == "Reverting in 5 s unless you keep the change.\nKeep these settings? [y/N] "


def test_ask_keep_reads_with_a_daemon_thread_named_stdin() -> None:
    stdin = Held("y\n")
    before = set(threading.enumerate())
    with ThreadPoolExecutor(1, thread_name_prefix="asker") as pool:
        asked = pool.submit(common.ask_keep, 5, stdin, Out(False))
        assert stdin.reading.wait(30)  # the reader thread is in readline: the user has not answered yet
        seen = [t for t in set(threading.enumerate()) - before if not t.name.startswith("asker")]
        stdin.release.set()
        assert asked.result(30) == (True, "")
    assert [(t.name, t.daemon) for t in seen] == [("stdin", True)]


class Broken(io.StringIO):
    def readline(self, size: int | None = -1) -> str:
        raise ValueError("I/O operation on closed file.")


def test_an_unreadable_stdin_is_end_of_input() -> None:
    assert common.ask_keep(5, Broken(), Out(False)) == (False, "no answer (end of input)")
    out = Out(False)
    assert common.ask_confirm("Go?", Broken(), out) is False
    assert out.getvalue() == "Go? [y/N] \n"


def test_a_line_that_comes_after_the_question_ended_is_dropped_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    errors: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    stdin = Held("y\n")
    before = set(threading.enumerate())
    reader = common.StdinLine(stdin)
    (thread,) = set(threading.enumerate()) - before
    assert reader.wait(0) is None  # the time ran out before the user typed
    stdin.release.set()
    thread.join(10)
    assert not thread.is_alive() and errors == []


def test_ask_confirm_flushes_its_question_before_reading_and_ends_the_line_at_end_of_input() -> None:
    out = Out(False)
    stdin = Held("y\n", out)
    stdin.release.set()
    assert common.ask_confirm("Apply these changes?", stdin, out) is True
    assert out.getvalue() == "Apply these changes? [y/N] "  # the user's Enter ends the line
    assert stdin.unflushed_at_read is False
    out = Out(False)
    stdin = Held("", out)
    stdin.release.set()
    assert common.ask_confirm("Go?", stdin, out) is False
    assert out.getvalue() == "Go? [y/N] \n"


def test_ask_confirm_writes_only_to_its_stream(capsys: pytest.CaptureFixture[str]) -> None:
    out = Out(False)
    assert common.ask_confirm("Go?", io.StringIO(""), out) is False
    assert common.ask_keep(3, io.StringIO("n\n"), out) == (False, "answered no")
    assert capsys.readouterr() == ("", "")


def test_print_change_lists_each_line_indented_under_a_heading(capsys: pytest.CaptureFixture[str]) -> None:
    before = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)
    change = Change((FamilyChange(Family.IPV4, before, LoopbackSettings(ExecutionMode.INLINE, 8, True)),))
    out = io.StringIO()
    common.print_change(change, out)
    assert out.getvalue() == "Change:\n" + "".join(f"  {line}\n" for line in change.describe())
    assert len(change.describe()) == 2
    assert capsys.readouterr() == ("", "")


def test_a_corrupt_simulated_state_is_reported_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "state.json"
    path.write_text("{not json", encoding="utf-8")
    common.report_corrupt_state(Backend(BackendKind.SIMULATED, state=path))
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("note: The simulated machine's state file was unreadable (")
    assert err.endswith("a fresh machine was started.\n") and err.count("\n") == 1
    common.report_corrupt_state(Backend(BackendKind.SIMULATED, state=path))  # set aside: nothing more to say
    common.report_corrupt_state(Backend(BackendKind.CUSTOM, netsh=tmp_path / "netsh"))
    assert capsys.readouterr() == ("", "")


def test_reading_families_defaults_to_every_family_and_honours_a_choice() -> None:
    from app.domain.model import FamilyState, MachineState, ReadFailure, ReadProblem

    ok = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)
    state = MachineState(
        {
            Family.IPV4: FamilyState(Family.IPV4, ok, ok),
            Family.IPV6: FamilyState(Family.IPV6, ReadFailure(ReadProblem.UNSUPPORTED, "m"), ok),
        }
    )
    assert common.read_endings(state) == [common.Ending.OK, common.Ending.UNSUPPORTED]
    assert common.read_endings(state, [Family.IPV4]) == [common.Ending.OK]
    assert common.read_exit(state, [Family.IPV4]) == common.EXIT_OK
    assert common.read_exit(state) == common.EXIT_UNSUPPORTED
    assert sys.modules[common.__name__] is common


def test_no_endings_is_success() -> None:
    from app.domain.model import FamilyState, MachineState

    ok = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)
    assert common.exit_code([]) == common.EXIT_OK
    assert common.read_exit(MachineState({Family.IPV4: FamilyState(Family.IPV4, ok, ok)}), []) == common.EXIT_OK
