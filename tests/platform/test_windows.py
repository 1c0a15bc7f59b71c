"""Tests for app.platform: a recording fake Win32Api on every OS, the real ctypes one on Windows only."""

from __future__ import annotations

import ctypes
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.platform import win32api
from app.platform.win32api import SHELLEXECUTEINFOW, CtypesWin32Api, Win32Api
from app.platform.windows import (
    ElevatedLauncher,
    ElevatedProcess,
    ElevationCancelledError,
    ElevationError,
    ElevationFailedError,
    Win32Error,
    console_codepage,
    default_api,
    is_elevated,
    netsh_path,
    windows_command_line,
)

IS_64BIT = ctypes.sizeof(ctypes.c_void_p) == 8
HELPER = r"C:\Program Files\Loopback Tuner\helper.exe"
PROCESS_HANDLE = 0x1234
OWNER_HWND = 0x000A0B0C

on_windows = pytest.mark.skipif(sys.platform != "win32", reason="needs a real Windows machine")
off_windows = pytest.mark.skipif(sys.platform == "win32", reason="checks the behaviour off Windows")


@dataclass
class FakeWin32Api:
    """Records every call (name, arguments); SHELLEXECUTEINFOW fields are copied at call time."""

    shell_execute_ok: bool = True
    process_handle: int | None = PROCESS_HANDLE
    last_error: int = 0
    wait_result: int = win32api.WAIT_OBJECT_0
    exit_code: int = 0
    elevated: bool = False
    oem_cp: int = 437
    console_cp: int = 0
    windows_64bit: bool = True
    system_root: str = r"C:\Windows"
    during_wait: Callable[[], None] | None = None
    calls: list[tuple[str, tuple[object, ...]]] = field(default_factory=list)
    infos: list[dict[str, object]] = field(default_factory=list)

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def shell_execute_ex(self, info: SHELLEXECUTEINFOW) -> bool:
        snapshot: dict[str, object] = {name: getattr(info, name) for name, *_ in SHELLEXECUTEINFOW._fields_}
        self.infos.append(snapshot)
        self.calls.append(("shell_execute_ex", ()))
        if self.shell_execute_ok:
            info.hProcess = self.process_handle
        return self.shell_execute_ok

    def get_last_error(self) -> int:
        self.calls.append(("get_last_error", ()))
        return self.last_error

    def wait_for_single_object(self, handle: int, timeout_ms: int) -> int:
        self.calls.append(("wait_for_single_object", (handle, timeout_ms)))
        if self.during_wait is not None:
            self.during_wait()
        return self.wait_result

    def get_exit_code_process(self, handle: int) -> int:
        self.calls.append(("get_exit_code_process", (handle,)))
        return self.exit_code

    def close_handle(self, handle: int) -> None:
        self.calls.append(("close_handle", (handle,)))

    def is_process_elevated(self) -> bool:
        self.calls.append(("is_process_elevated", ()))
        return self.elevated

    def get_oem_cp(self) -> int:
        self.calls.append(("get_oem_cp", ()))
        return self.oem_cp

    def get_console_output_cp(self) -> int:
        self.calls.append(("get_console_output_cp", ()))
        return self.console_cp

    def is_64bit_windows(self) -> bool:
        self.calls.append(("is_64bit_windows", ()))
        return self.windows_64bit

    def get_system_root(self) -> str:
        self.calls.append(("get_system_root", ()))
        return self.system_root

    def get_user_ui_language(self) -> str:
        self.calls.append(("get_user_ui_language", ()))
        return "de-DE"


def _as_api(fake: FakeWin32Api) -> Win32Api:
    return fake  # mypy checks here that the fake really satisfies the protocol


# --- A CommandLineToArgvW / MSVCRT parser (arguments after the program name), to check quoting ---------------


