"""The app's helper process, unchanged, except that every simulated netsh command it runs is logged.

The work-per-change benchmark starts this instead of ``python -I -m app.helper`` (through the launcher's
``program``). Each command's argv is appended, tab-separated, to the file named by LOOPBACK_TUNER_BENCH_LOG
(``-I`` ignores PYTHON* variables only, so this one still arrives).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from app.domain.commands import Argv
from app.elevation.helper import main
from app.simulator.runner import SimulatedRunner

LOG_VARIABLE = "LOOPBACK_TUNER_BENCH_LOG"


def _install_counter(log: Path) -> None:
    run_raw = SimulatedRunner._run_raw  # every run goes through it (run_blocking and run_now alike)

    def counted(self: SimulatedRunner, argv: Argv) -> tuple[int, bytes, int] | str:
        with log.open("a", encoding="utf-8") as handle:
            handle.write("\t".join(argv) + "\n")
        return run_raw(self, argv)

    SimulatedRunner._run_raw = counted  # type: ignore[method-assign]


if __name__ == "__main__":
    _install_counter(Path(os.environ[LOG_VARIABLE]))
    raise SystemExit(main(sys.argv[1:]))
