"""The trial transaction through a real helper process on the simulated machine, and the faults it survives."""

from __future__ import annotations

import errno
import socket
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing import AuthenticationError
from multiprocessing.connection import Connection, answer_challenge, deliver_challenge
from pathlib import Path
from typing import Any

import pytest

from app.domain.errors import ValidationError
from app.domain.model import Change, ExecutionMode, Family, FamilyChange, LoopbackSettings, ReadProblem, Store
from app.domain.notices import Notice, NoticeKind
from app.domain.outcomes import Outcome
from app.domain.runs import CommandResult
from app.elevation.launchers import (
    ElevationCancelledError,
    HelperLauncher,
    HelperProcess,
    HelperStartError,
    ProcessLauncher,
)
from app.paths import AppPaths
from app.runners.base import NetshRunner
from app.runners.factory import Backend, BackendKind, make_runner
from app.simulator.machine import SIMULATED_INITIAL
from app.simulator.profile import Fault, SimProfile, UacAnswer
from app.simulator.store import SimStateFile
from app.storage import history as history_module
from app.storage.files import InterProcessLock
from app.storage.history import History
from app.usecases.endings import result_ending
from app.usecases.reading import read_machine
from app.usecases.trials import (
    ApplyFailedError,
    HelperError,
    TransactionBusyError,
    TransactionResult,
    TrialService,
)
from app.wiring import build_services, helper_backend, make_launcher
from tests.conftest import MakeState, machine_values

EIGHT = LoopbackSettings(ExecutionMode.ADAPTIVE, 8, True)
CHANGE = Change((FamilyChange(Family.IPV4, SIMULATED_INITIAL, EIGHT),))
BOTH = Change(
    (
        FamilyChange(Family.IPV4, SIMULATED_INITIAL, EIGHT),
        FamilyChange(Family.IPV6, SIMULATED_INITIAL, LoopbackSettings(ExecutionMode.INLINE, 4, False)),
    )
)
unix_only = pytest.mark.skipif(sys.platform == "win32", reason="the channel is a Unix socket here")


class RecordingLauncher:
    """Wraps a launcher and keeps the helper processes and arguments it started."""

    def __init__(self, inner: HelperLauncher) -> None:
        self.inner = inner
        self.processes: list[HelperProcess] = []
        self.args: list[list[str]] = []

    @property
    def prompts(self) -> int:
        return self.inner.prompts

    def launch(self, args: Sequence[str], authkey: bytes) -> HelperProcess:
        self.args.append(list(args))
        process = self.inner.launch(args, authkey)
        self.processes.append(process)
        return process


@dataclass
class Rig:
    state: SimStateFile
    paths: AppPaths

    @property
    def backend(self) -> Backend:
        return Backend(BackendKind.SIMULATED, state=self.state.path)

    def service(self, launcher: HelperLauncher | None = None, **options: Any) -> TrialService:
        return TrialService(
            make_runner(self.backend),
            launcher or make_launcher(self.backend),
            helper_backend(self.backend),
            History(self.paths.history),
            self.paths.transaction_lock,
            **options,
        )

    def values(self) -> tuple[dict[Family, LoopbackSettings], dict[Family, LoopbackSettings]]:
        return machine_values(self.state)

    def unchanged(self) -> bool:
        return self.values() == (dict.fromkeys(Family, SIMULATED_INITIAL), dict.fromkeys(Family, SIMULATED_INITIAL))

    def outcomes(self) -> list[str | None]:
        entries, _ = History(self.paths.history).load()
        return [e.outcome for e in entries]


@pytest.fixture
def rig(make_state: MakeState, paths: AppPaths) -> Rig:
    return Rig(make_state(), paths)


def set_profile(rig: Rig, **fields: Any) -> None:
    rig.state.set_profile(SimProfile.from_json({**rig.state.load().profile.to_json(), **fields}))


