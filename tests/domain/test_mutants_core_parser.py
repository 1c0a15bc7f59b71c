"""The parser after the build-number rework: what counts as a whole table without loopback rows (three known rows
of one language, one from after the loopback rows, boundaries included), each refusal word for word with the raw
text kept, the value rules, and the decoder's fallbacks."""

from __future__ import annotations

import pytest

from app.domain.errors import NoLoopbackRowsError, UnrecognizedOutputError
from app.domain.model import ExecutionMode, LoopbackSettings
from app.domain.parser import decode_output
from tests.conftest import parse_show_global  # the parser with the installed language table

WHOLE = "netsh printed a whole global-parameters table without any loopback line; nothing was guessed"
NONE_KNOWN = (
    "netsh's output has no loopback lines this version can recognize (unknown display language or format); "
    "nothing was guessed"
)
MODE = "Loopback Execution Mode             : adaptive"
COUNT = "Loopback Worker Count               : 4"
MTU = "Loopback Large Mtu                  : enabled"


def table(*rows: str) -> str:
    return "Querying active state...\n\nGeneral Global Parameters\n" + "-" * 34 + "\n" + "\n".join(rows) + "\n"


def refusal(text: str) -> UnrecognizedOutputError:
    with pytest.raises(UnrecognizedOutputError) as info:
        parse_show_global(text)
    assert info.value.raw == text
    return info.value


def test_a_whole_table_without_loopback_rows_is_its_own_error_word_for_word() -> None:
    text = table("Default Hop Limit : 128 hops", "Minimum Mtu : 576", "Source Based ECMP : disabled")
    error = refusal(text)
    assert type(error) is NoLoopbackRowsError
    assert str(error) == WHOLE


def test_three_known_rows_are_enough_and_two_are_not() -> None:
    three = table("Flow Label : enabled", "Neighbor Cache Limit : 256", "Reassembly Out Of Order Limit : 32")
    assert type(refusal(three)) is NoLoopbackRowsError
    two = table("Flow Label : enabled", "Reassembly Out Of Order Limit : 32")
    error = refusal(two)
    assert type(error) is UnrecognizedOutputError
    assert str(error) == NONE_KNOWN


def test_a_table_cut_before_the_rows_after_loopback_is_not_whole() -> None:
    text = table("Default Hop Limit : 128 hops", "Neighbor Cache Limit : 256", "Minimum Mtu : 576", "Flow Label : x")
    error = refusal(text)
    assert type(error) is UnrecognizedOutputError
    assert str(error) == NONE_KNOWN


def test_one_after_row_among_unknown_rows_is_not_a_whole_table() -> None:
    text = "Source Based ECMP : disabled\nSomething : 1\nSomething Else : 2\nA Third Thing : 3\n"
    error = refusal(text)
    assert type(error) is UnrecognizedOutputError
    assert str(error) == NONE_KNOWN


def test_a_whole_table_with_an_unmapped_loopback_row_is_a_partial_read() -> None:
    text = table(
        "Default Hop Limit : 128 hops", "Minimum Mtu : 576", "Source Based ECMP : disabled", "Loopback Turbo : on"
    )
    error = refusal(text)
    assert type(error) is UnrecognizedOutputError
    assert str(error).startswith("netsh's output could not be read with certainty: recognized none; not recognized ")


def test_a_known_row_next_to_a_whole_table_is_a_partial_read_naming_it() -> None:
    text = table("Default Hop Limit : 128 hops", "Minimum Mtu : 576", "Source Based ECMP : disabled", MTU)
    error = refusal(text)
    assert type(error) is UnrecognizedOutputError
    assert str(error) == (
        "netsh's output could not be read with certainty: recognized large MTU; not recognized execution mode, "
        "worker count (labels in this display language are not known yet); nothing was guessed"
    )


def test_blank_output_is_refused_with_the_text_kept() -> None:
    error = refusal("\r\n \n")
    assert type(error) is UnrecognizedOutputError
    assert str(error) == "netsh printed nothing"


def test_a_value_it_does_not_understand_quotes_the_line() -> None:
    error = refusal(table(MODE, "Loopback Worker Count   :   17  ", MTU))
    assert str(error) == (
        "netsh reported a value for the worker count that this version does not understand: "
        "'Loopback Worker Count   :   17'"
    )
    for bad in ("0", "1000", "-1", "4a", "", "0x4"):
        assert "worker count that this version" in str(refusal(table(MODE, f"Loopback Worker Count : {bad}", MTU)))
    assert "execution mode that" in str(refusal(table("Loopback Execution Mode : turbo", COUNT, MTU)))
    assert "large MTU that" in str(refusal(table(MODE, COUNT, "Loopback Large Mtu : yes")))


def test_a_setting_twice_with_different_values_is_refused_with_the_text() -> None:
    error = refusal(table(MODE, COUNT, MTU, "Loopback Large Mtu : disabled"))
    assert str(error) == "netsh reported the large MTU twice with different values"


def test_values_are_read_whatever_their_case_and_spacing() -> None:
    text = table("Loopback Execution Mode : WORKER ", "Loopback Worker Count : 016", "Loopback Large Mtu : Disable")
    assert parse_show_global(text) == LoopbackSettings(ExecutionMode.WORKER, 16, False)
    again = table(MODE, COUNT, MTU, MTU, "Loopback Large Mtu : enable")  # the same value twice is fine
    assert parse_show_global(again) == LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)
    assert parse_show_global(table(MODE, "Loopback Worker Count : 1", MTU)).worker_count == 1


def test_decoding_uses_the_code_page_then_utf8_then_cp437() -> None:
    assert decode_output("Ü".encode("cp850"), 850) == "Ü"
    assert decode_output("Ü".encode(), 65001) == "Ü"
    assert decode_output("Ü".encode(), None) == "Ü"
    assert decode_output("Ü".encode(), 99999) == "Ü"  # no such code page: UTF-8
    assert decode_output(b"\x9a", 0) == "Ü"  # not UTF-8: cp437
    assert decode_output(b"\x9a", 65001) == "Ü"
