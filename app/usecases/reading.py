"""Reading the machine: both families from both stores at once, and the original values remembered on the first
successful read (the one place both faces do this)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from app.domain.commands import show_global
from app.domain.model import Family, FamilyState, MachineState, ReadFailure, Reading, ReadProblem, Store
from app.domain.notices import Notice, NoticeKind
from app.domain.runs import NetshMissingError
from app.runners.base import NetshRunner
from app.runners.known_build import KnowsWindowsBuild
from app.runners.readings import reading_from, unsupported_build
from app.storage.machine import MachineRecords, machine_records
from app.storage.originals import OriginalsStore, OriginalValues, load_originals


def windows_build_of(runner: NetshRunner) -> int | None:
    """The build behind ``runner`` if it can say (see KnowsWindowsBuild), else None; never raises OSError."""
    if not isinstance(runner, KnowsWindowsBuild):
        return None
    try:
        return runner.windows_build()
    except OSError:
        return None


def read_one(runner: NetshRunner, family: Family, store: Store, build: int | None = None) -> Reading:
    """One family and store; a build known to be too old is "unsupported" without running netsh."""
    too_old = unsupported_build(build)
    if too_old is not None:
        return too_old
    try:
        result = runner.run_blocking(show_global(family, store))
    except NetshMissingError as exc:
        return ReadFailure(ReadProblem.NETSH_MISSING, str(exc), "", build)
    return reading_from(result, build)


def read_machine(runner: NetshRunner, families: tuple[Family, ...] = tuple(Family)) -> MachineState:
    """Both stores of every family, all at once (four netsh runs in threads; none on a build before 17763).

    The build comes from the runner (``KnowsWindowsBuild``: the profile in simulation, RtlGetVersion on Windows).
    """
    build = windows_build_of(runner)
    jobs = [(family, store) for family in families for store in (Store.ACTIVE, Store.PERSISTENT)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        readings = list(pool.map(lambda job: read_one(runner, job[0], job[1], build), jobs))
    return MachineState(
        {family: FamilyState(family, readings[2 * i], readings[2 * i + 1]) for i, family in enumerate(families)}
    )


@dataclass(frozen=True)
class ReadResult:
    """The machine's values, every original known (after this read), and what went wrong on the way."""

    state: MachineState
    originals: dict[Family, OriginalValues]
    notices: tuple[Notice, ...] = ()


def originals_store(
    originals_file: Path, kind: str, sim_state: Path | None
) -> tuple[OriginalsStore, tuple[Notice, ...]]:
    """This user's originals file with the machine-wide record that wins over it (see load_originals); the one
    choice of which stores hold the originals, for both faces."""
    machine: MachineRecords | None
    try:
        machine = machine_records(kind, sim_state)
    except OSError as exc:
        note = Notice(NoticeKind.MACHINE_RECORD, f"the machine-wide original values are not available ({exc})")
        return OriginalsStore(originals_file, None), (note,)
    return OriginalsStore(originals_file, machine), ()


class MachineReader:
    """Reads the machine and remembers the originals on the first successful read of each family."""

    def __init__(self, runner: NetshRunner, originals: OriginalsStore, notices: tuple[Notice, ...] = ()) -> None:
        self.runner, self.originals_store = runner, originals
        self._startup_notices = list(notices)  # said once, with the first read

    def read(self) -> ReadResult:
        state = read_machine(self.runner)
        return self.remember(state)

    def remember(self, state: MachineState) -> ReadResult:
        """Remember the originals of ``state`` (a state read elsewhere, e.g. after a trial)."""
        originals = load_originals(self.originals_store, state)
        notices = self._startup_notices + [Notice(NoticeKind.ORIGINALS, n) for n in self.originals_store.notices]
        self._startup_notices = []
        self.originals_store.notices.clear()
        return ReadResult(state, originals.values, tuple(notices))

    def known_originals(self) -> dict[Family, OriginalValues]:
        """The originals known now (the machine-wide record, else this user's), without reading the machine."""
        return load_originals(self.originals_store).values
