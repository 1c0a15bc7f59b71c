"""The ``show global`` parser against golden outputs, the real samples, code pages, and arbitrary text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import NetshOutputError, NoLoopbackRowsError, UnrecognizedOutputError
from app.domain.model import ExecutionMode, LoopbackSettings
from app.domain.parser import decode_output
from tests.conftest import (
    FIXTURES,
    SAMPLES,
    parse_show_global,  # the parser with the installed language table
    strip_comments,
)

ADA, INL, WRK = ExecutionMode.ADAPTIVE, ExecutionMode.INLINE, ExecutionMode.WORKER
NO_ROWS, UNRECOGNIZED = "no loopback rows", "unrecognized"

# file -> (code page it is written in, expected settings or kind of failure); see fixtures/netsh/README.md.
GOLDEN: dict[str, tuple[int, LoopbackSettings | str]] = {
    "en-US-documented-order-crlf.txt": (437, LoopbackSettings(ADA, 4, True)),
    "en-US-padding-variants.txt": (437, LoopbackSettings(INL, 2, False)),
    "en-US-trailing-spaces.txt": (437, LoopbackSettings(WRK, 8, False)),
    "en-US-letter-case.txt": (437, LoopbackSettings(WRK, 16, True)),
    "en-US-enable-token.txt": (437, LoopbackSettings(INL, 1, True)),
    "en-US-disable-token.txt": (437, LoopbackSettings(ADA, 3, False)),
    "en-US-shuffled.txt": (437, LoopbackSettings(WRK, 12, False)),
    "en-US-unknown-extra-lines.txt": (437, LoopbackSettings(INL, 4, True)),
    "zh-CN-fragment-cp936.txt": (936, UNRECOGNIZED),
    # Only the header, the title and one loopback label are known in zh-CN: no evidence of a whole table, so
    # not even "no loopback rows" (the reading layer still calls it unsupported on a build before 17763).
    "zh-CN-pre1809-cp936.txt": (936, UNRECOGNIZED),
    # A whole English table without loopback rows: a fact about the text; "unsupported" needs the build number.
    "en-US-pre1809.txt": (437, NO_ROWS),
    "empty.txt": (437, UNRECOGNIZED),
    "de-DE-like-unknown-labels-cp850.txt": (850, UNRECOGNIZED),
    "en-US-duplicate-disagree.txt": (437, UNRECOGNIZED),
    "en-US-worker-count-17.txt": (437, UNRECOGNIZED),
    "en-US-mode-fast.txt": (437, UNRECOGNIZED),
    # The simulator's expected bytes (derived from FACTS.md, checked byte for byte in tests/simulator/test_netsh.py).
    "sim-en-US-show-global.txt": (437, LoopbackSettings(ADA, 4, True)),
    "sim-zh-CN-show-global-cp936.txt": (936, UNRECOGNIZED),
}
ERRORS = {NO_ROWS: NoLoopbackRowsError, UNRECOGNIZED: UnrecognizedOutputError}


def golden_text(name: str) -> str:
    codepage, _ = GOLDEN[name]
    return decode_output((FIXTURES / name).read_bytes(), codepage)


def test_every_fixture_file_has_an_expectation() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.txt")) == sorted(GOLDEN)


def test_fixture_files_carry_no_comment() -> None:
    for name in GOLDEN:
        assert not (FIXTURES / name).read_bytes().startswith(b"#"), name


def test_the_documented_fixture_uses_crlf() -> None:
    data = (FIXTURES / "en-US-documented-order-crlf.txt").read_bytes()
    assert b"\r\n" in data and data.count(b"\n") == data.count(b"\r\n")


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_output(name: str) -> None:
    _, expected = GOLDEN[name]
    text = golden_text(name)
    if isinstance(expected, LoopbackSettings):
        assert parse_show_global(text) == expected
    else:
        with pytest.raises(ERRORS[expected]) as caught:
            parse_show_global(text)
        assert type(caught.value) is ERRORS[expected]
        assert caught.value.raw == text  # the raw text travels with the error, for the user to see


def test_unrecognized_value_names_the_offending_line() -> None:
    with pytest.raises(UnrecognizedOutputError, match=r"Loopback Worker Count +: 17"):
        parse_show_global(golden_text("en-US-worker-count-17.txt"))
    with pytest.raises(UnrecognizedOutputError, match="fast"):
        parse_show_global(golden_text("en-US-mode-fast.txt"))


def test_duplicate_lines_that_agree_are_accepted() -> None:
    text = golden_text("en-US-documented-order-crlf.txt") + "Loopback Worker Count : 4\r\n"
    assert parse_show_global(text) == LoopbackSettings(ADA, 4, True)


def test_zh_cn_fragment_reports_what_it_recognized() -> None:
    with pytest.raises(UnrecognizedOutputError, match="recognized large MTU"):
        parse_show_global(golden_text("zh-CN-fragment-cp936.txt"))


def test_a_table_without_loopback_rows_is_a_fact_not_a_verdict_on_the_build() -> None:
    # The parser cannot know the build: it says what the text lacks and never claims the build is too old.
    with pytest.raises(NoLoopbackRowsError, match="without any loopback line") as caught:
        parse_show_global(golden_text("en-US-pre1809.txt"))
    assert isinstance(caught.value, UnrecognizedOutputError)  # a caller that ignores the fact gets "unrecognized"
    assert "1809" not in str(caught.value) and "build" not in str(caught.value)


def test_unknown_language_is_not_called_unsupported() -> None:
    # Without loopback rows, an English-looking table means "before 1809"; an unknown language means "don't know".
    text = golden_text("de-DE-like-unknown-labels-cp850.txt")
    without_loopback = "\n".join(line for line in text.splitlines() if "ckschleife" not in line)
    with pytest.raises(UnrecognizedOutputError) as caught:
        parse_show_global(without_loopback)
    assert type(caught.value) is UnrecognizedOutputError


# --- the real captures (other netsh commands): never settings, never another exception ---

SAMPLE_FILES = sorted(SAMPLES.glob("*.txt"))
SHARED_SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "netsh" / "samples"  # beside the checkout


def test_the_samples_are_all_there() -> None:
    assert len(SAMPLE_FILES) == 13
    if SHARED_SAMPLES.is_dir():  # the copies are verbatim
        assert {p.name: p.read_bytes() for p in SHARED_SAMPLES.glob("*.txt")} == {
            p.name: p.read_bytes() for p in SAMPLE_FILES
        }


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_real_samples_are_never_read_as_settings(path: Path) -> None:
    data = strip_comments(path.read_bytes())
    assert data and not data.startswith(b"#")
    for codepage in (65001, 437, 936, None):
        with pytest.raises(UnrecognizedOutputError) as caught:
            parse_show_global(decode_output(data, codepage))
        assert type(caught.value) is UnrecognizedOutputError  # other commands' output is not a global table


def test_real_zh_cn_ipv4_fragment_is_unrecognized_with_large_mtu_seen() -> None:
    data = strip_comments((SAMPLES / "win11-ipv4-zh-CN-fragment.txt").read_bytes())
    with pytest.raises(UnrecognizedOutputError, match="recognized large MTU"):
        parse_show_global(decode_output(data, 65001))


# --- decode_output ---


@pytest.mark.parametrize(
    ("text", "codepage"),
    [
        ("Loopback Large Mtu : enabled \u2502", 437),
        ("Gro\u00dfe MTU f\u00fcr R\u00fcckschleife : enabled", 850),
        ("\u73af\u56de\u5927 Mtu : enable", 936),
        ("\u73af\u56de\u5927 Mtu : enable \u00e9", 65001),
    ],
)
def test_decode_with_the_console_code_page(text: str, codepage: int) -> None:
    encoding = "utf-8" if codepage == 65001 else f"cp{codepage}"
    assert decode_output(text.encode(encoding), codepage) == text


def test_cp850_and_cp437_differ_and_the_code_page_decides() -> None:
    data = "\u00d8".encode("cp850")  # Ø exists in cp850 only
    assert decode_output(data, 850) == "\u00d8"
    assert decode_output(data, 437) != "\u00d8"


def test_no_code_page_means_utf8_then_cp437() -> None:
    assert decode_output("\u73af\u56de".encode(), None) == "\u73af\u56de"
    assert decode_output("\u00fc".encode("cp437"), None) == "\u00fc"  # not UTF-8: falls back to cp437


def test_unknown_code_page_falls_back() -> None:
    assert decode_output(b"Loopback Worker Count : 4", 99999) == "Loopback Worker Count : 4"
    assert decode_output("\u00e4".encode(), 99999) == "\u00e4"
    assert isinstance(decode_output(b"\xff\xfe\x81", 99999), str)


def test_wrong_code_page_for_cp936_bytes_gives_text_not_an_error() -> None:
    data = (FIXTURES / "zh-CN-fragment-cp936.txt").read_bytes()
    for codepage in (437, 65001, None):
        text = decode_output(data, codepage)
        with pytest.raises(UnrecognizedOutputError):
            parse_show_global(text)


@given(st.binary(max_size=300), st.sampled_from([None, 437, 850, 936, 65001, 1252, 0, 99999, -1]))
def test_decode_uses_the_code_page_else_utf8_else_cp437(data: bytes, codepage: int | None) -> None:
    """Never raises, and the text is exactly what the first encoding that can decode the bytes gives."""
    text = decode_output(data, codepage)
    for encoding in ([("utf-8" if codepage == 65001 else f"cp{codepage}")] if codepage else []) + ["utf-8"]:
        try:
            expected = data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
        assert text == expected
        return
    assert text == data.decode("cp437") and len(text) == len(data)  # cp437 maps every byte to one character


# --- properties: any text gives settings read from its own loopback rows, or a typed refusal with the raw text ---

LABELS = {"mtu": "Loopback Large Mtu", "count": "Loopback Worker Count", "mode": "Loopback Execution Mode"}
VALID = {
    "mtu": ["enabled", "disabled", "enable", "disable", "ENABLED", "Disable"],
    "count": [str(n) for n in range(1, 17)] + ["04"],
    "mode": ["adaptive", "inline", "worker", "INLINE", "Worker"],
}
INVALID = {
    "mtu": ["on", "true", "enabledx", "", "1"],
    "count": ["0", "17", "-1", "4.0", "four", "", "1 2", "\u0664"],
    "mode": ["fast", "", "adaptiv", "inline worker", "1"],
}
OTHER_LINES = [
    "Querying active state...",
    "",
    "General Global Parameters",
    "-" * 46,
    "Default Hop Limit : 128 hops",
    "Minimum Mtu : 576",
    "Route Policies : disabled",
    "Ok.",
    ":",
    " : ",
    "Loopback : x",
    "Loopback Something New : enabled",
]
padding = st.text(alphabet=" \t", max_size=4)
ENGLISH_TABLE_ROWS = [  # the non-loopback rows FACTS.md names
    "Default Hop Limit                : 128 hops",
    "Neighbor Cache Limit             : 256 entries per interface",
    "Minimum Mtu                      : 576",
    "Flow Label                       : disabled",
    "Source Based ECMP                : enabled",
    "Reassembly Out Of Order Limit    : 32",
    "Route Policies                   : disabled",
]


def _bool(token: str) -> bool:
    return token.casefold() in ("enabled", "enable")


@st.composite
def loopback_line(draw: st.DrawFn, key: str, valid: bool) -> tuple[str, str]:
    value = draw(st.sampled_from(VALID[key] if valid else INVALID[key]))
    label = draw(st.sampled_from([LABELS[key], LABELS[key].upper(), LABELS[key].lower()]))
    line = f"{draw(padding)}{label}{draw(padding)}:{draw(padding)}{value}{draw(padding)}"
    return line, value


@st.composite
def show_global_text(draw: st.DrawFn) -> tuple[str, dict[str, list[tuple[str, bool]]]]:
    """Lines built from the known labels and values (each present 0-2 times, valid or not) among other lines."""
    lines = draw(st.lists(st.sampled_from(OTHER_LINES), max_size=6))
    present: dict[str, list[tuple[str, bool]]] = {}
    for key in LABELS:
        for _ in range(draw(st.integers(0, 2))):
            valid = draw(st.booleans())
            line, value = draw(loopback_line(key, valid))
            present.setdefault(key, []).append((value, valid))
            lines.insert(draw(st.integers(0, len(lines))), line)
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    return eol.join(lines), present


def _normal(key: str, value: str) -> object:
    if key == "mtu":
        return _bool(value)
    if key == "count":
        return int(value)
    return value.casefold()


# Computed here, apart from the parser: every line split at its first colon, the label's case and runs of white
# space folded, the value stripped. The parser must agree with these rows, never read anything else.
KNOWN_LOOPBACK_LABELS = {
    "loopback large mtu": "mtu",
    "loopback worker count": "count",
    "loopback execution mode": "mode",
    "\u73af\u56de\u5927 mtu": "mtu",  # 环回大 Mtu (zh-CN)
}
LOOPBACK_WORDS = ("loopback", "\u73af\u56de")


def _label_rows(text: str) -> list[tuple[str, str]]:
    rows = []
    for line in text.splitlines():
        label, colon, value = line.partition(":")
        if colon and label.strip():
            rows.append((" ".join(label.split()).casefold(), value.strip()))
    return rows


def assert_settings_from_the_rows_or_a_typed_refusal(text: str) -> None:
    """The parser's property, for any text: either settings whose every value is what each of the text's own
    loopback rows says (all three present, none disagreeing), or an UnrecognizedOutputError (NoLoopbackRowsError
    only when no row mentions loopback) carrying the raw text and a message. Nothing else, never a guess."""
    rows = _label_rows(text)
    try:
        result = parse_show_global(text)
    except UnrecognizedOutputError as exc:
        assert exc.raw == text and str(exc)
        if isinstance(exc, NoLoopbackRowsError):
            assert not any(word in label for label, _ in rows for word in LOOPBACK_WORDS), text
        return
    seen: dict[str, list[str]] = {}
    for label, value in rows:
        if label in KNOWN_LOOPBACK_LABELS:
            seen.setdefault(KNOWN_LOOPBACK_LABELS[label], []).append(value.casefold())
    assert set(seen) == {"mtu", "count", "mode"}, text
    assert all(v in (("enabled", "enable") if result.large_mtu else ("disabled", "disable")) for v in seen["mtu"])
    assert all(v.isascii() and v.isdigit() and int(v) == result.worker_count for v in seen["count"])
    assert all(v == result.execution_mode.value for v in seen["mode"])


@settings(max_examples=300)
@given(show_global_text())
def test_settings_only_when_all_three_labels_are_present_and_valid(
    case: tuple[str, dict[str, list[tuple[str, bool]]]],
) -> None:
    text, present = case
    complete = set(present) == set(LABELS) and all(valid for values in present.values() for _, valid in values)
    agree = all(len({_normal(k, v) for v, _ in values}) == 1 for k, values in present.items()) if complete else False
    assert_settings_from_the_rows_or_a_typed_refusal(text)
    try:
        result = parse_show_global(text)
    except NetshOutputError:
        assert not (complete and agree), text
        return
    assert complete and agree, text
    assert result.large_mtu == _bool(present["mtu"][0][0])
    assert result.worker_count == int(present["count"][0][0])
    assert result.execution_mode == present["mode"][0][0].casefold()


@given(st.text())
def test_any_text_gives_settings_from_its_rows_or_a_typed_refusal(text: str) -> None:
    assert_settings_from_the_rows_or_a_typed_refusal(text)


@given(
    st.lists(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(OTHER_LINES + list(LABELS.values())),
            st.builds(
                lambda label, sep, value: f"{label}{sep}{value}",
                st.sampled_from([*LABELS.values(), "\u73af\u56de\u5927 Mtu"]),
                st.sampled_from([":", " : ", "\t:\t"]),
                st.one_of(st.text(max_size=12), st.sampled_from([v for vs in VALID.values() for v in vs])),
            ),
        ),
        max_size=12,
    ),
    st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_any_mix_of_labels_and_noise_gives_settings_from_its_rows_or_a_typed_refusal(
    lines: list[str], eol: str
) -> None:
    assert_settings_from_the_rows_or_a_typed_refusal(eol.join(lines))


@given(st.lists(st.sampled_from(ENGLISH_TABLE_ROWS), min_size=1, max_size=8), st.sampled_from(["\n", "\r\n"]))
def test_tables_without_loopback_rows_are_never_settings_and_keep_their_raw_text(rows: list[str], eol: str) -> None:
    text = eol.join(["Querying active state...", "", "General Global Parameters", "-" * 45, *rows, ""])
    with pytest.raises(UnrecognizedOutputError) as caught:
        parse_show_global(text)
    assert caught.value.raw == text
    # "No loopback rows" needs evidence of a whole table: three known rows, one of them from after the loopback rows.
    labels = {row.partition(":")[0].strip() for row in rows}
    whole = len(labels) >= 3 and bool(labels & {"Source Based ECMP", "Reassembly Out Of Order Limit"})
    assert isinstance(caught.value, NoLoopbackRowsError) is whole, text


@pytest.mark.parametrize(
    "text",
    [
        "Querying active state...\r\n\r\n",  # the header alone
        "Querying active state...\r\n\r\nGeneral Global Parameters\r\n----------\r\n",  # and the title
        "Querying active state...\r\n\r\nGeneral Global Parameters\r\n----------\r\n"
        "Default Hop Limit : 128 hops\r\nNeighbor Cache Limit : 256 entries per interface\r\n"
        "Minimum Mtu : 576\r\nFlow Label : disabled\r\n",  # cut off before the loopback rows' place
    ],
)
def test_unsupported_needs_a_whole_table_not_just_a_header(text: str) -> None:
    with pytest.raises(UnrecognizedOutputError):
        parse_show_global(text)


def test_a_whole_english_table_without_loopback_rows_reports_no_loopback_rows() -> None:
    text = (
        "Querying active state...\r\n\r\nGeneral Global Parameters\r\n----------\r\n"
        "Default Hop Limit : 128 hops\r\nMinimum Mtu : 576\r\nFlow Label : disabled\r\n"
        "Source Based ECMP : enabled\r\nReassembly Out Of Order Limit : 32\r\n"
    )
    with pytest.raises(NoLoopbackRowsError):
        parse_show_global(text)
