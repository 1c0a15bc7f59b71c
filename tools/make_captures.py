"""Regenerate the capture corpus in tests/fixtures/netsh/captures/ (run from the repository root).

Three kinds of file, each saying what it is in its ``origin`` and ``notes``:

- ``real-*.json``: the real samples of tests/fixtures/netsh/samples/ (copies of the shared FACTS samples),
  converted: their text encoded in the console code page of their display language, with CRLF line ends;
- ``derived-*.json``: show-global tables derived from a real capture's evidence (not captures themselves);
- ``sim-*.json``: ``diagnose`` on the simulated machine in each simulated situation.

The ``parsed`` field of every run is what this version makes of it; tests/domain/test_captures.py checks that
the parser still makes exactly that of every file. A user's report is added by copying their file in.
"""

from __future__ import annotations

import re
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app import __version__  # noqa: E402
from app.domain.capture import Capture, CapturedRun, ParsedRun, WindowsFacts  # noqa: E402
from app.domain.model import Family, Store  # noqa: E402
from app.domain.parser import decode_output  # noqa: E402
from app.domain.runs import CommandResult  # noqa: E402
from app.runners.factory import Backend, BackendKind, make_runner  # noqa: E402
from app.runners.readings import reading_from  # noqa: E402
from app.simulator.facts import SimulatedMachineInfo  # noqa: E402
from app.simulator.machine import SimulatedMachine  # noqa: E402
from app.simulator.profile import Fault, SimProfile  # noqa: E402
from app.simulator.store import SimStateFile  # noqa: E402
from app.usecases.diagnose import capture_text, diagnose  # noqa: E402
from app.usecases.diagnose_sources import machine_facts  # noqa: E402

CAPTURES = REPO / "tests" / "fixtures" / "netsh" / "captures"
SAMPLES = REPO / "tests" / "fixtures" / "netsh" / "samples"
FIXED_TIME = datetime(2026, 12, 6, tzinfo=UTC)  # regenerating gives the same bytes

# sample -> (argv of the command it shows, family, store, UI language, code page, exit code)
# Exit codes: only error-unknown-argument's source gives one (1); the others do not say, and 0 is recorded so the
# parser sees the text (it must refuse every one of them either way).
REAL = {
    "win11-ipv4-zh-CN-fragment": (("interface", "ip", "show", "global"), "ipv4", "active", "zh-CN", 936, 0),
    "win10-ipv6-show-privacy-en-US": (("interface", "ipv6", "show", "privacy"), None, None, "en-US", 437, 0),
    "winserver-ipv6-prefixpolicies-en-US": (
        ("interface", "ipv6", "show", "prefixpolicies"),
        None,
        None,
        "en-US",
        437,
        0,
    ),
    "win-tcp-global-en-US-msdocs-example": (("interface", "tcp", "show", "global"), None, None, "en-US", 437, 0),
    "win-tcp-global-zh-CN-fragment": (("int", "tcp", "show", "global"), None, None, "zh-CN", 936, 0),
    "win10or11-tcp-global-de-DE-fragment-1": (("int", "tcp", "show", "global"), None, None, "de-DE", 850, 0),
    "win10or11-tcp-global-de-DE-fragment-2": (("int", "tcp", "show", "global"), None, None, "de-DE", 850, 0),
    "win2008-tcp-global-en-US": (("int", "tcp", "show", "global"), None, None, "en-US", 437, 0),
    "winserver2012-tcp-set-global-ok-en-US": (
        ("int", "tcp", "set", "global", "ecncapability=enabled"),
        None,
        None,
        "en-US",
        437,
        0,
    ),
    "error-bad-value-en-US": (("interface", "ipv4", "set", "subinterface"), None, None, "en-US", 437, 0),
    "error-not-elevated-en-US": (("i", "i", "se", "a"), None, None, "en-US", 437, 0),
    "error-not-elevated-de-DE": (("int", "tcp", "set", "global"), None, None, "de-DE", 850, 0),
    "error-unknown-argument-en-US": (("advfirewall", "set"), None, None, "en-US", 437, 1),
}

# Derived from the real `ipv6 show privacy` capture: the ipv4/ipv6 contexts' 45-dash row, a label as long as the
# padding touching the colon, and values carrying units. FACTS.md's row names; the loopback labels are FACTS.md's.
_HEAD = "Querying active state...\n\nGeneral Global Parameters\n" + "-" * 45 + "\n"
DERIVED = {
    "derived-en-US-label-touching-colon": (
        _HEAD + "Default Hop Limit              : 128 hops\nMinimum Mtu                    : 576\n"
        "Loopback Large Mtu             : disabled\nLoopback Worker Count          : 2\n"
        "Loopback Execution Mode        : inline\nReassembly Out Of Order Limit: 32\n\n",
        "a label as long as the padding touches the colon (as `Duplicate Address Detection Attempts: 3` does in "
        "real-win10-ipv6-show-privacy-en-US.json); the 45-dash row of the ipv4/ipv6 contexts; a unit on a "
        "non-loopback value",
    ),
    "derived-en-US-worker-count-with-unit": (
        _HEAD + "Default Hop Limit              : 128 hops\nMinimum Mtu                    : 576\n"
        "Loopback Large Mtu             : enabled\nLoopback Worker Count          : 4w\n"
        "Loopback Execution Mode        : worker\nSource Based ECMP              : enabled\n\n",
        "a worker count carrying a unit, as values do in real-win10-ipv6-show-privacy-en-US.json (`7d`, `5s`): "
        "refused, never read as 4",
    ),
}

