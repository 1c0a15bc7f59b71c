"""The Windows application manifest: asInvoker, Windows 10/11, PerMonitorV2 DPI, long paths, Common Controls 6."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

MANIFEST = Path(__file__).resolve().parents[2] / "packaging" / "loopback-tuner.manifest"
NS = {
    "asm1": "urn:schemas-microsoft-com:asm.v1",
    "asm3": "urn:schemas-microsoft-com:asm.v3",
    "compat": "urn:schemas-microsoft-com:compatibility.v1",
    "ws2005": "http://schemas.microsoft.com/SMI/2005/WindowsSettings",
    "ws2016": "http://schemas.microsoft.com/SMI/2016/WindowsSettings",
}
WINDOWS_10_AND_11 = "{8e0f7a12-bfb3-4fe8-b9a5-48fd50a15a9a}"


def _one(root: ET.Element, path: str) -> ET.Element:
    found = root.findall(path, NS)
    assert len(found) == 1, f"expected exactly one {path}, found {len(found)}"
    return found[0]


def check_manifest(root: ET.Element) -> None:
    assert root.tag == f"{{{NS['asm1']}}}assembly"
    assert root.get("manifestVersion") == "1.0"

    level = _one(root, "asm3:trustInfo/asm3:security/asm3:requestedPrivileges/asm3:requestedExecutionLevel")
    assert level.get("level") == "asInvoker"
    assert level.get("uiAccess") == "false"

    supported = [
        e.get("Id", "").lower() for e in root.findall("compat:compatibility/compat:application/compat:supportedOS", NS)
    ]
    assert WINDOWS_10_AND_11 in supported

    settings = "asm3:application/asm3:windowsSettings"
    assert (_one(root, f"{settings}/ws2016:dpiAwareness").text or "").strip() == "PerMonitorV2"
    assert (_one(root, f"{settings}/ws2005:dpiAware").text or "").strip().lower() == "true/pm"
    assert (_one(root, f"{settings}/ws2016:longPathAware").text or "").strip().lower() == "true"

    identity = _one(root, "asm1:dependency/asm1:dependentAssembly/asm1:assemblyIdentity")
    assert identity.get("name") == "Microsoft.Windows.Common-Controls"
    assert identity.get("version") == "6.0.0.0"
    assert identity.get("publicKeyToken") == "6595b64144ccf1df"


def test_manifest_requests_as_invoker_win10_dpi_v2_and_long_paths() -> None:
    check_manifest(ET.parse(MANIFEST).getroot())


def test_pyinstaller_keeps_the_manifest_settings() -> None:
    """PyInstaller rewrites the manifest it embeds (UAC level, Common Controls); the rest must survive."""
    winmanifest = pytest.importorskip("PyInstaller.utils.win32.winmanifest", reason="PyInstaller not installed")
    embedded = winmanifest.create_application_manifest(MANIFEST.read_bytes(), uac_admin=False, uac_uiaccess=False)
    check_manifest(ET.fromstring(embedded))