def parse_windows_args(command_line: str, *, doubled_quote_stays_quoted: bool) -> list[str]:
    """Split like the MSVCRT; ``""`` inside quotes stays quoted (UCRT) or ends the quotes (older CRTs)."""
    args: list[str] = []
    i, n = 0, len(command_line)
    while True:
        while i < n and command_line[i] in " \t":
            i += 1
        if i >= n:
            return args
        current: list[str] = []
        in_quotes = False
        while i < n and (in_quotes or command_line[i] not in " \t"):
            char = command_line[i]
            if char == "\\":
                j = i
                while j < n and command_line[j] == "\\":
                    j += 1
                count = j - i
                if j < n and command_line[j] == '"':
                    current.append("\\" * (count // 2))
                    if count % 2:
                        current.append('"')
                        j += 1
                    # even: the quote is handled as a delimiter on the next turn
                else:
                    current.append("\\" * count)
                i = j
            elif char == '"':
                if in_quotes and i + 1 < n and command_line[i + 1] == '"':
                    current.append('"')
                    i += 2
                    in_quotes = doubled_quote_stays_quoted
                else:
                    in_quotes = not in_quotes
                    i += 1
            else:
                current.append(char)
                i += 1
        args.append("".join(current))


# The table in Microsoft's "Parsing C command-line arguments"; the last row differs between CRT generations.
MS_EXAMPLES = [
    (r'"a b c" d e', ["a b c", "d", "e"]),
    (r'"ab\"c" "\\" d', ['ab"c', "\\", "d"]),
    (r"a\\\b d" + '"e f"' + "g h", [r"a\\\b", "de fg", "h"]),
    (r"a\\\"b c d", [r"a\"b", "c", "d"]),
    (r'a\\\\"b c" d e', [r"a\\b c", "d", "e"]),
]


@pytest.mark.parametrize("stays", [True, False])
@pytest.mark.parametrize(("command_line", "expected"), MS_EXAMPLES)
def test_reference_parser_matches_microsoft_examples(command_line: str, expected: list[str], stays: bool) -> None:
    assert parse_windows_args(command_line, doubled_quote_stays_quoted=stays) == expected


def test_reference_parser_models_both_doubled_quote_rules() -> None:
    assert parse_windows_args('a"b"" c d', doubled_quote_stays_quoted=False) == ['ab"', "c", "d"]
    assert parse_windows_args('a"b"" c d', doubled_quote_stays_quoted=True) == ['ab" c d']


# --- windows_command_line -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], ""),
        (["interface", "ipv4", "show"], "interface ipv4 show"),
        ([""], '""'),
        (["a b"], '"a b"'),
        (["a\tb"], '"a\tb"'),
        (['say "hi"'], r'"say \"hi\""'),
        (['a"b'], r"a\"b"),
        ([r"C:\dir\file"], r"C:\dir\file"),
        ([r"C:\Program Files\dir" + "\\"], r'"C:\Program Files\dir\\"'),
        ([r"trailing\\"], r"trailing\\"),
        ([r"a\\" + '"b'], r"a\\\\\"b"),
        (["x", "", "y z"], 'x "" "y z"'),
    ],
)
def test_windows_command_line_quotes_exactly(args: list[str], expected: str) -> None:
    assert windows_command_line(args) == expected


@settings(database=None, max_examples=400)
@given(st.lists(st.text(alphabet=st.sampled_from(' \t"\\ab\nü'), max_size=12), max_size=6))
def test_windows_command_line_round_trips_under_both_crt_rules(args: list[str]) -> None:
    line = windows_command_line(args)
    assert parse_windows_args(line, doubled_quote_stays_quoted=True) == args
    assert parse_windows_args(line, doubled_quote_stays_quoted=False) == args


@settings(database=None)
@given(st.lists(st.text(alphabet=st.characters(exclude_characters="\0")), max_size=5))
def test_windows_command_line_round_trips_any_text(args: list[str]) -> None:
    assert parse_windows_args(windows_command_line(args), doubled_quote_stays_quoted=True) == args


def test_windows_command_line_refuses_nul_and_bare_str() -> None:
    with pytest.raises(ValueError, match="NUL"):
        windows_command_line(["a\0b"])
    with pytest.raises(TypeError):
        windows_command_line("interface")


# --- SHELLEXECUTEINFOW layout ---------------------------------------------------------------------------------

FIELD_NAMES = [
    "cbSize", "fMask", "hwnd", "lpVerb", "lpFile", "lpParameters", "lpDirectory", "nShow",
    "hInstApp", "lpIDList", "lpClass", "hkeyClass", "dwHotKey", "hIconOrMonitor", "hProcess",
]  # fmt: skip
OFFSETS_64 = [0, 4, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104]
OFFSETS_32 = [4 * index for index in range(15)]


