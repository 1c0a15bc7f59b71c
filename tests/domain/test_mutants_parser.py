"""The parser's refusals word for word (each is the one line the user sees, with the raw text kept); the
"unsupported build" decision is left to its own tests, which the build-number rework changes."""

from __future__ import annotations

import pytest

from app.domain.errors import UnrecognizedOutputError
from tests.conftest import parse_show_global  # the parser with the installed language table

MODE = "Loopback Execution Mode             : adaptive"
COUNT = "Loopback Worker Count               : 4"
MTU = "Loopback Large Mtu                  : enabled"


def unrecognized(text: str) -> str:
    with pytest.raises(UnrecognizedOutputError) as info:
        parse_show_global(text)
    assert info.value.raw == text
    return str(info.value)


def test_empty_output_says_netsh_printed_nothing() -> None:
    assert unrecognized("  \r\n") == "netsh printed nothing"


def test_a_setting_twice_with_different_values_is_refused() -> None:
    text = "\n".join([MODE, COUNT, MTU, "Loopback Worker Count : 8"])
    assert unrecognized(text) == "netsh reported the worker count twice with different values"


def test_a_partial_set_names_what_was_and_was_not_recognized() -> None:
    assert unrecognized("\n".join([COUNT, MODE])) == (
        "netsh's output could not be read with certainty: recognized worker count, execution mode; not recognized "
        "large MTU (labels in this display language are not known yet); nothing was guessed"
    )


def test_a_loopback_row_it_cannot_map_is_a_partial_read_not_a_missing_table() -> None:
    assert unrecognized("Loopback Turbo Mode : on") == (
        "netsh's output could not be read with certainty: recognized none; not recognized execution mode, "
        "worker count, large MTU (labels in this display language are not known yet); nothing was guessed"
    )


def test_output_without_any_loopback_line_says_nothing_was_guessed() -> None:
    assert unrecognized("Some other tool's output : yes") == (
        "netsh's output has no loopback lines this version can recognize (unknown display language or format); "
        "nothing was guessed"
    )