SITUATIONS: dict[str, SimProfile] = {
    "sim-en-US": SimProfile(elevated=True),
    "sim-zh-CN": SimProfile(language="zh-CN", elevated=True),
    "sim-pre-1809": SimProfile(build=17134, elevated=True),
    "sim-netsh-missing": SimProfile(faults=frozenset({Fault.NETSH_MISSING})),
    "sim-netsh-failing": SimProfile(faults=frozenset({Fault.SHOW_FAILS})),
    "sim-ipv6-unreadable": SimProfile(faults=frozenset({Fault.IPV6_UNREADABLE})),
    "sim-not-elevated": SimProfile(elevated=False),
}


def _run(
    argv: tuple[str, ...],
    family: str | None,
    store: str | None,
    data: bytes,
    codepage: int,
    code: int,
    build: int | None,
) -> CapturedRun:
    text = decode_output(data, codepage).replace("\r\n", "\n")
    parsed = ParsedRun.of(reading_from(CommandResult(argv, code, text), build))
    return CapturedRun(
        argv,
        Family(family) if family else None,
        Store(store) if store else None,
        True,
        code,
        False,
        data,
        b"",
        text,
        "",
        "",
        parsed,
    )


def _capture(origin: str, language: str, codepage: int, runs: tuple[CapturedRun, ...], notes: str) -> Capture:
    windows = WindowsFacts(user_ui_language=language, oem_codepage=codepage)
    return Capture(
        __version__,
        FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "converted",
        origin,
        windows,
        codepage,
        runs,
        notes=notes,
    )


_ECHO = re.compile(r"^\s*(\S*>|\u276f|PS [^>]*>)\s*netsh\b", re.IGNORECASE)


def real_capture(name: str) -> Capture:
    argv, family, store, language, codepage, code = REAL[name]
    lines = (SAMPLES / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    source = [line.lstrip("# ").rstrip() for line in lines if line.startswith("#") and line.strip("# -")]
    # The command line the author typed (after a shell prompt) is the shell's echo, not netsh's
    # output: it is left out.
    body = "\n".join(line for line in lines if not line.startswith("#") and not _ECHO.match(line)) + "\n"
    data = body.replace("\n", "\r\n").encode(f"cp{codepage}")
    run = _run(argv, family, store, data, codepage, code, None)
    notes = (
        f"Converted from the real sample {name}.txt: its text encoded in cp{codepage} (the console code page "
        "of its display language) with CRLF line ends, the typed command line left out; the build is not stated. "
        + ("The exit code is the source's." if code else "The source gives no exit code: 0 is recorded.")
    )
    return _capture(" | ".join(source), language, codepage, (run,), notes)


def derived_capture(name: str) -> Capture:
    text, what = DERIVED[name]
    data = text.replace("\n", "\r\n").encode("cp437")
    run = _run(("interface", "ipv4", "show", "global", "store=active"), "ipv4", "active", data, 437, 0, None)
    return _capture(
        "derived (not a capture) from real-win10-ipv6-show-privacy-en-US.json",
        "en-US",
        437,
        (run,),
        f"Derived fixture: {what}.",
    )


def simulated_capture(profile: SimProfile) -> Capture:
    with tempfile.TemporaryDirectory() as folder:
        state = SimStateFile(Path(folder) / "state.json")
        state.update(lambda machine: setattr(machine, "profile", profile))
        backend = Backend(BackendKind.SIMULATED, state=state.path)
        facts = machine_facts(backend, SimulatedMachineInfo(state))
        capture = diagnose(make_runner(backend), facts, now=FIXED_TIME)
    assert SimulatedMachine().profile.build == 22631
    return replace(capture, notes="diagnose on the simulated machine (tools/make_captures.py)")


def main() -> None:
    CAPTURES.mkdir(parents=True, exist_ok=True)
    made = {f"real-{n}": real_capture(n) for n in REAL}
    made |= {n: derived_capture(n) for n in DERIVED}
    made |= {n: simulated_capture(p) for n, p in SITUATIONS.items()}
    for name, capture in made.items():
        (CAPTURES / f"{name}.json").write_text(capture_text(capture), encoding="utf-8", newline="\n")
    print(f"{len(made)} captures written to {CAPTURES.relative_to(REPO)}")


if __name__ == "__main__":
    main()
