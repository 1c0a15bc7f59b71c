"""Whether only administrators can change a path, read from its ACLs; and making a folder only they can change.

The raw calls (GetNamedSecurityInfoW, GetAclInformation, GetAce, ConvertSidToStringSidW, LocalFree,
ConvertStringSecurityDescriptorToSecurityDescriptorW, CreateDirectoryW) sit behind the SecurityApi protocol;
everything else here is pure logic over it, tested with a fake that records each call.
"""

from __future__ import annotations

import ctypes
import errno
import sys
from dataclasses import dataclass
from pathlib import PureWindowsPath
from typing import Any, Protocol

from app.platform.win32api import bind

# winnt.h access rights (file-specific rights: FILE_WRITE_DATA is FILE_ADD_FILE on a folder, and so on)
FILE_WRITE_DATA = 0x0002  # FILE_ADD_FILE
FILE_APPEND_DATA = 0x0004  # FILE_ADD_SUBDIRECTORY
FILE_WRITE_EA = 0x0010
FILE_DELETE_CHILD = 0x0040
FILE_WRITE_ATTRIBUTES = 0x0100
DELETE = 0x00010000
WRITE_DAC = 0x00040000
WRITE_OWNER = 0x00080000
MAXIMUM_ALLOWED = 0x02000000
GENERIC_ALL = 0x10000000
GENERIC_WRITE = 0x40000000
# What lets someone change an object itself (its data, its entries, its ACL, its owner, or delete it).
WRITE_RIGHTS = (
    FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_EA | FILE_WRITE_ATTRIBUTES | FILE_DELETE_CHILD
    | DELETE | WRITE_DAC | WRITE_OWNER | GENERIC_WRITE | GENERIC_ALL | MAXIMUM_ALLOWED
)  # fmt: skip
# What lets someone replace an ancestor folder or its entries (rename, delete, re-permission), which would swap
# the path under the checked object. Adding new entries to an ancestor cannot: Windows itself lets every
# signed-in user add folders to C:\ (Authenticated Users: AD) and add files and folders to C:\ProgramData
# (Users: WD, AD, WEA, WA), so requiring WRITE_RIGHTS on ancestors would refuse every standard machine.
REPLACE_RIGHTS = FILE_DELETE_CHILD | DELETE | WRITE_DAC | WRITE_OWNER | GENERIC_ALL | MAXIMUM_ALLOWED
# winnt.h ACE types and flags
ACCESS_ALLOWED_ACE_TYPE = 0x0
ACCESS_DENIED_ACE_TYPE = 0x1
ACCESS_DENIED_OBJECT_ACE_TYPE = 0x6
ACCESS_ALLOWED_CALLBACK_ACE_TYPE = 0x9
ACCESS_DENIED_CALLBACK_ACE_TYPE = 0xA
ACCESS_DENIED_CALLBACK_OBJECT_ACE_TYPE = 0xC
ALLOW_TYPES = frozenset({ACCESS_ALLOWED_ACE_TYPE, ACCESS_ALLOWED_CALLBACK_ACE_TYPE})  # SID right after the mask
DENY_TYPES = frozenset(
    {ACCESS_DENIED_ACE_TYPE, ACCESS_DENIED_OBJECT_ACE_TYPE, ACCESS_DENIED_CALLBACK_ACE_TYPE,
     ACCESS_DENIED_CALLBACK_OBJECT_ACE_TYPE}
)  # fmt: skip
INHERIT_ONLY_ACE = 0x08
# accctrl.h / winnt.h / sddl.h
SE_FILE_OBJECT = 1
OWNER_SECURITY_INFORMATION = 0x1
DACL_SECURITY_INFORMATION = 0x4
ACL_SIZE_INFORMATION_CLASS = 2  # ACL_INFORMATION_CLASS.AclSizeInformation
SDDL_REVISION_1 = 1
ERROR_ALREADY_EXISTS = 183
# Well-known SIDs that may own, and write to, an administrators-only path.
SID_SYSTEM = "S-1-5-18"
SID_ADMINISTRATORS = "S-1-5-32-544"
SID_TRUSTED_INSTALLER = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"
ADMIN_SIDS = frozenset({SID_SYSTEM, SID_ADMINISTRATORS, SID_TRUSTED_INSTALLER})
# Owner Administrators; protected DACL: full control for SYSTEM and Administrators, read and execute
# (FILE_GENERIC_READ | FILE_GENERIC_EXECUTE = 0x1200a9) for Users; inherited by files and folders inside.
ADMIN_ONLY_SDDL = "O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)"


@dataclass(frozen=True)
class RawAce:
    """One ACE's header and mask; ``sid`` is the address of its SID (valid for ALLOW_TYPES only)."""

    ace_type: int
    flags: int
    mask: int
    sid: int


