"""Where the app keeps its per-user files (platformdirs), overridable for tests and portable use."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

_APP = "LoopbackTuner"


@dataclass(frozen=True)
class AppPaths:
    """The per-user folders; ``LOOPBACK_TUNER_HOME`` puts them all under one folder instead."""

    data: Path
    logs: Path

    @classmethod
    def default(cls, environ: dict[str, str] | None = None) -> AppPaths:
        env = os.environ if environ is None else environ
        home = env.get("LOOPBACK_TUNER_HOME")
        if home:
            base = Path(home)
            return cls(data=base / "data", logs=base / "logs")
        return cls(
            data=Path(platformdirs.user_data_dir(_APP, appauthor=False)),
            logs=Path(platformdirs.user_log_dir(_APP, appauthor=False)),
        )

    @property
    def simulated_state(self) -> Path:
        return self.data / "simulated-machine.json"

    @property
    def history(self) -> Path:
        return self.data / "history.jsonl"

    @property
    def transaction_lock(self) -> Path:
        return self.data / "transaction.lock"

    @property
    def window_settings(self) -> Path:
        return self.data / "window.ini"

    def originals(self, backend_name: str) -> Path:
        """The original-values file for one backend ("netsh", "simulated", "custom")."""
        safe = "".join(c for c in backend_name if c.isalnum()) or "default"
        return self.data / f"original-values-{safe}.json"


# The machine-wide records the elevated helper keeps (see app/storage/machine.py).
MACHINE_ORIGINALS = "machine-originals.json"
MACHINE_HISTORY = "machine-history.jsonl"
MACHINE_EVENT_LOG = "event-log.jsonl"  # simulation only: Windows has its Application event log


def simulated_machine_folder(state: Path) -> Path:
    """The simulated machine's machine-wide folder: beside its state file, shared by every user of that state."""
    return state.parent / "machine"
