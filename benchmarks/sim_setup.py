"""Shared set-up for the in-process benchmarks: a simulated machine in a folder, and a change to make on it."""

from __future__ import annotations

from pathlib import Path

from app.domain.model import ExecutionMode, MachineState
from app.runners.factory import Backend, BackendKind, sim_state
from app.simulator.profile import SimProfile


def simulated_backend(folder: Path, profile: SimProfile) -> Backend:
    """A simulated machine with ``profile`` whose state lives in ``folder`` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    backend = Backend(BackendKind.SIMULATED, state=folder / "machine.json")
    sim_state(backend).set_profile(profile)
    return backend


def other_mode(mode: ExecutionMode) -> ExecutionMode:
    """The next execution mode: each run changes something, whatever the previous run left."""
    modes = list(ExecutionMode)
    return modes[(modes.index(mode) + 1) % len(modes)]


def require_readable(state: MachineState) -> None:
    """Raises RuntimeError when a family could not be read (the figure would measure a failure path)."""
    failures = [f"{family.label}: {fs.failure.message}" for family, fs in state.families.items() if fs.failure]
    if failures:
        raise RuntimeError("the simulated machine could not be read: " + "; ".join(failures))