class SecurityApi(Protocol):
    def get_named_security_info(self, path: str) -> tuple[int, int, int]:
        """GetNamedSecurityInfoW(path, SE_FILE_OBJECT, OWNER|DACL): (owner SID, DACL or 0 for a NULL DACL,
        the descriptor to LocalFree). Raises OSError."""
        ...

    def get_ace_count(self, acl: int) -> int:
        """GetAclInformation(AclSizeInformation).AceCount. Raises OSError."""
        ...

    def get_ace(self, acl: int, index: int) -> RawAce:
        """GetAce(acl, index), read as its header and mask. Raises OSError."""
        ...

    def convert_sid_to_string_sid(self, sid: int) -> str:
        """ConvertSidToStringSidW (the string it allocates is freed here). Raises OSError."""
        ...

    def local_free(self, memory: int) -> None:
        """LocalFree."""
        ...

    def convert_string_security_descriptor(self, sddl: str) -> int:
        """ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1): the descriptor to
        LocalFree. Raises OSError."""
        ...

    def create_directory(self, path: str, security_descriptor: int) -> None:
        """CreateDirectoryW(path, SECURITY_ATTRIBUTES with that descriptor). Raises FileExistsError if the path
        exists, OSError otherwise."""
        ...


def _chain(path: str) -> list[str] | None:
    """``path`` and each ancestor folder up to the drive root; None for a relative path or one with ``..``."""
    windows_path = PureWindowsPath(path)
    if not windows_path.is_absolute() or ".." in windows_path.parts or "\0" in path:
        return None
    return [str(windows_path), *(str(parent) for parent in windows_path.parents)]


def _only_admins_can(api: SecurityApi, path: str, forbidden: int) -> bool:
    """Whether ``path``'s owner is an admin SID and no allow ACE gives another SID a ``forbidden`` right."""
    owner, dacl, descriptor = api.get_named_security_info(path)
    try:
        if api.convert_sid_to_string_sid(owner) not in ADMIN_SIDS or not dacl:  # a NULL DACL lets everyone in
            return False
        for index in range(api.get_ace_count(dacl)):
            ace = api.get_ace(dacl, index)
            if ace.ace_type in DENY_TYPES or ace.flags & INHERIT_ONLY_ACE:
                continue  # a deny never grants; an inherit-only ACE does not apply to this object
            if ace.ace_type not in ALLOW_TYPES:
                return False  # an allow type this check cannot read (object ACEs): fail closed
            if ace.mask & forbidden and api.convert_sid_to_string_sid(ace.sid) not in ADMIN_SIDS:
                return False
        return True
    finally:
        api.local_free(descriptor)


def is_admin_only(path: str, api: SecurityApi | None = None) -> bool:
    """Whether only SYSTEM, Administrators and TrustedInstaller can change ``path`` (a file or a folder).

    ``path`` and every ancestor folder up to the drive root must be owned by one of them. On ``path`` itself no
    allow ACE may give anyone else a write-type right (WRITE_RIGHTS); on the ancestors, none may give anyone
    else a right to delete, rename or re-permission what is in them (REPLACE_RIGHTS). A path that cannot be
    read, or is relative, counts as not admin-only (fail closed). Raises RuntimeError off Windows with no api.
    """
    api = api if api is not None else default_security_api()
    chain = _chain(path)
    if chain is None:
        return False
    try:
        return all(
            _only_admins_can(api, item, WRITE_RIGHTS if index == 0 else REPLACE_RIGHTS)
            for index, item in enumerate(chain)
        )
    except OSError:
        return False


def create_admin_only_folder(path: str, api: SecurityApi | None = None) -> None:
    """Create the folder ``path`` (its parent must exist) so that only administrators can change it.

    The folder gets ADMIN_ONLY_SDDL. If it exists already it is used only when is_admin_only says so. Raises
    OSError if it cannot be created, or exists (or ends up) changeable by others; RuntimeError off Windows with
    no api.
    """
    api = api if api is not None else default_security_api()
    if _chain(path) is None:
        raise OSError(errno.EINVAL, "not an absolute Windows path", path)
    descriptor = api.convert_string_security_descriptor(ADMIN_ONLY_SDDL)
    try:
        api.create_directory(path, descriptor)
    except FileExistsError:
        pass  # someone made it first: it is checked below like a new one
    finally:
        api.local_free(descriptor)
    if not is_admin_only(path, api):
        raise OSError(errno.EACCES, "the folder exists but users other than administrators can change it", path)


def default_security_api() -> SecurityApi:
    """The real ctypes SecurityApi. Raises RuntimeError off Windows."""
    return CtypesSecurityApi()


class _AclSizeInformation(ctypes.Structure):
    _fields_ = [("AceCount", ctypes.c_uint32), ("AclBytesInUse", ctypes.c_uint32), ("AclBytesFree", ctypes.c_uint32)]