def trial_then(
    service: TrialService, change: Change, keep: bool, *, seconds: float = 30, store: Store = Store.PERSISTENT
) -> TransactionResult:
    trial = service.begin(change, seconds=seconds, store=store)
    return trial.keep() if keep else trial.revert()


# --- the transaction itself ---


def test_apply_keeps_in_both_stores_with_exactly_one_prompt(rig: Rig) -> None:
    services = build_services(rig.backend, rig.paths)
    result = services.transactions.apply(CHANGE)
    assert (result.outcome, result_ending(result).succeeded, result.mismatches) == (Outcome.KEPT, True, ())
    assert rig.values() == (
        {Family.IPV4: EIGHT, Family.IPV6: SIMULATED_INITIAL},
        {Family.IPV4: EIGHT, Family.IPV6: SIMULATED_INITIAL},
    )
    assert services.launcher.prompts == 1
    assert result.state is not None and result.state[Family.IPV4].settings == EIGHT
    assert [r.argv for r in result.results] == [
        ("interface", "ipv4", "set", "global", "loopbackworkercount=8", "store=active"),
        ("interface", "ipv4", "set", "global", "loopbackworkercount=8", "store=persistent"),
    ]
    assert rig.outcomes() == ["kept"]


def test_elevated_session_needs_no_prompt(rig: Rig) -> None:
    set_profile(rig, elevated=True, uac="cancel")  # a prompt would be cancelled
    services = build_services(rig.backend, rig.paths)
    result = trial_then(services.transactions, BOTH, keep=True)
    assert result.outcome is Outcome.KEPT and services.launcher.prompts == 0
    active, persistent = rig.values()
    assert active == persistent == {fc.family: fc.after for fc in BOTH.families}


def test_trial_is_active_only_until_kept(rig: Rig) -> None:
    service = rig.service()

    def scenario() -> TransactionResult:
        trial = service.begin(CHANGE, seconds=30)
        assert trial.state is None  # the countdown is not held up by a read: verify() reads during it
        trial.verify()
        assert trial.state is not None and trial.state[Family.IPV4].settings == EIGHT
        assert trial.state[Family.IPV4].saved == SIMULATED_INITIAL  # not saved while on trial
        assert trial.before == {Family.IPV4: SIMULATED_INITIAL} and trial.mismatches == ()
        assert service.busy and not trial.finished
        result = trial.keep()
        assert trial.finished and trial.keep() is result  # deciding twice gives the same result
        return result

    assert scenario().outcome is Outcome.KEPT
    assert rig.values()[1][Family.IPV4] == EIGHT and not service.busy


def test_revert_restores_the_previous_values(rig: Rig) -> None:
    result = trial_then(rig.service(), BOTH, keep=False)
    assert (result.outcome, result.reason, result_ending(result).succeeded) == (Outcome.REVERTED, "asked", True)
    assert rig.unchanged()
    assert rig.outcomes() == ["reverted"]


def test_keep_with_store_active_leaves_persistent_untouched(rig: Rig) -> None:
    result = trial_then(rig.service(), CHANGE, keep=True, store=Store.ACTIVE)
    assert result.outcome is Outcome.KEPT
    active, persistent = rig.values()
    assert active[Family.IPV4] == EIGHT and persistent[Family.IPV4] == SIMULATED_INITIAL


def test_revert_touches_only_the_fields_that_changed(rig: Rig) -> None:
    def scenario() -> None:
        service = rig.service()
        trial = service.begin(CHANGE, seconds=30)
        # Meanwhile something else changes another field; the revert must not undo it.
        rig.state.update(
            lambda m: m.execute(
                ["interface", "ipv4", "set", "global", "loopbacklargemtu=disable", "store=active"], as_admin=True
            )
        )
        trial.revert()

    scenario()
    assert rig.values()[0][Family.IPV4] == LoopbackSettings(ExecutionMode.ADAPTIVE, 4, False)


