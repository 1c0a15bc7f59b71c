"""The simulated machine as a stand-alone netsh-compatible program: ``python -m app.simulator.netsh ...``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from app.paths import AppPaths
from app.simulator.machine import HANG, SimulatedMachine
from app.simulator.store import SimStateFile

USAGE = (
    "python -m app.simulator.netsh [--state FILE] [--as-admin] [--reboot] "
    "interface ipv4|ipv6 show|set global [tag=value ...]"
)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="netsh_sim", usage=USAGE, add_help=True, allow_abbrev=False)
    parser.add_argument("--state", type=Path, default=None, help="simulated machine state file")
    parser.add_argument("--as-admin", action="store_true", help="run as an elevated process would")
    parser.add_argument("--reboot", action="store_true", help="restart the simulated machine and exit")
    # Options come first; everything from the first non-option word on is netsh's own command line.
    split = 0
    while split < len(args) and args[split].startswith("--"):
        split += 2 if args[split] == "--state" else 1  # "--state FILE" takes the next word as its value
    split = min(split, len(args))
    options = parser.parse_args(args[:split])
    state = SimStateFile(options.state or AppPaths.default().simulated_state)
    if options.reboot:
        state.reboot()
        return 0
    netsh_args = args[split:]
    if not netsh_args:
        parser.print_usage(sys.stderr)
        return 2

    def execute(machine: SimulatedMachine) -> tuple[tuple[int, str] | str, int, int]:
        return (
            machine.execute(netsh_args, as_admin=options.as_admin),
            machine.profile.codepage,
            machine.profile.latency_ms,
        )

    outcome, codepage, latency_ms = state.update(execute)
    for notice in state.notices:
        print(notice, file=sys.stderr)
    if latency_ms:
        time.sleep(latency_ms / 1000)
    if outcome == HANG:
        while True:  # a hung netsh: only the caller's time limit ends this
            time.sleep(3600)
    assert not isinstance(outcome, str)
    code, text = outcome
    out = sys.stdout.buffer
    out.write(text.replace("\n", "\r\n").encode(f"cp{codepage}", errors="replace"))
    out.flush()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
