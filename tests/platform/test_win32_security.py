"""Admin-only paths read from their ACLs: pure logic over a recording fake SecurityApi; the real one on Windows."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.platform import win32_security as sec
from app.platform.win32_security import (
    ADMIN_ONLY_SDDL,
    RawAce,
    create_admin_only_folder,
    is_admin_only,
)

on_windows = pytest.mark.skipif(sys.platform != "win32", reason="needs a real Windows machine")

SYSTEM, ADMINS, TI = sec.SID_SYSTEM, sec.SID_ADMINISTRATORS, sec.SID_TRUSTED_INSTALLER
USERS, AUTH_USERS, CREATOR_OWNER, ME = "S-1-5-32-545", "S-1-5-11", "S-1-3-0", "S-1-5-21-1-2-3-1001"
OI, CI, IO, INHERITED = 0x1, 0x2, 0x8, 0x10
FULL, MODIFY, READ_EXECUTE = 0x1F01FF, 0x1301BF, 0x1200A9
GENERIC_READ_EXECUTE = 0xA0000000
ALLOW, DENY, ALLOW_OBJECT = 0x0, 0x1, 0x5

Ace = tuple[int, int, int, str]  # type, flags, mask, SID


def allow(sid: str, mask: int, flags: int = 0) -> Ace:
    return (ALLOW, flags, mask, sid)


@dataclass
class Obj:
    owner: str
    aces: list[Ace] | None  # None: a NULL DACL


# What a standard Windows 10/11 machine shows (icacls), and an install made by the installer.
ROOT = Obj(
    TI,
    [
        allow(ADMINS, FULL, OI | CI),
        allow(SYSTEM, FULL, OI | CI),
        allow(USERS, READ_EXECUTE, OI | CI),
        allow(AUTH_USERS, MODIFY, OI | CI | IO),
        allow(AUTH_USERS, sec.FILE_APPEND_DATA),  # "AD": any signed-in user may add folders to C:\
    ],
)
PROGRAM_FILES = Obj(
    TI,
    [
        allow(TI, FULL),
        allow(TI, sec.GENERIC_ALL, CI | IO),
        allow(SYSTEM, MODIFY),
        allow(SYSTEM, sec.GENERIC_ALL, OI | CI | IO),
        allow(ADMINS, MODIFY),
        allow(ADMINS, sec.GENERIC_ALL, OI | CI | IO),
        allow(USERS, READ_EXECUTE),
        allow(USERS, GENERIC_READ_EXECUTE, OI | CI | IO),
        allow(CREATOR_OWNER, sec.GENERIC_ALL, OI | CI | IO),
    ],
)
INSTALL = Obj(
    ADMINS,
    [
        allow(SYSTEM, FULL, OI | CI | INHERITED),
        allow(ADMINS, FULL, OI | CI | INHERITED),
        allow(USERS, READ_EXECUTE, OI | CI | INHERITED),
        allow(CREATOR_OWNER, sec.GENERIC_ALL, OI | CI | IO | INHERITED),
    ],
)
EXE_OBJ = Obj(ADMINS, [allow(SYSTEM, FULL, INHERITED), allow(ADMINS, FULL, INHERITED), allow(USERS, READ_EXECUTE)])
DIR = r"C:\Program Files\Loopback Tuner"
EXE = DIR + r"\loopback-tuner.exe"


def standard_machine() -> dict[str, Obj]:
    return {"C:\\": ROOT, r"C:\Program Files": PROGRAM_FILES, DIR: INSTALL, EXE: EXE_OBJ}


@dataclass
class FakeSecurityApi:
    """Records every call; handles are small integers into its own tables."""

    objects: dict[str, Obj] = field(default_factory=standard_machine)
    unreadable: set[str] = field(default_factory=set)
    calls: list[tuple[str, tuple[object, ...]]] = field(default_factory=list)
    _sids: dict[int, str] = field(default_factory=dict)
    _acls: dict[int, list[Ace]] = field(default_factory=dict)
    _next: int = 100

    def _handle(self) -> int:
        self._next += 1
        return self._next

    def _sid(self, text: str) -> int:
        handle = self._handle()
        self._sids[handle] = text
        return handle

    def get_named_security_info(self, path: str) -> tuple[int, int, int]:
        self.calls.append(("get_named_security_info", (path,)))
        if path in self.unreadable or path not in self.objects:
            raise OSError(0, "GetNamedSecurityInfoW failed (error 5)", None, 5)
        obj = self.objects[path]
        dacl = 0
        if obj.aces is not None:
            dacl = self._handle()
            self._acls[dacl] = obj.aces
        return self._sid(obj.owner), dacl, 9000 + len(self.calls)

    def get_ace_count(self, acl: int) -> int:
        self.calls.append(("get_ace_count", (acl,)))
        return len(self._acls[acl])

    def get_ace(self, acl: int, index: int) -> RawAce:
        self.calls.append(("get_ace", (acl, index)))
        ace_type, flags, mask, sid = self._acls[acl][index]
        return RawAce(ace_type, flags, mask, self._sid(sid))

    def convert_sid_to_string_sid(self, sid: int) -> str:
        self.calls.append(("convert_sid_to_string_sid", (sid,)))
        return self._sids[sid]

    def local_free(self, memory: int) -> None:
        self.calls.append(("local_free", (memory,)))

    def convert_string_security_descriptor(self, sddl: str) -> int:
        self.calls.append(("convert_string_security_descriptor", (sddl,)))
        return 7777

    def create_directory(self, path: str, security_descriptor: int) -> None:
        self.calls.append(("create_directory", (path, security_descriptor)))
        if path in self.objects:
            raise FileExistsError(17, "the folder exists", path)
        self.objects[path] = Obj(ADMINS, [allow(SYSTEM, FULL, OI | CI), allow(ADMINS, FULL, OI | CI)])

    def read_paths(self) -> list[object]:
        return [args[0] for name, args in self.calls if name == "get_named_security_info"]

    def freed(self) -> list[object]:
        return [args[0] for name, args in self.calls if name == "local_free"]

    def descriptors(self) -> list[object]:
        return [9000 + i + 1 for i, (name, _) in enumerate(self.calls) if name == "get_named_security_info"]


def test_a_standard_install_under_program_files_is_admin_only_with_the_exact_calls() -> None:
    api = FakeSecurityApi()
    assert is_admin_only(EXE, api) is True
    assert api.read_paths() == [EXE, DIR, r"C:\Program Files", "C:\\"]  # the path, then each ancestor to the root
    assert api.freed() == api.descriptors()  # every descriptor freed once, in order
    first = api.calls[:4]
    assert [name for name, _ in first] == [
        "get_named_security_info",
        "convert_sid_to_string_sid",  # the owner
        "get_ace_count",
        "get_ace",
    ]
    assert api.calls[3][1][1] == 0  # ACEs are read from index 0
    assert is_admin_only(DIR, FakeSecurityApi()) is True


@pytest.mark.parametrize(
    "right",
    [
        sec.FILE_WRITE_DATA,
        sec.FILE_APPEND_DATA,
        sec.FILE_WRITE_EA,
        sec.FILE_WRITE_ATTRIBUTES,
        sec.FILE_DELETE_CHILD,
        sec.DELETE,
        sec.WRITE_DAC,
        sec.WRITE_OWNER,
        sec.GENERIC_WRITE,
        sec.GENERIC_ALL,
        sec.MAXIMUM_ALLOWED,
    ],
)
def test_any_write_right_for_users_on_the_install_folder_refuses(right: int) -> None:
    api = FakeSecurityApi()
    api.objects[DIR] = Obj(ADMINS, [*(INSTALL.aces or []), allow(USERS, right)])
    assert is_admin_only(DIR, api) is False
    assert is_admin_only(EXE, FakeSecurityApi(objects={**api.objects, DIR: api.objects[DIR]})) is (
        right & sec.REPLACE_RIGHTS == 0  # as an ancestor of the exe, only rights that replace entries count
    )


@pytest.mark.parametrize("right", [sec.FILE_DELETE_CHILD, sec.DELETE, sec.WRITE_DAC, sec.WRITE_OWNER, sec.GENERIC_ALL])
def test_a_right_to_replace_an_ancestor_refuses(right: int) -> None:
    api = FakeSecurityApi()
    api.objects[r"C:\Program Files"] = Obj(TI, [*(PROGRAM_FILES.aces or []), allow(AUTH_USERS, right)])
    assert is_admin_only(EXE, api) is False


def test_a_user_owned_ancestor_refuses() -> None:
    downloads = r"C:\Users\me\Downloads\loopback-tuner"
    api = FakeSecurityApi(
        objects={
            "C:\\": ROOT,
            r"C:\Users": Obj(SYSTEM, [allow(USERS, READ_EXECUTE)]),
            r"C:\Users\me": Obj(ME, [allow(SYSTEM, FULL), allow(ADMINS, FULL)]),  # no ACE for me: the owner still can
            r"C:\Users\me\Downloads": Obj(SYSTEM, [allow(SYSTEM, FULL), allow(ADMINS, FULL)]),
            downloads: Obj(ADMINS, [allow(SYSTEM, FULL), allow(ADMINS, FULL)]),
        }
    )
    assert is_admin_only(downloads, api) is False
    assert api.read_paths() == [downloads, r"C:\Users\me\Downloads", r"C:\Users\me"]  # stops at the first "no"
    assert api.freed() == api.descriptors()


def test_a_read_failure_refuses_and_frees_what_was_read() -> None:
    api = FakeSecurityApi(unreadable={r"C:\Program Files"})
    assert is_admin_only(EXE, api) is False
    assert api.read_paths() == [EXE, DIR, r"C:\Program Files"]
    assert api.freed() == api.descriptors()[:2]


def test_a_null_dacl_an_unknown_allow_type_and_a_relative_path_refuse() -> None:
    assert is_admin_only(DIR, FakeSecurityApi(objects={**standard_machine(), DIR: Obj(ADMINS, None)})) is False
    odd = Obj(ADMINS, [(ALLOW_OBJECT, 0, READ_EXECUTE, USERS)])
    assert is_admin_only(DIR, FakeSecurityApi(objects={**standard_machine(), DIR: odd})) is False
    api = FakeSecurityApi()
    for path in (r"Loopback Tuner\loopback-tuner.exe", r"C:\Program Files\..\Users\me\x.exe"):
        assert is_admin_only(path, api) is False
    assert api.calls == []


def test_deny_aces_and_inherit_only_grants_do_not_count() -> None:
    folder = Obj(
        ADMINS,
        [
            (DENY, 0, sec.FILE_WRITE_DATA, USERS),
            allow(USERS, MODIFY, OI | CI | IO),  # for new children only: not on the folder itself
            allow(SYSTEM, FULL),
        ],
    )
    assert is_admin_only(DIR, FakeSecurityApi(objects={**standard_machine(), DIR: folder})) is True


def test_programdata_lets_users_add_entries_but_a_folder_inside_can_still_be_admin_only() -> None:
    data = r"C:\ProgramData\Loopback Tuner"
    objects = {
        "C:\\": ROOT,
        r"C:\ProgramData": Obj(
            SYSTEM,
            [
                allow(SYSTEM, FULL, OI | CI),
                allow(ADMINS, FULL, OI | CI),
                allow(CREATOR_OWNER, FULL, OI | CI | IO),
                allow(USERS, READ_EXECUTE, OI | CI),
                allow(USERS, 0x116, CI),  # WD, AD, WEA, WA: the Windows default
            ],
        ),
        data: Obj(ADMINS, [allow(SYSTEM, FULL, OI | CI), allow(ADMINS, FULL, OI | CI), allow(USERS, READ_EXECUTE)]),
    }
    assert is_admin_only(data, FakeSecurityApi(objects=objects)) is True
    assert is_admin_only(r"C:\ProgramData", FakeSecurityApi(objects=objects)) is False


def test_create_admin_only_folder_makes_it_with_the_sddl_then_checks_it() -> None:
    api = FakeSecurityApi()
    target = DIR + r"\state"
    create_admin_only_folder(target, api)
    assert api.calls[:3] == [
        ("convert_string_security_descriptor", (ADMIN_ONLY_SDDL,)),
        ("create_directory", (target, 7777)),
        ("local_free", (7777,)),
    ]
    assert api.read_paths() == [target, DIR, r"C:\Program Files", "C:\\"]
    assert ADMIN_ONLY_SDDL == "O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)"


def test_create_admin_only_folder_accepts_an_existing_admin_only_folder_and_refuses_a_squatted_one() -> None:
    create_admin_only_folder(DIR, FakeSecurityApi())  # exists, admin-only: fine
    squatted = FakeSecurityApi(objects={**standard_machine(), DIR: Obj(ME, [allow(ME, FULL, OI | CI)])})
    with pytest.raises(OSError, match="users other than administrators can change it"):
        create_admin_only_folder(DIR, squatted)
    assert ("local_free", (7777,)) in squatted.calls
    with pytest.raises(OSError):
        create_admin_only_folder(r"relative\folder", FakeSecurityApi())


@pytest.mark.skipif(sys.platform == "win32", reason="checks the behaviour off Windows")
def test_the_real_api_is_only_loaded_on_windows() -> None:
    with pytest.raises(RuntimeError, match="needs Windows"):
        is_admin_only(EXE)


@pytest.mark.windows
@on_windows
def test_real_acls_system32_is_admin_only_and_a_temp_folder_is_not(tmp_path: Path) -> None:
    from app.platform.windows import default_api, netsh_path

    assert is_admin_only(str(netsh_path(default_api()))) is True
    assert is_admin_only(str(tmp_path)) is False


@pytest.mark.windows
@on_windows
def test_real_create_admin_only_folder_refuses_under_a_user_folder(tmp_path: Path) -> None:
    target = tmp_path / "machine-wide"
    with pytest.raises(OSError):  # created (or refused), but the user owns a folder above it: never trusted
        create_admin_only_folder(str(target))