def test_the_helper_reverts_at_its_own_deadline_when_the_app_stops_answering(rig: Rig) -> None:
    launcher = RecordingLauncher(make_launcher(rig.backend))
    service = rig.service(launcher, grace_s=0)

    def scenario() -> TransactionResult:
        trial = service.begin(CHANGE, seconds=1)
        assert rig.values()[0][Family.IPV4] == EIGHT
        # The app says nothing: the helper's deadline (1 s) passes and it reverts by itself.
        code = launcher.processes[0].wait(30.0)
        assert code == 1  # the helper's "reverted"
        assert rig.unchanged()
        return trial.keep()  # too late: the helper already ended

    result = scenario()
    assert (result.outcome, result.reason) == (Outcome.REVERTED, "deadline")
    assert "--deadline-seconds" in launcher.args[0]
    assert launcher.args[0][launcher.args[0].index("--deadline-seconds") + 1] == "1"


def test_an_empty_change_is_refused_before_anything_starts(rig: Rig) -> None:
    launcher = RecordingLauncher(make_launcher(rig.backend))
    with pytest.raises(ValidationError, match="nothing to change"):
        rig.service(launcher).apply(Change())
    assert launcher.args == [] and rig.outcomes() == []


def test_helper_gets_the_netsh_timeout_and_only_validated_change_arguments(rig: Rig) -> None:
    launcher = RecordingLauncher(make_launcher(rig.backend))
    rig.service(launcher, netsh_timeout_s=2.5).apply(BOTH)
    args = launcher.args[0]
    assert args[args.index("--netsh-timeout") + 1] == "2.5"
    assert [args[i + 1] for i, a in enumerate(args) if a == "--change"] == [
        "ipv4:loopbackworkercount=8",
        "ipv6:loopbackexecutionmode=inline,loopbacklargemtu=disable",
    ]
    assert "--authkey" not in args  # the key goes over stdin, not the command line


# --- one at a time ---


def test_a_second_trial_is_refused_while_one_runs(rig: Rig) -> None:
    service = rig.service()

    def scenario() -> None:
        trial = service.begin(CHANGE, seconds=30)
        with pytest.raises(TransactionBusyError):
            service.begin(BOTH, seconds=30)
        trial.revert()

    scenario()
    assert rig.outcomes() == ["reverted"]


def test_another_instance_holding_the_lock_makes_us_busy(rig: Rig) -> None:
    lock = InterProcessLock(rig.paths.transaction_lock)
    with lock.hold(), pytest.raises(TransactionBusyError, match="Another"):
        rig.service().apply(CHANGE)
    assert rig.unchanged()
    assert rig.service().apply(CHANGE).outcome is Outcome.KEPT  # free again


# --- faults ---


def test_uac_cancelled_changes_nothing(rig: Rig) -> None:
    set_profile(rig, uac=UacAnswer.CANCEL.value)
    services = build_services(rig.backend, rig.paths)
    with pytest.raises(ElevationCancelledError, match="cancelled"):
        services.transactions.apply(CHANGE)
    assert rig.unchanged() and services.launcher.prompts == 1
    assert rig.outcomes() == ["cancelled"]
    assert not services.transactions.busy
    set_profile(rig, uac=UacAnswer.APPROVE.value)
    assert services.transactions.apply(CHANGE).outcome is Outcome.KEPT  # the lock was released


def test_helper_that_cannot_start(rig: Rig, tmp_path: Path) -> None:
    service = rig.service(ProcessLauncher([str(tmp_path / "no-such-helper")]))
    with pytest.raises(HelperStartError, match="could not be started"):
        service.apply(CHANGE)
    assert rig.unchanged() and rig.outcomes() == ["failed"] and not service.busy


def test_helper_that_exits_at_once(rig: Rig) -> None:
    service = rig.service(ProcessLauncher([sys.executable, "-c", "import sys; sys.exit(4)"]))
    with pytest.raises(HelperError, match="exit code 4"):
        service.apply(CHANGE)
    assert rig.unchanged()
    assert rig.outcomes() == ["failed"]  # not left looking like an interrupted transaction
    assert not service.busy


