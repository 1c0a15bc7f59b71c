"""The simulated netsh's own ``show global`` text per display language, written out literally.

Deliberately not built from the parser's label table (app/domain/netsh_text.py): a wrong label in one must not
hide in both. The strings follow FACTS.md ("`show global` output") and the zh-CN capture
(samples/win11-ipv4-zh-CN-fragment.txt); tests/fixtures/netsh/sim-*.txt hold the bytes they must give.
Values of the non-loopback rows are illustrative (FACTS.md gives none); padding to one column is a simulation
choice (the real column is UNCONFIRMED; the parser never reads by column).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SimText:
    """One language's ``show global`` output in parts; ``{mtu}``, ``{count}``, ``{mode}`` are the values."""

    tag: str
    codepage: int  # the console (OEM) code page netsh writes in
    active_header: str
    persistent_header: str
    before: str  # the empty line, the title, the dashes and the rows FACTS.md places before the loopback rows
    loopback: str  # only on builds from 17763
    after: str
    new_builds: str  # only on builds from 22000 ("newer builds add Route Policies")
    mtu_on: str
    mtu_off: str


ENGLISH = SimText(
    tag="en-US",
    codepage=437,
    active_header="Querying active state...\n",
    persistent_header="Querying persistent state...\n",  # UNCONFIRMED wording; the parser never reads headers
    before=(
        "\n"
        "General Global Parameters\n"  # UNCONFIRMED title
        "---------------------------------------------\n"
        "Default Hop Limit                : 128 hops\n"
        "Neighbor Cache Limit             : 256 entries per interface\n"
        "Route Cache Limit                : 4096 entries per compartment\n"
        "Reassembly Limit                 : 267748640 bytes\n"
        "ICMP Redirects                   : enabled\n"
        "Source Routing Behavior          : dontforward\n"
        "Task Offload                     : enabled\n"
        "Dhcp Media Sense                 : enabled\n"
        "Media Sense Logging              : disabled\n"
        "MLD Level                        : all\n"
        "MLD Version                      : version3\n"
        "Multicast Forwarding             : disabled\n"
        "Group Forwarded Fragments        : disabled\n"
        "Randomize Identifiers            : enabled\n"
        "Address Mask Reply               : disabled\n"
        "Minimum Mtu                      : 576\n"
        "Flow Label                       : disabled\n"
    ),
    loopback=(
        "Loopback Large Mtu               : {mtu}\n"
        "Loopback Worker Count            : {count}\n"
        "Loopback Execution Mode          : {mode}\n"
    ),
    after=("Source Based ECMP                : enabled\nReassembly Out Of Order Limit    : 32\n"),
    new_builds="Route Policies                   : disabled\n",
    mtu_on="enabled",
    mtu_off="disabled",
)

# zh-CN: the capture shows the header, the title, 45 dashes and "环回大 Mtu : enable". Every other label is
# unknown and shown as "(untranslated) <English>", never invented. (Not "(label unknown to Loopback Tuner)":
# that has the word "loopback" in every row.) The persistent header is unknown: the active one is shown.
CHINESE_SIMPLIFIED = SimText(
    tag="zh-CN",
    codepage=936,
    active_header="\u67e5\u8be2\u6d3b\u52a8\u72b6\u6001...\n",  # 查询活动状态...
    persistent_header="\u67e5\u8be2\u6d3b\u52a8\u72b6\u6001...\n",
    before=(
        "\n"
        "\u5e38\u89c4\u5168\u5c40\u53c2\u6570\n"  # 常规全局参数
        "---------------------------------------------\n"
        "(untranslated) Default Hop Limit                : 128 hops\n"
        "(untranslated) Neighbor Cache Limit             : 256 entries per interface\n"
        "(untranslated) Route Cache Limit                : 4096 entries per compartment\n"
        "(untranslated) Reassembly Limit                 : 267748640 bytes\n"
        "(untranslated) ICMP Redirects                   : enabled\n"
        "(untranslated) Source Routing Behavior          : dontforward\n"
        "(untranslated) Task Offload                     : enabled\n"
        "(untranslated) Dhcp Media Sense                 : enabled\n"
        "(untranslated) Media Sense Logging              : disabled\n"
        "(untranslated) MLD Level                        : all\n"
        "(untranslated) MLD Version                      : version3\n"
        "(untranslated) Multicast Forwarding             : disabled\n"
        "(untranslated) Group Forwarded Fragments        : disabled\n"
        "(untranslated) Randomize Identifiers            : enabled\n"
        "(untranslated) Address Mask Reply               : disabled\n"
        "(untranslated) Minimum Mtu                      : 576\n"
        "(untranslated) Flow Label                       : disabled\n"
    ),
    loopback=(
        "\u73af\u56de\u5927 Mtu                                         : {mtu}\n"  # 环回大 Mtu
        "(untranslated) Loopback Worker Count            : {count}\n"
        "(untranslated) Loopback Execution Mode          : {mode}\n"
    ),
    after=(
        "(untranslated) Source Based ECMP                : enabled\n"
        "(untranslated) Reassembly Out Of Order Limit    : 32\n"
    ),
    new_builds="(untranslated) Route Policies                   : disabled\n",
    mtu_on="enable",  # as printed in the zh-CN capture
    mtu_off="disable",
)

# A family whose output cannot be read (faults ipv4-unreadable / ipv6-unreadable): its loopback rows carry labels
# that differ from the known ones, as a display language or Windows version we have not seen might print them.
# Invented on purpose (a simulation choice, not a claim about Windows): the app must refuse them, never guess.
UNREADABLE_LOOPBACK = (
    "Loopback Large MTU Size          : {mtu}\n"
    "Loopback Worker Thread Count     : {count}\n"
    "Loopback Execution Mode Type     : {mode}\n"
)

SIM_LANGUAGES: dict[str, SimText] = {text.tag: text for text in (ENGLISH, CHINESE_SIMPLIFIED)}
FIRST_BUILD_WITH_ROUTE_POLICIES = 22000  # a simulation choice: FACTS.md says only "newer builds"
