"""The help-desk view-models, one per job, as the window holds them."""

from __future__ import annotations

from dataclasses import dataclass

from app.viewmodels.facts_vm import MachineFactsViewModel
from app.viewmodels.history_vm import HistoryViewModel
from app.viewmodels.presets_vm import PresetsViewModel
from app.viewmodels.profiles_vm import ProfilesViewModel


@dataclass(frozen=True)
class HelpDesk:
    facts: MachineFactsViewModel  # machine facts, known problems, the report
    presets: PresetsViewModel  # presets and Windows' defaults
    profiles: ProfilesViewModel  # export and import
    history: HistoryViewModel  # past changes and reverting one
