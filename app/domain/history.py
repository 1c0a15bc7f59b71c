"""One entry of the history of changes: what was asked, what happened (the storage reads and writes them)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.domain.errors import ValidationError
from app.domain.model import Change, Family, LoopbackSettings, Store
from app.domain.outcomes import HistoryOutcome


def _settings_from_json(data: object) -> dict[Family, LoopbackSettings]:
    if not isinstance(data, dict):
        raise ValidationError("settings per family must be an object")
    try:
        return {Family(key): LoopbackSettings.from_json(value) for key, value in data.items()}
    except ValueError:
        raise ValidationError("unknown family") from None


@dataclass(frozen=True)
class ComparisonStart:
    """What a comparison's "started" record keeps: the values found at the start (the originals the helper puts
    back), per family, and each configuration it was going to try (so a later start can tell which is in effect)."""

    originals: Mapping[Family, LoopbackSettings]
    configurations: tuple[tuple[str, Mapping[Family, LoopbackSettings]], ...]  # (label, values) in order

    def to_json(self) -> dict[str, object]:
        return {
            "originals": {f.value: s.to_json() for f, s in self.originals.items()},
            "configurations": [
                {"label": label, "settings": {f.value: s.to_json() for f, s in values.items()}}
                for label, values in self.configurations
            ],
        }

    @classmethod
    def from_json(cls, data: object) -> ComparisonStart:
        """Strictly parse :meth:`to_json`'s shape; raises ValidationError."""
        if not isinstance(data, dict) or not isinstance(data.get("configurations"), list):
            raise ValidationError("a comparison record needs originals and configurations")
        configurations = []
        for item in data["configurations"]:
            if not isinstance(item, dict) or not isinstance(item.get("label"), str):
                raise ValidationError("a configuration needs a label and settings")
            configurations.append((item["label"], _settings_from_json(item.get("settings"))))
        originals = _settings_from_json(data.get("originals"))
        if not originals:
            raise ValidationError("a comparison record needs the original values")
        return cls(originals, tuple(configurations))

    def describe(self) -> str:
        labels = ", ".join(label for label, _ in self.configurations)
        return f"comparison of {len(self.configurations)} configurations ({labels})"


@dataclass
class HistoryEntry:
    """One transaction: what was asked, what happened."""

    id: str
    started: float
    user: str
    machine: str
    backend: str
    requested: Change  # a comparison's: empty until it ends with a configuration kept
    outcome: HistoryOutcome | None = None  # None while unfinished
    reason: str = ""
    finished: float | None = None
    after: dict[str, object] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    store: Store | None = None  # the trial's target store; None in records written before it was kept
    comparison: ComparisonStart | None = None  # a comparison of configurations (None: a trial)

    def describe(self) -> list[str]:
        """What was asked, one line per setting changed; a comparison's first line says it was one (its change is
        empty unless it kept a configuration)."""
        lines = self.requested.describe()
        return [self.comparison.describe(), *lines] if self.comparison is not None else lines

    def summary(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started))
        what = "; ".join(self.requested.describe())
        if self.comparison is not None:
            what = f"{self.comparison.describe()}{': ' + what if what else ''}"
        status = self.outcome or "unfinished"
        return f"{when}  {status:<20} {what or 'no change'}"

    @property
    def stayed(self) -> bool:
        """The change stayed on the machine (kept, or kept in the active store until the next restart)."""
        return self.outcome in (HistoryOutcome.KEPT, HistoryOutcome.ACTIVE_UNTIL_RESTART)
