"""The real machine's facts, through the Win32 layer and PowerShell (absolute System32 path, no profile, no shell)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

from app.domain.machine_facts import CongestionReading, MachineInfo, parse_congestion_json

PS_TIMEOUT_S = 20.0
# Culture-independent: objects as JSON, the enum forced to its name ([string]) so no localized text is parsed.
GET_CONGESTION = (
    "Get-NetTCPSetting | Select-Object SettingName, "
    "@{Name='CongestionProvider';Expression={[string]$_.CongestionProvider}} | ConvertTo-Json -Compress"
)
CREATE_NO_WINDOW = 0x08000000


class WindowsMachineInfo:
    """Blocking calls; the window runs them in a worker thread."""

    def __init__(self, api: object | None = None) -> None:
        from app.platform.windows import default_api

        self.api = api if api is not None else default_api()

    def info(self) -> MachineInfo:
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
            platform.node(),
            f"Windows {release} {edition} ({ver})".replace("  ", " "),
            build,
            language,
            elevated,
            False,
            os.cpu_count(),  # the app runs on the machine it configures
        )

    def congestion(self) -> CongestionReading:
        from app.platform.windows import system_tool_path

        exe = str(system_tool_path(self.api, "WindowsPowerShell", "v1.0", "powershell.exe"))  # type: ignore[arg-type]
        argv = [exe, "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", GET_CONGESTION]
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                timeout=PS_TIMEOUT_S,
                check=False,
                stdin=subprocess.DEVNULL,
                creationflags=CREATE_NO_WINDOW,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return CongestionReading(error=f"PowerShell could not be run ({exc})")
        if done.returncode != 0:
            return CongestionReading(error=f"PowerShell exited with code {done.returncode}")
        return parse_congestion_json(done.stdout.decode("utf-8", errors="replace"))