class _SecurityAttributes(ctypes.Structure):
    _fields_ = [
        ("nLength", ctypes.c_uint32),
        ("lpSecurityDescriptor", ctypes.c_void_p),
        ("bInheritHandle", ctypes.c_int),
    ]


class CtypesSecurityApi:
    """SecurityApi over advapi32 and kernel32; the DLLs are loaded in the constructor, never at import time."""

    _last_error: Any
    _get_info: Any
    _get_acl_info: Any
    _get_ace: Any
    _sid_to_string: Any
    _sddl_to_sd: Any
    _create_directory: Any
    _local_free: Any

    def __init__(self) -> None:
        """Raises RuntimeError off Windows."""
        if sys.platform != "win32":
            raise RuntimeError(f"CtypesSecurityApi needs Windows; this is {sys.platform!r}. Inject a fake instead.")
        self._last_error = ctypes.get_last_error
        vp, u32, i32 = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int
        advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        pvp = ctypes.POINTER(vp)
        self._get_info = bind(
            advapi32, "GetNamedSecurityInfoW", u32, ctypes.c_wchar_p, i32, u32, pvp, pvp, pvp, pvp, pvp
        )
        self._get_acl_info = bind(advapi32, "GetAclInformation", i32, vp, vp, u32, i32)
        self._get_ace = bind(advapi32, "GetAce", i32, vp, u32, pvp)
        self._sid_to_string = bind(advapi32, "ConvertSidToStringSidW", i32, vp, pvp)
        self._sddl_to_sd = bind(
            advapi32, "ConvertStringSecurityDescriptorToSecurityDescriptorW", i32, ctypes.c_wchar_p, u32, pvp,
            ctypes.POINTER(ctypes.c_ulong),
        )  # fmt: skip
        self._create_directory = bind(kernel32, "CreateDirectoryW", i32, ctypes.c_wchar_p, vp)
        self._local_free = bind(kernel32, "LocalFree", vp, vp)

    def _fail(self, function: str, code: int | None = None) -> OSError:
        code = int(self._last_error()) if code is None else code
        return OSError(0, f"{function} failed (error {code})", None, code)

    def get_named_security_info(self, path: str) -> tuple[int, int, int]:
        owner, dacl, descriptor = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()
        flags = OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION
        code = self._get_info(
            path, SE_FILE_OBJECT, flags, ctypes.byref(owner), None, ctypes.byref(dacl), None, ctypes.byref(descriptor)
        )
        if code != 0:  # this function returns its error code
            raise self._fail("GetNamedSecurityInfoW", code)
        return owner.value or 0, dacl.value or 0, descriptor.value or 0

    def get_ace_count(self, acl: int) -> int:
        info = _AclSizeInformation()
        if not self._get_acl_info(acl, ctypes.byref(info), ctypes.sizeof(info), ACL_SIZE_INFORMATION_CLASS):
            raise self._fail("GetAclInformation")
        return int(info.AceCount)

    def get_ace(self, acl: int, index: int) -> RawAce:
        ace = ctypes.c_void_p()
        if not self._get_ace(acl, index, ctypes.byref(ace)) or not ace.value:
            raise self._fail("GetAce")
        header = (ctypes.c_uint8 * 4).from_address(ace.value)  # ACE_HEADER: AceType, AceFlags, AceSize
        mask = ctypes.c_uint32.from_address(ace.value + 4).value
        return RawAce(header[0], header[1], mask, ace.value + 8)  # SidStart follows the mask

    def convert_sid_to_string_sid(self, sid: int) -> str:
        text = ctypes.c_void_p()
        if not self._sid_to_string(sid, ctypes.byref(text)) or not text.value:
            raise self._fail("ConvertSidToStringSidW")
        try:
            return ctypes.wstring_at(text.value)
        finally:
            self._local_free(text.value)

    def local_free(self, memory: int) -> None:
        if memory:
            self._local_free(memory)

    def convert_string_security_descriptor(self, sddl: str) -> int:
        descriptor = ctypes.c_void_p()
        if not self._sddl_to_sd(sddl, SDDL_REVISION_1, ctypes.byref(descriptor), None) or not descriptor.value:
            raise self._fail("ConvertStringSecurityDescriptorToSecurityDescriptorW")
        return descriptor.value

    def create_directory(self, path: str, security_descriptor: int) -> None:
        attributes = _SecurityAttributes(ctypes.sizeof(_SecurityAttributes), security_descriptor, 0)
        if not self._create_directory(path, ctypes.byref(attributes)):
            code = int(self._last_error())
            if code == ERROR_ALREADY_EXISTS:
                raise FileExistsError(errno.EEXIST, "the folder exists", path)
            raise self._fail("CreateDirectoryW", code)
