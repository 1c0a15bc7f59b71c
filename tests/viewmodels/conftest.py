"""View-models over the simulated machine, built by the composition root but without any widget."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.paths import AppPaths
from app.runners.factory import Backend, BackendKind
from app.simulator.profile import SimProfile
from app.simulator.store import SimStateFile
from app.storage.originals import OriginalsStore
from app.usecases.helpdesk import DefaultsTable
from app.viewmodels.facts_vm import MachineFactsViewModel
from app.viewmodels.history_vm import HistoryViewModel
from app.viewmodels.main_vm import MainViewModel
from app.viewmodels.messages import Message
from app.viewmodels.presets_vm import PresetsViewModel
from app.viewmodels.profiles_vm import ProfilesViewModel
from app.wiring import Services, build_services, defaults_table
from tests.ui.conftest import loop, run  # noqa: F401  (the per-test qasync loop that fails on stray exceptions)


@dataclass
class Models:
    services: Services
    state: SimStateFile
    main: MainViewModel
    facts: MachineFactsViewModel
    presets: PresetsViewModel
    profiles: ProfilesViewModel
    history: HistoryViewModel
    messages: list[Message]


@pytest.fixture
def models(qapp: Any, tmp_path: Path, run: Callable[[Any], Any]) -> Iterator[Callable[..., Models]]:  # noqa: F811
    made: list[Models] = []

    def make(profile: SimProfile | None = None, *, defaults: str | None = None) -> Models:
        paths = AppPaths(data=tmp_path / "data", logs=tmp_path / "logs")
        services = build_services(Backend(BackendKind.SIMULATED, state=tmp_path / "machine.json"), paths)
        assert services.simulated is not None
        services.simulated.set_profile(profile or SimProfile(elevated=True))
        main = MainViewModel(
            services.reader,
            lambda: services.transactions,
            services.history,
            OriginalsStore(tmp_path / "originals.json"),
        )
        facts = MachineFactsViewModel(main, services.machine_info, services.history)
        main.changed.connect(facts.refresh_warnings)  # as the composition root wires it
        table = DefaultsTable.from_text(defaults if defaults is not None else defaults_table())
        presets = PresetsViewModel(main, facts, lambda: table, simulated=True)
        messages: list[Message] = []
        main.message.connect(messages.append)
        m = Models(
            services,
            services.simulated,
            main,
            facts,
            presets,
            ProfilesViewModel(main),
            HistoryViewModel(main, services.history),
            messages,
        )
        run(main.refresh())
        run(facts.load_info())
        run(facts.check_interactions())
        made.append(m)
        return m

    yield make
    for m in made:
        for obj in (m.main, m.facts, m.presets, m.profiles, m.history):
            obj.deleteLater()
