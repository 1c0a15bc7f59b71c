"""The machine facts of a replayed diagnostics file: its build, language and congestion providers, as recorded.

Same shape as the other machine-facts sources (app/domain/machine_facts.py): the report and the BBR2 check see the
captured machine.
"""

from __future__ import annotations

from pathlib import Path

from app.domain.machine_facts import CongestionReading, MachineInfo
from app.simulator.capture import load_capture


class CaptureMachineInfo:
    """Reads the file again on each call (it is small); raises CaptureError if it became unusable."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _info(self) -> MachineInfo:
        capture = load_capture(self.path)
        w = capture.windows
        release = " ".join(x for x in (w.edition, w.display_version) if x)
        windows = f"Windows {release}".strip() if release else "Windows (edition not recorded)"
        if w.ubr is not None:
            windows += f", update revision {w.ubr}"
        return MachineInfo(
            f"replayed diagnostics file {self.path.name}",
            windows,
            w.build,
            w.user_ui_language or "unknown",
            w.elevated,
            True,
        )

    def info(self) -> MachineInfo:
        return self._info()

    def congestion(self) -> CongestionReading:
        recorded = load_capture(self.path).congestion
        return CongestionReading(dict(recorded.providers), recorded.error)