def test_shellexecuteinfow_size_and_layout() -> None:
    assert [name for name, *_ in SHELLEXECUTEINFOW._fields_] == FIELD_NAMES
    assert ctypes.sizeof(SHELLEXECUTEINFOW) == (112 if IS_64BIT else 60)
    offsets = [getattr(SHELLEXECUTEINFOW, name).offset for name in FIELD_NAMES]
    assert offsets == (OFFSETS_64 if IS_64BIT else OFFSETS_32)


def test_constants_match_the_sdk() -> None:
    assert (win32api.SEE_MASK_NOCLOSEPROCESS, win32api.SEE_MASK_NOASYNC, win32api.SEE_MASK_FLAG_NO_UI) == (
        0x40, 0x100, 0x400,
    )  # fmt: skip
    assert (win32api.ERROR_CANCELLED, win32api.WAIT_OBJECT_0, win32api.WAIT_TIMEOUT) == (1223, 0, 0x102)
    assert win32api.INFINITE == win32api.WAIT_FAILED == 0xFFFFFFFF
    assert win32api.SW_HIDE == 0


# --- ElevatedLauncher -----------------------------------------------------------------------------------------


def test_launch_fills_shellexecuteinfow_exactly() -> None:
    fake = FakeWin32Api()
    args = ["--apply", r"C:\Users\Jo Doe\plan file.json", 'quote"d', "trail\\"]

    process = ElevatedLauncher(_as_api(fake)).launch(HELPER, args, owner_hwnd=OWNER_HWND)

    assert fake.names() == ["get_system_root", "shell_execute_ex"]
    assert fake.infos == [
        {
            "cbSize": 112 if IS_64BIT else 60,
            "fMask": 0x40 | 0x100,
            "hwnd": OWNER_HWND,
            "lpVerb": "runas",
            "lpFile": HELPER,
            "lpParameters": r'--apply "C:\Users\Jo Doe\plan file.json" quote\"d trail' + "\\",
            "lpDirectory": r"C:\Windows\System32",
            "nShow": 0,
            "hInstApp": None,
            "lpIDList": None,
            "lpClass": None,
            "hkeyClass": None,
            "dwHotKey": 0,
            "hIconOrMonitor": None,
            "hProcess": None,
        }
    ]
    assert isinstance(process, ElevatedProcess)
    process.close()
    assert fake.calls[-1] == ("close_handle", (PROCESS_HANDLE,))


def test_launch_passes_explicit_directory_and_no_owner() -> None:
    fake = FakeWin32Api()

    ElevatedLauncher(_as_api(fake)).launch(
        "C:/Tools/helper.exe", [], owner_hwnd=None, directory=r"\\server\share\work"
    ).close()

    assert "get_system_root" not in fake.names()
    (info,) = fake.infos
    assert info["lpFile"] == r"C:\Tools\helper.exe"  # normalised to backslashes
    assert info["lpDirectory"] == "\\\\server\\share\\work"
    assert info["hwnd"] is None
    assert info["lpParameters"] == ""


@pytest.mark.parametrize("executable", ["helper.exe", r"bin\helper.exe", r"\Windows\helper.exe", "C:helper.exe", ""])
def test_launch_refuses_relative_executable_before_any_call(executable: str) -> None:
    fake = FakeWin32Api()
    with pytest.raises(ValueError, match="absolute"):
        ElevatedLauncher(_as_api(fake)).launch(executable, ["x"], owner_hwnd=OWNER_HWND)
    assert fake.calls == []


def test_launch_refuses_relative_directory_and_bad_args_before_any_call() -> None:
    fake = FakeWin32Api()
    launcher = ElevatedLauncher(_as_api(fake))
    with pytest.raises(ValueError, match="absolute"):
        launcher.launch(HELPER, [], owner_hwnd=None, directory="work")
    with pytest.raises(ValueError, match="NUL"):
        launcher.launch(HELPER, ["a\0"], owner_hwnd=None)
    assert fake.calls == []


