"""What the parser knows of netsh's ``show global`` labels per display language, each entry sourced in FACTS.md.

The simulator has its own literal text (app/simulator/output.py) and never reads this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.model import Setting


@dataclass(frozen=True)
class Language:
    """Known strings of one Windows display language. ``labels`` holds only translations we have seen."""

    tag: str
    name: str
    labels: dict[Setting, str]
    # Words that, inside a label, show a line is about loopback even when we cannot map it.
    loopback_words: tuple[str, ...]
    # Labels of other (non-loopback) rows of the same table: their presence proves the table is
    # ``show global`` in this language even when the loopback rows are absent.
    other_labels: tuple[str, ...] = ()
    # Of those, the rows FACTS.md places after the loopback rows: seeing one shows the table was not cut short
    # before the place where the loopback rows would be.
    after_labels: tuple[str, ...] = ()


ENGLISH = Language(
    tag="en-US",
    name="English",
    labels={
        Setting.LARGE_MTU: "Loopback Large Mtu",
        Setting.WORKER_COUNT: "Loopback Worker Count",
        Setting.EXECUTION_MODE: "Loopback Execution Mode",
    },
    loopback_words=("loopback",),
    other_labels=(
        "Default Hop Limit",
        "Neighbor Cache Limit",
        "Minimum Mtu",
        "Flow Label",
        "Source Based ECMP",
        "Reassembly Out Of Order Limit",
        "Route Policies",
    ),
    after_labels=("Source Based ECMP", "Reassembly Out Of Order Limit"),
)

# zh-CN: only the large-MTU label is known (samples/win11-ipv4-zh-CN-fragment.txt).
CHINESE_SIMPLIFIED = Language(
    tag="zh-CN",
    name="Chinese (Simplified)",
    labels={Setting.LARGE_MTU: "\u73af\u56de\u5927 Mtu"},  # 环回大 Mtu
    loopback_words=("\u73af\u56de",),  # 环回 = loopback
)

LANGUAGES: tuple[Language, ...] = (ENGLISH, CHINESE_SIMPLIFIED)


def normalize_label(label: str) -> str:
    """Labels compare case-insensitively with runs of white space folded to one space."""
    return " ".join(label.split()).casefold()