def test_netsh_missing_is_a_read_failure_and_the_apply_is_refused(paths: AppPaths, tmp_path: Path) -> None:
    backend = Backend(BackendKind.CUSTOM, netsh=tmp_path / "no-such-netsh")
    services = build_services(backend, paths)
    state = read_machine(services.reader)
    assert {fs.failure.problem for fs in state.families.values() if fs.failure} == {ReadProblem.NETSH_MISSING}
    with pytest.raises(ApplyFailedError) as caught:
        services.transactions.apply(CHANGE)
    assert "could not read the values to restore" in str(caught.value)
    assert "could not be started" in str(caught.value)
    assert caught.value.result.outcome is Outcome.FAILED
    assert caught.value.result.results == ()  # no set was attempted


def test_netsh_exiting_non_zero_changes_nothing(rig: Rig) -> None:
    set_profile(rig, faults=[Fault.SET_FAILS.value], elevated=True)
    with pytest.raises(ApplyFailedError) as caught:
        rig.service().apply(BOTH)
    result = caught.value.result
    assert result.outcome is Outcome.FAILED and "The parameter is incorrect." in result.reason
    assert result.results[0].exit_code == 1
    assert rig.unchanged() and rig.outcomes() == ["failed"]


def test_a_hung_netsh_is_killed_and_the_previous_values_restored(rig: Rig) -> None:
    set_profile(rig, faults=[Fault.SET_HANGS_ONCE.value])
    with pytest.raises(ApplyFailedError) as caught:
        rig.service(netsh_timeout_s=0.3).apply(BOTH)
    result = caught.value.result
    assert result.results[0].timed_out and "did not answer" in result.reason
    assert rig.state.load().hung_once  # the hang really happened
    assert rig.unchanged()
    assert result.state is not None and result.state.settings() == dict.fromkeys(Family, SIMULATED_INITIAL)


def test_a_value_that_does_not_stick_is_reported(rig: Rig) -> None:
    set_profile(rig, faults=[Fault.SET_IGNORED.value])

    def scenario() -> TransactionResult:
        trial = rig.service().begin(CHANGE, seconds=30)
        _, found = trial.verify()
        assert found == trial.mismatches
        assert [m.describe() for m in trial.mismatches] == [
            "IPv4 worker count did not stick: expected 8, the machine shows 4"
        ]
        return trial.keep()

    result = scenario()
    assert result.outcome is Outcome.KEPT and not result_ending(result).succeeded
    assert [m.describe() for m in result.mismatches] == [
        "IPv4 worker count did not stick: expected 8, the machine shows 4"
    ]
    entries, _ = History(rig.paths.history).load()
    assert entries[-1].problems == ["IPv4 worker count did not stick: expected 8, the machine shows 4"]


def test_a_revert_that_fails_is_reported_as_such(rig: Rig) -> None:
    def scenario() -> TransactionResult:
        trial = rig.service().begin(CHANGE, seconds=30)
        set_profile(rig, faults=[Fault.SET_FAILS.value])
        return trial.revert()

    result = scenario()
    assert result.outcome is Outcome.REVERT_FAILED and not result_ending(result).succeeded
    assert [m.setting.value for m in result.mismatches] == ["loopbackworkercount"]


def test_a_keep_that_cannot_be_saved_lasts_until_reboot(rig: Rig) -> None:
    def scenario() -> TransactionResult:
        trial = rig.service().begin(CHANGE, seconds=30)
        set_profile(rig, faults=[Fault.SET_FAILS.value])
        return trial.keep()

    result = scenario()
    assert result.outcome is Outcome.KEEP_FAILED and "until reboot" in result.reason
    assert rig.values() == (
        {Family.IPV4: EIGHT, Family.IPV6: SIMULATED_INITIAL},
        dict.fromkeys(Family, SIMULATED_INITIAL),
    )


