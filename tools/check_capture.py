"""Check a diagnostics file with this version's parser; optionally write a candidate Windows-defaults entry.

    python tools/check_capture.py FILE [--require-english-values] [--defaults-candidate OUT --image NAME VERSION]

Used by the Windows workflow on the runner's own capture. Exit codes: 0 fine; 1 the parser's result differs from
the file's record, or (with --require-english-values, on an English display language) not all six values of
both stores were read; 2 a bad file or option. The candidate is a one-entry table in the format of
resources/windows_defaults.json, its source naming the runner image: a candidate only (an image is not
necessarily a clean installation), never added to the table without review.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from app.domain.capture import Capture, ParsedRun, read_failure  # noqa: E402
from app.domain.defaults import parse_defaults  # noqa: E402
from app.domain.errors import ValidationError  # noqa: E402
from app.domain.model import Family, LoopbackSettings, Store  # noqa: E402
from app.domain.parser import decode_output  # noqa: E402
from app.domain.runs import CommandResult  # noqa: E402
from app.runners.readings import reading_from  # noqa: E402
from app.simulator.capture import load_capture  # noqa: E402

PROG = "check_capture"


def parsed_again(capture: Capture) -> list[ParsedRun]:
    """What this version's parser makes of each run's bytes (as the corpus test does)."""
    again = []
    for run in capture.runs:
        if not run.started:
            again.append(ParsedRun.of(read_failure(run, capture.windows.build)))
            continue
        stdout = decode_output(run.stdout, capture.codepage).replace("\r\n", "\n")
        stderr = decode_output(run.stderr, capture.codepage).replace("\r\n", "\n")
        result = CommandResult(run.argv, run.exit_code, stdout, stderr, timed_out=run.timed_out)
        again.append(ParsedRun.of(reading_from(result, capture.windows.build)))
    return again


def values(capture: Capture, parsed: list[ParsedRun]) -> dict[tuple[Family, Store], LoopbackSettings | str]:
    """(family, store) -> settings, or the problem's message, for every family and store."""
    found: dict[tuple[Family, Store], LoopbackSettings | str] = {}
    for family in Family:
        for store in Store:
            index = next((i for i, r in enumerate(capture.runs) if r.family is family and r.store is store), None)
            if index is None:
                found[(family, store)] = "not in the file"
            else:
                found[(family, store)] = parsed[index].settings or f"{parsed[index].problem}: {parsed[index].message}"
    return found


def candidate(capture: Capture, read: dict[tuple[Family, Store], LoopbackSettings | str], image: Sequence[str]) -> str:
    """A one-entry defaults table for the captured build, from the saved (persistent) values; raises ValueError
    when there is none to propose (a value unread, the families differ, or the build is unknown)."""
    saved = {read[(f, Store.PERSISTENT)] for f in Family}
    build = capture.windows.build
    if build is None or len(saved) != 1:
        raise ValueError("no candidate: the build is unknown or the two families' saved values differ")
    (settings,) = saved
    if not isinstance(settings, LoopbackSettings):
        raise ValueError("no candidate: the saved values could not be read")
    w = capture.windows
    release = "".join(f" {x}" for x in (w.edition, w.display_version) if x)
    source = (
        f"CANDIDATE, not reviewed: GitHub Actions runner image {image[0]} version {image[1]} (Windows build "
        f"{build}.{w.ubr if w.ubr is not None else '?'}{release}, display language {w.user_ui_language}), saved "
        "store as read by 'loopback-tuner-cli diagnose' in the windows workflow. A runner image is not necessarily "
        "a clean installation."
    )
    table = {
        "format": "loopback-tuner-defaults",
        "version": 1,
        "about": "A candidate entry for resources/windows_defaults.json, made by tools/check_capture.py.",
        "entries": [
            {"scope": "windows", "min_build": build, "max_build": build, "values": settings.to_json(), "source": source}
        ],
    }
    text = json.dumps(table, indent=2) + "\n"
    parse_defaults(text)  # the candidate is in the table's format, or this raises
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("file", type=Path)
    parser.add_argument("--require-english-values", action="store_true", help="fail unless all values are read")
    parser.add_argument("--defaults-candidate", type=Path, metavar="OUT", help="write a candidate defaults entry")
    parser.add_argument(
        "--image", nargs=2, metavar=("NAME", "VERSION"), help="the runner image (for --defaults-candidate)"
    )
    args = parser.parse_args(argv)
    if args.defaults_candidate and not args.image:
        print(f"{PROG}: error: --defaults-candidate needs --image NAME VERSION", file=sys.stderr)
        return 2
    try:
        capture = load_capture(args.file)
    except ValidationError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    parsed = parsed_again(capture)
    code = 0
    if parsed != [run.parsed for run in capture.runs]:
        print(f"{PROG}: the parser's result differs from the file's record", file=sys.stderr)
        code = 1
    read = values(capture, parsed)
    language = capture.windows.user_ui_language or "unknown"
    print(f"Windows build {capture.windows.build}, display language {language}, code page {capture.codepage}")
    for (family, store), value in read.items():
        shown = json.dumps(value.to_json()) if isinstance(value, LoopbackSettings) else value
        print(f"  {family.value} {store.value}: {shown}")
    if args.require_english_values:
        unread = [f"{f.value} {s.value}" for (f, s), v in read.items() if not isinstance(v, LoopbackSettings)]
        if not language.casefold().startswith("en"):
            print(f"note: display language {language} is not English: all values are not required")
        elif unread:
            print(
                f"{PROG}: on an English Windows every value must be read; not read: {', '.join(unread)}",
                file=sys.stderr,
            )
            code = 1
    if args.defaults_candidate:
        try:
            args.defaults_candidate.write_text(candidate(capture, read, args.image), encoding="utf-8")
            print(f"Wrote a candidate defaults entry to {args.defaults_candidate}")
        except ValueError as exc:
            print(f"note: {exc}")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
