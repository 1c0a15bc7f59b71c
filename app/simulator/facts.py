"""The simulated machine's profile as machine facts; its TCP settings all use the profile's provider."""

from __future__ import annotations

import platform
import time

from app.domain.machine_facts import CongestionReading, MachineInfo
from app.simulator.profile import build_name
from app.simulator.store import SimStateFile


class SimulatedMachineInfo:
    """Blocking, like the real source (PowerShell takes a while: the profile's latency stands for it)."""

    def __init__(self, state: SimStateFile) -> None:
        self.state = state

    def info(self) -> MachineInfo:
        profile = self.state.load().profile
        return MachineInfo(
            f"{platform.node() or 'this computer'} (simulated)",
            build_name(profile.build),
            profile.build,
            profile.language,
            profile.elevated,
            True,
            profile.processors,
        )

    def congestion(self) -> CongestionReading:
        profile = self.state.load().profile
        if profile.latency_ms:
            time.sleep(profile.latency_ms / 1000)  # PowerShell is slow; start-up must not wait for it
        name = "BBR2" if profile.congestion_provider == "bbr2" else profile.congestion_provider.upper()
        return CongestionReading({s: name for s in ("Internet", "InternetCustom", "Datacenter", "DatacenterCustom")})