@unix_only
def test_a_client_with_the_wrong_key_is_ignored(rig: Rig) -> None:
    seen: list[BaseException] = []

    class IntruderFirst:
        """Connects with a wrong key before the real helper starts, so the app meets it first.

        It is not the launched helper (another pid), so the app hangs up on it before any challenge: EOFError.
        """

        prompts = 0

        def __init__(self) -> None:
            self.inner = make_launcher(rig.backend)

        def launch(self, args: Sequence[str], authkey: bytes) -> HelperProcess:
            address = args[list(args).index("--address") + 1]
            sock = socket.socket(socket.AF_UNIX)
            sock.connect(address)  # queued in the listener's backlog ahead of the helper
            conn = Connection(sock.detach())

            def intrude() -> None:
                try:
                    answer_challenge(conn, b"\x00" * 32)
                    deliver_challenge(conn, b"\x00" * 32)
                    conn.send_bytes(b'{"type":"decision","decision":"keep"}')
                except (AuthenticationError, EOFError, OSError) as exc:
                    seen.append(exc)
                finally:
                    conn.close()

            thread = threading.Thread(target=intrude)
            thread.start()
            self.thread = thread
            return self.inner.launch(args, authkey)

    launcher = IntruderFirst()
    result = trial_then(rig.service(launcher), CHANGE, keep=False)
    launcher.thread.join(30)
    assert len(seen) == 1 and isinstance(seen[0], EOFError)  # hung up on unheard: not even a challenge
    assert result.outcome is Outcome.REVERTED and rig.unchanged()


# --- files: history and state ---


