"""The CLI's prompts in-process, on a virtual clock: the exact text of the trial's question and countdown, what
is flushed before waiting, the deadline's boundaries, the reader thread, who may be asked at all
(require_answerable), and the corrupt-state note."""

from __future__ import annotations

import io
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.cli_parts import common
from app.cli_parts.apply import ApplyOptions, require_answerable
from app.cli_parts.common import UsageError
from app.domain.model import Change, ExecutionMode, Family, FamilyChange, LoopbackSettings, Store
from app.simulator.store import SimStateFile


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
    # Before: also ask_confirm("Go?") on it was False with "Go? [y/N] \n" (ask_confirm is gone, issue 13).
    out = Out(False)
    assert common.ask_keep(5, Broken(), out) == (False, "no answer (end of input)")
    assert out.getvalue() == "Reverting in 5 s unless you keep the change.\nKeep these settings? [y/N] \n"


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


@pytest.mark.parametrize("tty", [True, False])
def test_ask_keep_flushes_its_question_before_the_first_wait(monkeypatch: pytest.MonkeyPatch, tty: bool) -> None:
    # Before: ask_confirm's question was flushed before its read ("Apply these changes?" is gone, issue 13). The
    # Clock's wait fails on anything written and not flushed; on a terminal the question ends the line unfinished.
    result, text, timeouts = keep(monkeypatch, 4, tty=tty, answer_at=100.0, line="y\n")
    assert result == (True, "")
    assert timeouts == [1.0]
    assert text == "Reverting in 4 s unless you keep the change.\nKeep these settings? [y/N] " + ("" if tty else "\n")


def test_ask_keep_writes_only_to_its_stream(capsys: pytest.CaptureFixture[str]) -> None:
    # Before: ask_confirm and ask_keep both; now ask_keep alone (with --json its stream is stderr).
    out = Out(False)
    assert common.ask_keep(3, io.StringIO("n\n"), out) == (False, "answered no")
    assert common.ask_keep(3, io.StringIO(""), out) == (False, "no answer (end of input)")
    assert capsys.readouterr() == ("", "")
    asked = "Reverting in 3 s unless you keep the change.\nKeep these settings? [y/N] \n"
    assert out.getvalue() == asked * 2


def test_ask_keep_beats_on_every_pass_of_the_countdown(monkeypatch: pytest.MonkeyPatch) -> None:
    out = Out(True)
    stdin = Held()
    clock = Clock(out)
    monkeypatch.setattr(common, "time", SimpleNamespace(monotonic=clock.monotonic))
    clock.install(monkeypatch)
    beats: list[float] = []
    try:
        result = common.ask_keep(3, stdin, out, beat=lambda: beats.append(clock.now))
    finally:
        stdin.release.set()
    assert result == (False, "no answer in time")
    assert beats == [100.0, 101.0, 102.0, 103.0]  # the last beat finds the deadline passed


# --- require_answerable: nothing runs when nobody could answer (issue 13) -----------------------------------------
class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class BadTty(io.StringIO):
    def isatty(self) -> bool:
        raise OSError("bad file descriptor")


def closed() -> io.StringIO:
    stream = io.StringIO()
    stream.close()  # isatty() now raises ValueError
    return stream


PIPE_REFUSAL = (
    "standard input is not a terminal: add --yes to apply and keep without asking"
    " (or --trial N to answer from standard input, --dry-run to only show it)"
)


def refusal(options: ApplyOptions, stdin: io.StringIO, command: str = "apply and keep") -> str | None:
    try:
        require_answerable(options, stdin, command=command)
    except UsageError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("save", [False, True])
def test_a_terminal_can_always_answer(save: bool) -> None:
    assert refusal(ApplyOptions(save=save), Terminal()) is None
    assert refusal(ApplyOptions(save=save, json=True, store=Store.ACTIVE), Terminal()) is None


@pytest.mark.parametrize(
    "stdin", [io.StringIO("y\n"), io.StringIO(""), closed(), BadTty()], ids=["pipe", "empty", "closed", "bad-tty"]
)
def test_no_terminal_and_no_flag_is_refused_with_the_hint(stdin: io.StringIO) -> None:
    assert refusal(ApplyOptions(), stdin) == PIPE_REFUSAL
    assert refusal(ApplyOptions(json=True, store=Store.ACTIVE), stdin) == PIPE_REFUSAL  # neither answers
    assert refusal(ApplyOptions(), stdin, "history revert") == PIPE_REFUSAL.replace("apply and keep", "history revert")


@pytest.mark.parametrize(
    "options",
    [ApplyOptions(yes=True), ApplyOptions(dry_run=True), ApplyOptions(trial=30), ApplyOptions(trial=1)],
    ids=["yes", "dry-run", "trial", "trial-1"],
)
def test_each_flag_answers_for_a_pipe(options: ApplyOptions) -> None:
    stdin = io.StringIO("y\n")
    assert refusal(options, stdin) is None
    assert refusal(options, closed()) is None
    assert stdin.read() == "y\n", "nothing is read: the answer is left for the question"


def test_save_without_a_terminal_needs_yes_or_dry_run_and_its_line_has_no_trial_hint() -> None:
    # `save` is no trial: --trial never answers for it (the parser refuses it before, exit 2).
    save_refusal = "standard input is not a terminal: add --yes to save without asking"
    assert refusal(ApplyOptions(save=True), io.StringIO(), "save") == save_refusal
    assert refusal(ApplyOptions(save=True, trial=30), io.StringIO(), "save") == save_refusal
    assert refusal(ApplyOptions(save=True, yes=True), io.StringIO(), "save") is None
    assert refusal(ApplyOptions(save=True, dry_run=True), io.StringIO(), "save") is None


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
    common.report_corrupt_state(SimStateFile(path))
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("note: The simulated machine's state file was unreadable (")
    assert err.endswith("a fresh machine was started.\n") and err.count("\n") == 1
    common.report_corrupt_state(SimStateFile(path))  # set aside: nothing more to say
    common.report_corrupt_state(None)  # a real backend has no simulated state
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
