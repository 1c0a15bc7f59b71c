"""A read of the machine started early: its netsh runs begin on threads before the rest of the program is imported,
so that work overlaps netsh's latency (issue 16: the command line's ``show``, and the window's first read).

Nothing here imports the domain's value classes or ``dataclasses``: the command line calls ``start_read`` a few
milliseconds after the interpreter is up (app/cli_parts/early.py), and everything the runs need beyond this is
imported on their own threads, inside netsh's latency (app/simulator/runner.py). Those threads and the main thread
then import at the same time; Python locks each module, which is safe as long as the modules involved import each
other in no cycle (tests/cli/test_early_show.py checks the import graph).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from app.domain.read_plan import build_may_have_loopback, read_argvs
from app.runners.factory import Backend, BackendKind, make_runner, sim_state, windows_build_source
from app.runners.prefetch import PrefetchingRunner

if TYPE_CHECKING:
    from app.simulator.store import SimStateFile


class StartedRead:
    """A read of the machine started before the rest was imported: the backend it was started for, the simulated
    machine's state object it used (None for a real backend), for build_services, the runs started (a read through
    app/wiring.py ``logged_reader(runner, build)`` takes their results) and the Windows build's source."""

    __slots__ = ("backend", "build", "runner", "simulated")

    def __init__(
        self,
        backend: Backend,
        simulated: SimStateFile | None,
        runner: PrefetchingRunner,
        build: Callable[[], int | None],
    ) -> None:
        self.backend, self.simulated, self.runner, self.build = backend, simulated, runner, build


def start_read(backend: Backend, *, timeout_s: float = 15.0) -> StartedRead | None:
    """Start the netsh runs a read of the machine makes (all at once, on threads), so they run while the program
    imports and sets up the rest; None when a read would run none (a build without the loopback settings) or
    cannot be started early (a replayed capture, which runs nothing). Logged when the read takes them."""
    if backend.kind is BackendKind.CAPTURE:
        return None
    simulated = sim_state(backend) if backend.is_simulated else None
    build = windows_build_source(backend, simulated)
    try:
        # The simulated machine's build is looked up in its file without loading the machine (SimStateFile.
        # build_hint); the read checks it again on the machine as loaded. Windows' comes from RtlGetVersion.
        number = simulated.build_hint() if simulated is not None else build()
    except OSError:
        return None
    if not build_may_have_loopback(number):  # unsupported (app/runners/readings.py): a read runs no netsh at all
        return None
    runner = make_runner(backend, timeout_s=timeout_s, state=simulated)
    return StartedRead(backend, simulated, PrefetchingRunner(runner, read_argvs()), build)
