"""The Windows facts of a diagnostics file, faked at the raw calls: the exact calls and arguments are asserted."""

from __future__ import annotations

import sys

import pytest

from app.domain.capture import WindowsFacts
from app.platform import win32_system as w

KEY = "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"
DWORD = 0x10 | 0x10000  # RRF_RT_REG_DWORD | RRF_SUBKEY_WOW6464KEY
SZ = 0x2 | 0x10000  # RRF_RT_REG_SZ | RRF_SUBKEY_WOW6464KEY


class FakeSystemInfoApi:
    """Records each call; the registry answers from ``values`` (a missing value raises FileNotFoundError)."""

    def __init__(self, values: dict[str, int | str] | None = None, names: dict[int, str] | None = None) -> None:
        self.calls: list[tuple[object, ...]] = []
        self.values = (
            values if values is not None else {"UBR": 4317, "EditionID": "Professional", "DisplayVersion": "23H2"}
        )
        self.names = names if names is not None else {0x0409: "en-US", 0x0407: "de-DE"}

    def GetUserDefaultUILanguage(self) -> int:  # noqa: N802
        self.calls.append(("GetUserDefaultUILanguage",))
        return 0x0407

    def GetSystemDefaultUILanguage(self) -> int:  # noqa: N802
        self.calls.append(("GetSystemDefaultUILanguage",))
        return 0x0409

    def LCIDToLocaleName(self, locale: int, flags: int) -> str:  # noqa: N802
        self.calls.append(("LCIDToLocaleName", locale, flags))
        if locale not in self.names:
            raise OSError("no name")
        return self.names[locale]

    def GetOEMCP(self) -> int:  # noqa: N802
        self.calls.append(("GetOEMCP",))
        return 850

    def GetACP(self) -> int:  # noqa: N802
        self.calls.append(("GetACP",))
        return 1252

    def GetConsoleOutputCP(self) -> int:  # noqa: N802
        self.calls.append(("GetConsoleOutputCP",))
        return 65001

    def RegGetValueW(self, key: int, subkey: str, value: str, flags: int) -> int | str:  # noqa: N802
        self.calls.append(("RegGetValueW", key, subkey, value, flags))
        if value not in self.values:
            raise FileNotFoundError(value)
        return self.values[value]


def test_the_facts_come_from_exactly_these_calls() -> None:
    api = FakeSystemInfoApi()
    facts = w.windows_facts(api, 22631, False)
    assert facts == WindowsFacts(22631, 4317, "Professional", "23H2", "de-DE", "en-US", 850, 1252, 65001, False)
    assert api.calls == [
        ("RegGetValueW", 0x80000002, KEY, "UBR", DWORD),
        ("RegGetValueW", 0x80000002, KEY, "EditionID", SZ),
        ("RegGetValueW", 0x80000002, KEY, "DisplayVersion", SZ),
        ("GetUserDefaultUILanguage",),
        ("LCIDToLocaleName", 0x0407, 0),
        ("GetSystemDefaultUILanguage",),
        ("LCIDToLocaleName", 0x0409, 0),
        ("GetOEMCP",),
        ("GetACP",),
        ("GetConsoleOutputCP",),
    ]


def test_what_windows_does_not_give_is_none_never_a_guess() -> None:
    # Before 20H2 there is no DisplayVersion; a LANGID without a locale name stays unknown.
    api = FakeSystemInfoApi(values={"UBR": 1, "EditionID": ""}, names={})
    facts = w.windows_facts(api, None, None)
    assert (facts.ubr, facts.edition, facts.display_version) == (1, None, None)
    assert (facts.user_ui_language, facts.system_ui_language, facts.build, facts.elevated) == (None, None, None, None)


def test_a_value_of_the_wrong_type_is_not_taken() -> None:
    facts = w.windows_facts(FakeSystemInfoApi(values={"UBR": "4317", "EditionID": 3, "DisplayVersion": 4}), 1, True)
    assert (facts.ubr, facts.edition, facts.display_version) == (None, None, None)


def test_a_predefined_key_is_sign_extended_to_the_pointer_width() -> None:
    assert w.predefined_key(0x80000002, 8) == 0xFFFFFFFF80000002
    assert w.predefined_key(0x80000002, 4) == 0x80000002


def test_system_facts_uses_the_given_api() -> None:
    api = FakeSystemInfoApi()
    assert w.system_facts(26100, True, api).oem_codepage == 850 and api.calls


@pytest.mark.skipif(sys.platform == "win32", reason="off Windows only")
def test_off_windows_only_the_given_facts_are_known() -> None:
    assert w.system_facts(22631, False) == WindowsFacts(build=22631, elevated=False)
    with pytest.raises(OSError):
        w.CtypesSystemInfoApi()


@pytest.mark.windows
@pytest.mark.skipif(sys.platform != "win32", reason="needs Windows")
def test_the_real_calls_answer() -> None:
    facts = w.system_facts(None, None)
    assert facts.oem_codepage and facts.ansi_codepage and facts.user_ui_language and facts.ubr is not None