def test_launch_declined_prompt_raises_cancelled_and_closes_nothing() -> None:
    fake = FakeWin32Api(shell_execute_ok=False, last_error=1223)
    with pytest.raises(ElevationCancelledError) as caught:
        ElevatedLauncher(_as_api(fake)).launch(HELPER, [], owner_hwnd=OWNER_HWND)
    assert isinstance(caught.value, ElevationError)
    assert caught.value.winerror == 1223
    assert fake.names() == ["get_system_root", "shell_execute_ex", "get_last_error"]


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (2, "error 2: file not found"),
        (3, "error 3: path not found"),
        (5, "error 5: access denied"),
        (1155, "error 1155: no application is associated with the file"),
        (1460, "error 1460: unexpected Windows error"),
    ],
)
def test_launch_failure_raises_failed_with_code(code: int, text: str) -> None:
    fake = FakeWin32Api(shell_execute_ok=False, last_error=code)
    with pytest.raises(ElevationFailedError) as caught:
        ElevatedLauncher(_as_api(fake)).launch(HELPER, [], owner_hwnd=None)
    assert caught.value.winerror == code
    assert str(caught.value) == f"Windows could not start the elevated helper ({text})"
    assert "close_handle" not in fake.names()


def test_launch_success_without_process_handle_is_a_failure() -> None:
    fake = FakeWin32Api(process_handle=None)
    with pytest.raises(ElevationFailedError, match="no process handle") as caught:
        ElevatedLauncher(_as_api(fake)).launch(HELPER, [], owner_hwnd=None)
    assert caught.value.winerror == 0
    assert "close_handle" not in fake.names()


# --- ElevatedProcess ------------------------------------------------------------------------------------------


def test_wait_returns_exit_code() -> None:
    fake = FakeWin32Api(exit_code=0xC0000005)
    with ElevatedProcess(_as_api(fake), PROCESS_HANDLE) as process:
        assert process.wait(2.5) == 0xC0000005
    assert fake.calls == [
        ("wait_for_single_object", (PROCESS_HANDLE, 2500)),
        ("get_exit_code_process", (PROCESS_HANDLE,)),
        ("close_handle", (PROCESS_HANDLE,)),
    ]


def test_wait_returns_none_on_timeout_without_reading_exit_code() -> None:
    fake = FakeWin32Api(wait_result=win32api.WAIT_TIMEOUT)
    process = ElevatedProcess(_as_api(fake), PROCESS_HANDLE)
    assert process.wait(0) is None
    assert fake.calls == [("wait_for_single_object", (PROCESS_HANDLE, 0))]


@pytest.mark.parametrize(
    ("timeout_s", "timeout_ms"),
    [(None, 0xFFFFFFFF), (0.0001, 1), (1.0, 1000), (float("inf"), 0xFFFFFFFF), (10.0**9, 0xFFFFFFFE)],
)
def test_wait_timeout_conversion(timeout_s: float | None, timeout_ms: int) -> None:
    fake = FakeWin32Api(wait_result=win32api.WAIT_TIMEOUT)
    ElevatedProcess(_as_api(fake), PROCESS_HANDLE).wait(timeout_s)
    assert fake.calls == [("wait_for_single_object", (PROCESS_HANDLE, timeout_ms))]


@pytest.mark.parametrize("timeout_s", [-1.0, float("nan")])
def test_wait_refuses_bad_timeout(timeout_s: float) -> None:
    fake = FakeWin32Api()
    with pytest.raises(ValueError, match="timeout"):
        ElevatedProcess(_as_api(fake), PROCESS_HANDLE).wait(timeout_s)
    assert fake.calls == []


def test_wait_failure_raises_win32_error() -> None:
    fake = FakeWin32Api(wait_result=win32api.WAIT_FAILED, last_error=6)
    with pytest.raises(Win32Error) as caught:
        ElevatedProcess(_as_api(fake), PROCESS_HANDLE).wait(1)
    assert (caught.value.function, caught.value.winerror) == ("WaitForSingleObject", 6)


def test_handle_closed_exactly_once() -> None:
    fake = FakeWin32Api()
    process = ElevatedProcess(_as_api(fake), PROCESS_HANDLE)
    with process:
        process.close()
        assert process.closed
    process.close()
    assert fake.calls == [("close_handle", (PROCESS_HANDLE,))]
    with pytest.raises(ValueError, match="closed"):
        process.wait(1)
    assert len(fake.calls) == 1


