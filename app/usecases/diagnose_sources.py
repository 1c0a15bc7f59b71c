"""What each backend can say about the machine behind it, for a diagnostics file (the facts, not the netsh runs)."""

from __future__ import annotations

import sys

from app.domain.capture import CongestionFacts, WindowsFacts
from app.domain.machine_facts import MachineFactsSource
from app.runners.factory import Backend, BackendKind, process_is_elevated, sim_state
from app.usecases.diagnose import MachineFacts

# The simulated machine's ANSI code page per display language: a simulation choice (Windows' defaults for
# these locales; the simulation never uses it for netsh, whose bytes follow the OEM code page).
SIMULATED_ANSI = {"en-US": 1252, "zh-CN": 936}


def congestion_facts(source: MachineFactsSource) -> CongestionFacts:
    """``source.congestion()`` (blocking: the window calls this through to_thread) as facts."""
    reading = source.congestion()
    return CongestionFacts(dict(reading.providers), reading.error)


def machine_facts(backend: Backend, congestion_source: MachineFactsSource | None) -> MachineFacts:
    """The facts behind ``backend``: the real machine (Win32, unelevated queries only), the simulated profile, the
    replayed file's own record, or nothing for a custom netsh (its machine is unknown). ``congestion_source`` is
    the backend's machine-facts source (wiring.make_machine_info; None: not read)."""
    if backend.kind is BackendKind.CAPTURE:
        from app.simulator.capture import load_capture

        assert backend.capture is not None
        capture = load_capture(backend.capture)
        return MachineFacts("capture", capture.windows, capture.codepage, capture.congestion)
    congestion = congestion_facts(congestion_source) if congestion_source else CongestionFacts(error="not read")
    if backend.kind is BackendKind.SIMULATED:
        profile = sim_state(backend).load().profile
        windows = WindowsFacts(
            build=profile.build,
            user_ui_language=profile.language,
            system_ui_language=profile.language,
            oem_codepage=profile.codepage,
            ansi_codepage=SIMULATED_ANSI.get(profile.language),
            elevated=profile.elevated,
        )
        return MachineFacts("simulated", windows, profile.codepage, congestion)
    if backend.kind is BackendKind.SYSTEM:
        from app.platform.win32_system import system_facts
        from app.platform.win32_version import system_build

        windows = system_facts(system_build(), process_is_elevated())
        return MachineFacts("system", windows, windows.oem_codepage, congestion)
    codepage = None
    if sys.platform == "win32":  # a custom netsh on Windows decodes with the OEM code page (see runners/factory)
        from app.platform.win32_system import system_facts

        codepage = system_facts(None, None).oem_codepage
    return MachineFacts("custom", WindowsFacts(), codepage, congestion)


def diagnostics_text(backend: Backend, congestion_source: MachineFactsSource | None) -> str:
    """The diagnostics file for ``backend``, as both faces write it (blocking: the window runs it in a thread).

    ``congestion_source`` is the backend's machine-facts source (ignored for a replay, which has its own record).
    """
    from app.runners.factory import make_runner
    from app.usecases.diagnose import capture_text, diagnose, private_names

    source = None if backend.kind is BackendKind.CAPTURE else congestion_source
    return capture_text(diagnose(make_runner(backend), machine_facts(backend, source), names=private_names()))
