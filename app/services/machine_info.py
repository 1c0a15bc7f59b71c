"""Facts about the machine for reports and warnings: name, Windows build, display language, elevation, TCP."""

from __future__ import annotations

import asyncio
import json
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Protocol

from app.simulator.profile import SimProfile, build_name
from app.simulator.store import SimStateFile

PS_TIMEOUT_S = 20.0
# Culture-independent: objects as JSON, the enum forced to its name ([string]) so no localized text is parsed.
GET_CONGESTION = (
    "Get-NetTCPSetting | Select-Object SettingName, "
    "@{Name='CongestionProvider';Expression={[string]$_.CongestionProvider}} | ConvertTo-Json -Compress"
)


@dataclass(frozen=True)
class MachineInfo:
    computer: str
    windows: str
    build: int | None
    language: str
    elevated: bool | None
    simulated: bool


@dataclass(frozen=True)
class CongestionReading:
    """TCP setting name -> congestion provider, or why it could not be read."""

    providers: dict[str, str] = field(default_factory=dict)
    error: str = ""


class MachineInfoSource(Protocol):
    async def info(self) -> MachineInfo: ...

    async def congestion(self) -> CongestionReading: ...


def parse_congestion_json(text: str) -> CongestionReading:
    """Parse ``Get-NetTCPSetting ... | ConvertTo-Json`` (one object or a list); never raises."""
    try:
        data = json.loads(text) if text.strip() else []
    except ValueError:
        return CongestionReading(error="PowerShell's answer was not JSON")
    items = data if isinstance(data, list) else [data]
    providers = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("SettingName"), str):
            value = item.get("CongestionProvider")
            providers[item["SettingName"]] = str(value) if value is not None else ""
    if not providers:
        return CongestionReading(error="PowerShell listed no TCP settings")
    return CongestionReading(providers)


class SimulatedMachineInfo:
    """The simulated machine's profile as machine facts; its TCP settings all use the profile's provider."""

    def __init__(self, state: SimStateFile) -> None:
        self.state = state

    async def _profile(self) -> SimProfile:
        return (await asyncio.get_running_loop().run_in_executor(None, self.state.load)).profile

    async def info(self) -> MachineInfo:
        profile = await self._profile()
        return MachineInfo(
            f"{platform.node() or 'this computer'} (simulated)",
            build_name(profile.build),
            profile.build,
            profile.language,
            profile.elevated,
            True,
        )

    async def congestion(self) -> CongestionReading:
        profile = await self._profile()
        if profile.latency_ms:
            await asyncio.sleep(profile.latency_ms / 1000)  # PowerShell is slow; start-up must not wait for it
        name = "BBR2" if profile.congestion_provider == "bbr2" else profile.congestion_provider.upper()
        return CongestionReading({s: name for s in ("Internet", "InternetCustom", "Datacenter", "DatacenterCustom")})


class WindowsMachineInfo:
    """The real machine, through the Win32 layer and PowerShell (absolute System32 path, no profile, no shell)."""

    def __init__(self, api: object | None = None) -> None:
        from app.platform.windows import default_api

        self.api = api if api is not None else default_api()

    async def info(self) -> MachineInfo:
        from app.platform.windows import is_elevated

        build: int | None = None
        if sys.platform == "win32":
            build = sys.getwindowsversion().build
        release, ver, _, _ = platform.win32_ver()
        try:
            language = self.api.get_user_ui_language()  # type: ignore[attr-defined]
        except OSError:
            language = "unknown"
        try:
            elevated: bool | None = is_elevated(self.api)  # type: ignore[arg-type]
        except OSError:
            elevated = None
        edition = platform.win32_edition() if sys.platform == "win32" else ""
        return MachineInfo(
            platform.node(), f"Windows {release} {edition} ({ver})".replace("  ", " "), build, language, elevated, False
        )

    async def congestion(self) -> CongestionReading:
        from app.platform.windows import system_tool_path

        exe = str(system_tool_path(self.api, "WindowsPowerShell", "v1.0", "powershell.exe"))  # type: ignore[arg-type]
        argv = [exe, "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", GET_CONGESTION]

        def run() -> CongestionReading:
            try:
                done = subprocess.run(
                    argv,
                    capture_output=True,
                    timeout=PS_TIMEOUT_S,
                    check=False,
                    stdin=subprocess.DEVNULL,
                    creationflags=0x08000000,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                return CongestionReading(error=f"PowerShell could not be run ({exc})")
            if done.returncode != 0:
                return CongestionReading(error=f"PowerShell exited with code {done.returncode}")
            return parse_congestion_json(done.stdout.decode("utf-8", errors="replace"))

        return await asyncio.get_running_loop().run_in_executor(None, run)


class UnknownMachineInfo:
    """A custom netsh stand-in: nothing is known of the machine behind it."""

    async def info(self) -> MachineInfo:
        return MachineInfo(platform.node() or "unknown", "unknown (custom netsh)", None, "unknown", None, False)

    async def congestion(self) -> CongestionReading:
        return CongestionReading(error="not available with a custom netsh")