def test_close_during_wait_is_deferred_until_the_wait_returns() -> None:
    fake = FakeWin32Api(exit_code=3)
    process = ElevatedProcess(_as_api(fake), PROCESS_HANDLE)
    fake.during_wait = process.close  # as if the GUI closed it while the executor thread waits

    assert process.wait(1) == 3
    assert fake.names() == ["wait_for_single_object", "get_exit_code_process", "close_handle"]
    process.close()
    assert fake.names().count("close_handle") == 1


# --- netsh path, elevation, code page, factory ---------------------------------------------------------------


def test_netsh_path_uses_sysnative_for_32bit_python_on_64bit_windows() -> None:
    fake = FakeWin32Api(windows_64bit=True)
    assert netsh_path(_as_api(fake), python_is_64bit=False) == PureWindowsPath(r"C:\Windows\Sysnative\netsh.exe")


@pytest.mark.parametrize(("python_64", "windows_64"), [(True, True), (False, False)])
def test_netsh_path_uses_system32_otherwise(python_64: bool, windows_64: bool) -> None:
    fake = FakeWin32Api(windows_64bit=windows_64, system_root=r"D:\WINNT")
    assert netsh_path(_as_api(fake), python_is_64bit=python_64) == PureWindowsPath(r"D:\WINNT\System32\netsh.exe")
    assert ("is_64bit_windows" in fake.names()) is not python_64  # a 64-bit Python needs not ask


def test_netsh_path_defaults_to_this_interpreters_bitness() -> None:
    fake = FakeWin32Api(windows_64bit=True)
    expected_folder = "System32" if sys.maxsize > 2**32 else "Sysnative"
    assert netsh_path(_as_api(fake)).parent.name == expected_folder


@pytest.mark.parametrize("elevated", [True, False])
def test_is_elevated_asks_the_token(elevated: bool) -> None:
    fake = FakeWin32Api(elevated=elevated)
    assert is_elevated(_as_api(fake)) is elevated
    assert fake.names() == ["is_process_elevated"]


def test_console_codepage_prefers_the_console() -> None:
    fake = FakeWin32Api(console_cp=65001, oem_cp=850)
    assert console_codepage(_as_api(fake)) == 65001
    assert fake.names() == ["get_console_output_cp"]


def test_console_codepage_falls_back_to_oem_without_console() -> None:
    fake = FakeWin32Api(console_cp=0, oem_cp=850)
    assert console_codepage(_as_api(fake)) == 850
    assert fake.names() == ["get_console_output_cp", "get_oem_cp"]


@off_windows
def test_real_api_refuses_to_construct_off_windows() -> None:
    with pytest.raises(RuntimeError, match="needs Windows"):
        CtypesWin32Api()
    with pytest.raises(RuntimeError, match="only available on Windows"):
        default_api()


def test_importing_the_platform_layer_loads_no_qt() -> None:
    code = (
        "import sys, ctypes; import app.platform.windows; "
        "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt imported'"
    )
    repo = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=repo, check=True, timeout=60)


# --- Real Windows ---------------------------------------------------------------------------------------------


@pytest.mark.windows
@on_windows
def test_real_api_answers_on_windows() -> None:
    api = default_api()
    assert isinstance(is_elevated(api), bool)
    assert console_codepage(api) > 0
    assert api.get_oem_cp() > 0
    assert Path(str(netsh_path(api))).is_file()
    assert Path(api.get_system_root()).is_dir()
    assert api.is_64bit_windows() in (True, False)


@pytest.mark.windows
@on_windows
def test_real_api_waits_on_a_real_process() -> None:
    api = CtypesWin32Api()
    child = subprocess.Popen([sys.executable, "-c", "raise SystemExit(7)"])
    try:
        # Popen's handle is not ours to close: wait through the raw API only.
        handle = int(vars(child)["_handle"])
        assert api.wait_for_single_object(handle, 30_000) == win32api.WAIT_OBJECT_0
        assert api.get_exit_code_process(handle) == 7
    finally:
        child.wait(timeout=30)
