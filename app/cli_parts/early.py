"""``show``'s netsh runs, started before the command line has imported its parser or the domain (issue 16, make
bench's figure 3): ``start_show`` looks at the arguments, and when they plainly ask for ``show`` on Windows' own
netsh or the simulated machine, starts the read's runs on threads (app/runners/early.py) and returns them.

It only ever starts a read, the same four ``show global`` runs the full parse would start a moment later, and only
when it is sure what the full parse will find: anything it does not know (another command, help, an option it does
not take, a value that starts with a dash, ``--`` ...) leaves the start to the full parse. A program named with
``--netsh`` or LOOPBACK_TUNER_NETSH is never run from here: what runs as netsh is decided by the full parse alone.
The command line takes the runs only when the full parse chooses the same backend (app/cli.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from app.domain.read_plan import STORE_WORDS
from app.runners.factory import BACKEND_NAMES

if TYPE_CHECKING:
    from app.runners.early import StartedRead

# The global options that take a value (app/wiring.py add_backend_options): their value is never the command.
VALUED_GLOBALS = ("--backend", "--netsh", "--state", "--capture")
# The global options without a value (app/cli_parts/parser.py build_parser) that leave the backend alone.
_FLAG_GLOBALS = ("--verbose", "-v")
# show's own options (app/cli_parts/parser.py _add_show), with and without a value.
_SHOW_VALUED = ("--store",)
_SHOW_FLAGS = ("--json",)
# The options whose values the parser checks against a list (argparse's choices), and that list.
_CHOICES = {"--backend": BACKEND_NAMES, "--store": STORE_WORDS}


def command_of(argv: Sequence[str]) -> str | None:
    """The sub-command ``argv`` names (the first word that is neither a global option nor its value), or None."""
    words = iter(argv)
    for word in words:
        if word in VALUED_GLOBALS:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def plain_show_options(argv: Sequence[str]) -> dict[str, str] | None:
    """The backend options of ``argv`` when it is plainly a ``show`` (every word known, the parser has no
    abbreviations), as {option name: value}, the last one winning as in argparse; None otherwise."""
    options: dict[str, str] = {}
    words = list(argv)
    i, command = 0, None
    while i < len(words):
        word = words[i]
        name, equals, value = word.partition("=")
        valued = (VALUED_GLOBALS if command is None else _SHOW_VALUED) if word.startswith("--") else ()
        flags = _FLAG_GLOBALS if command is None else _SHOW_FLAGS
        if name in valued:
            if not equals:
                i += 1
                if i == len(words):
                    return None
                value = words[i]
            if not value or value.startswith("-") or value not in _CHOICES.get(name, (value,)):
                return None
            if command is None:
                options[name[2:]] = value
        elif word in flags:
            pass
        elif command is None and word == "show":
            command = word
        else:
            return None
        i += 1
    return options if command == "show" else None


def start_show(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> StartedRead | None:
    """The read ``show`` makes, started now when ``argv`` is plainly a ``show`` on Windows' netsh or the simulated
    machine (see the module's text); None when it is not, or when anything is in doubt."""
    options = plain_show_options(argv)
    if options is None or "capture" in options:  # a replay runs nothing, and its file is checked by the full parse
        return None
    from app.domain.errors import ValidationError
    from app.runners.early import start_read
    from app.runners.factory import BackendKind, choose_backend

    try:  # the one choice of backend, from the same options and environment the full parse will see
        backend = choose_backend(
            backend=options.get("backend"), netsh=options.get("netsh"), state=options.get("state"), environ=environ
        )
    except ValidationError:
        return None  # the full parse reports it
    if backend.kind not in (BackendKind.SYSTEM, BackendKind.SIMULATED):
        return None  # a custom netsh: what runs as netsh is started by the full parse alone
    try:
        return start_read(backend)
    except Exception:  # only a head start: the full parse starts the read again and reports any error
        return None