def test_disk_full_while_writing_history_still_completes_and_tells_the_user(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = open

    def full_disk_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "a" in mode:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(history_module, "open", full_disk_open, raising=False)
    result = rig.service().apply(CHANGE)
    assert result.outcome is Outcome.KEPT and rig.values()[1][Family.IPV4] == EIGHT
    assert len(result.notices) == 1
    assert result.notices[0].kind is NoticeKind.HISTORY
    assert "No space left on device" in result.notices[0].text
    assert "history could not be written" in result.notices[0].text


@pytest.mark.parametrize("keep", [True, False])
def test_history_append_failing_with_enospc(rig: Rig, monkeypatch: pytest.MonkeyPatch, keep: bool) -> None:
    real_open = open

    def full_disk_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "a" in mode and Path(file) == rig.paths.history:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(history_module, "open", full_disk_open, raising=False)  # the OS boundary: a full disk
    result = trial_then(rig.service(), CHANGE, keep=keep)
    assert result.outcome is (Outcome.KEPT if keep else Outcome.REVERTED)
    assert rig.values()[1][Family.IPV4] == (EIGHT if keep else SIMULATED_INITIAL)
    assert result.notices == (
        Notice(
            NoticeKind.HISTORY,
            "The history could not be written (No space left on device); the change itself is not affected.",
        ),
    )
    assert not rig.paths.history.exists()


def test_corrupt_history_file_does_not_stop_a_change(rig: Rig) -> None:
    rig.paths.history.parent.mkdir(parents=True, exist_ok=True)
    rig.paths.history.write_bytes(b"\x00garbage\n{not json\n")
    result = rig.service().apply(CHANGE)
    assert result.outcome is Outcome.KEPT
    entries, notices = History(rig.paths.history).load()
    assert [e.outcome for e in entries] == ["kept"]
    assert len(notices) == 1 and "unreadable line" in notices[0]
    assert list(rig.paths.history.parent.glob("history.jsonl.corrupt-*"))


def test_corrupt_simulated_state_file_starts_a_fresh_machine(rig: Rig) -> None:
    rig.state.path.write_text("{]", encoding="utf-8")
    services = build_services(rig.backend, rig.paths)
    state = read_machine(services.reader)
    assert state.settings() == dict.fromkeys(Family, SIMULATED_INITIAL)
    assert list(rig.state.path.parent.glob("state.json.corrupt-*"))
    assert services.transactions.apply(CHANGE).outcome is Outcome.KEPT


def test_reading_never_prompts(rig: Rig) -> None:
    services = build_services(rig.backend, rig.paths)
    read_machine(services.reader)
    assert services.launcher.prompts == 0 and rig.outcomes() == []


@unix_only
def test_a_helper_killed_mid_trial_is_reported_and_the_fresh_read_shows_the_truth(rig: Rig) -> None:
    launcher = RecordingLauncher(make_launcher(rig.backend))
    service = rig.service(launcher)

    def scenario() -> TransactionResult:
        trial = service.begin(CHANGE, seconds=30)
        process = launcher.processes[0]
        process.process.kill()  # type: ignore[attr-defined]
        process.wait(30.0)
        return trial.keep()

    result = scenario()
    assert result.outcome is Outcome.FAILED and "without reporting" in result.reason
    # Nobody restored the values: the fresh read says so instead of pretending.
    assert [m.describe() for m in result.mismatches] == [
        "IPv4 worker count did not stick: expected 4, the machine shows 8"
    ]
    assert not service.busy and rig.outcomes() == ["failed"]


def test_a_keep_in_time_is_kept_even_when_netsh_is_slow(rig: Rig) -> None:
    """The helper's deadline runs from Applied: the reads and sets before it never eat the user's time."""
    set_profile(rig, latency_ms=800)
    service = rig.service(grace_s=0.2)  # before the fix: 0.8 s read + 0.8 s set > 1 s + 0.2 s, so it reverted

    def scenario() -> TransactionResult:
        trial = service.begin(CHANGE, seconds=1)
        return trial.keep()

    result = scenario()
    assert result.outcome is Outcome.KEPT, result
    assert rig.values()[1][Family.IPV4] == EIGHT


class GatedRunner:
    """A runner whose reads, once ``armed``, signal ``entered`` and wait for ``release``: a point inside a decision."""

    def __init__(self, inner: NetshRunner) -> None:
        self.inner = inner
        self.armed, self.entered, self.release = threading.Event(), threading.Event(), threading.Event()

    def run_blocking(self, argv: Sequence[str]) -> CommandResult:
        if self.armed.is_set():
            self.entered.set()
            assert self.release.wait(30)
        return self.inner.run_blocking(argv)


def test_a_second_decision_waits_for_the_first(rig: Rig) -> None:
    """Esc or closing after Keep (from another thread) must not raise or start a second decision."""
    gated = GatedRunner(make_runner(rig.backend))
    service = TrialService(
        gated,  # type: ignore[arg-type]
        make_launcher(rig.backend),
        helper_backend(rig.backend),
        History(rig.paths.history),
        rig.paths.transaction_lock,
    )
    trial = service.begin(CHANGE, seconds=30)
    gated.armed.set()
    with ThreadPoolExecutor(2) as pool:
        keep = pool.submit(trial.keep)
        assert gated.entered.wait(30)  # the keep is re-reading the machine: decided, not finished
        assert trial.deciding and not trial.finished
        later = pool.submit(trial.revert)  # arrives while the keep runs
        gated.release.set()
        first, second = keep.result(30), later.result(30)
    assert first is second and first.outcome is Outcome.KEPT
    assert rig.values()[1][Family.IPV4] == EIGHT


def test_kept_is_verified_in_the_saved_store_too(rig: Rig) -> None:
    """A keep whose persistent write says Ok. but does not save is reported, not called 'kept and saved'."""
    set_profile(rig, faults=[Fault.PERSIST_IGNORED.value])
    result = trial_then(rig.service(), CHANGE, keep=True)
    assert result.outcome is Outcome.KEPT and not result_ending(result).succeeded
    assert [m.describe() for m in result.mismatches] == [
        "IPv4 worker count was not saved: expected 8, the saved value is 4 (a restart would bring it back)"
    ]
    active, persistent = rig.values()
    assert active[Family.IPV4] == EIGHT and persistent[Family.IPV4] == SIMULATED_INITIAL
