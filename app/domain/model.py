"""Typed values for the loopback settings, a machine's state and a change between two states."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from app.domain.errors import ValidationError

WORKER_COUNT_MIN = 1
WORKER_COUNT_MAX = 16


class Family(enum.StrEnum):
    """An IP family; netsh keeps the loopback settings separately for each."""

    IPV4 = "ipv4"
    IPV6 = "ipv6"

    @property
    def label(self) -> str:
        return "IPv4" if self is Family.IPV4 else "IPv6"


class ExecutionMode(enum.StrEnum):
    """Where loopback packets are processed (Microsoft's loopbackexecutionmode)."""

    ADAPTIVE = "adaptive"
    INLINE = "inline"
    WORKER = "worker"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Store(enum.StrEnum):
    """netsh's two stores: active (until reboot) and persistent (saved, survives reboot)."""

    ACTIVE = "active"
    PERSISTENT = "persistent"


class Setting(enum.StrEnum):
    """The three loopback settings, named by their netsh tags."""

    EXECUTION_MODE = "loopbackexecutionmode"
    WORKER_COUNT = "loopbackworkercount"
    LARGE_MTU = "loopbacklargemtu"

    @property
    def label(self) -> str:
        return _SETTING_LABELS[self]

    @property
    def field_name(self) -> str:
        return _SETTING_FIELDS[self]


_SETTING_LABELS = {
    Setting.EXECUTION_MODE: "execution mode",
    Setting.WORKER_COUNT: "worker count",
    Setting.LARGE_MTU: "large MTU",
}
_SETTING_FIELDS = {
    Setting.EXECUTION_MODE: "execution_mode",
    Setting.WORKER_COUNT: "worker_count",
    Setting.LARGE_MTU: "large_mtu",
}


def validate_worker_count(value: object) -> int:
    """Return ``value`` as a worker count; raises ValidationError unless it is an int from 1 to 16."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            f"worker count must be a whole number from {WORKER_COUNT_MIN} to {WORKER_COUNT_MAX}, got {value!r}"
        )
    if not WORKER_COUNT_MIN <= value <= WORKER_COUNT_MAX:
        raise ValidationError(f"worker count must be {WORKER_COUNT_MIN} to {WORKER_COUNT_MAX}, got {value}")
    return value


def format_value(setting: Setting, value: ExecutionMode | int | bool) -> str:
    """A value as a person reads it ("inline", "4", "on")."""
    if setting is Setting.LARGE_MTU:
        return "on" if value else "off"
    return str(value)


@dataclass(frozen=True, slots=True)
class LoopbackSettings:
    """The three loopback settings of one family, always valid once constructed."""

    execution_mode: ExecutionMode
    worker_count: int
    large_mtu: bool

    def __post_init__(self) -> None:
        if not isinstance(self.execution_mode, ExecutionMode):
            raise ValidationError(f"execution mode must be adaptive, inline or worker, got {self.execution_mode!r}")
        validate_worker_count(self.worker_count)
        if not isinstance(self.large_mtu, bool):
            raise ValidationError(f"large MTU must be on or off, got {self.large_mtu!r}")

    def value(self, setting: Setting) -> ExecutionMode | int | bool:
        value: ExecutionMode | int | bool = getattr(self, setting.field_name)
        return value

    def with_patch(self, patch: SettingsPatch) -> LoopbackSettings:
        return LoopbackSettings(
            execution_mode=self.execution_mode if patch.execution_mode is None else patch.execution_mode,
            worker_count=self.worker_count if patch.worker_count is None else patch.worker_count,
            large_mtu=self.large_mtu if patch.large_mtu is None else patch.large_mtu,
        )

    def describe(self) -> str:
        mtu = format_value(Setting.LARGE_MTU, self.large_mtu)
        workers = "1 worker" if self.worker_count == 1 else f"{self.worker_count} workers"
        return f"{self.execution_mode}, {workers}, large MTU {mtu}"

    def to_json(self) -> dict[str, object]:
        """The documented JSON shape: {"execution_mode": ..., "worker_count": ..., "large_mtu": ...}."""
        return {
            "execution_mode": self.execution_mode.value,
            "worker_count": self.worker_count,
            "large_mtu": self.large_mtu,
        }

    @classmethod
    def from_json(cls, data: object) -> LoopbackSettings:
        """Strictly parse the JSON shape; raises ValidationError naming what is wrong."""
        if not isinstance(data, dict):
            raise ValidationError(f"settings must be an object, got {type(data).__name__}")
        expected = {"execution_mode", "worker_count", "large_mtu"}
        unknown = sorted(set(data) - expected)
        if unknown:
            raise ValidationError(f"unknown setting {unknown[0]!r} (expected {', '.join(sorted(expected))})")
        missing = sorted(expected - set(data))
        if missing:
            raise ValidationError(f"missing setting {missing[0]!r}")
        large_mtu = data["large_mtu"]
        if not isinstance(large_mtu, bool):
            raise ValidationError(f"large_mtu must be true or false, got {large_mtu!r}")
        return cls(parse_execution_mode(data["execution_mode"]), validate_worker_count(data["worker_count"]), large_mtu)


def parse_execution_mode(value: object) -> ExecutionMode:
    """The execution mode named by ``value``; raises ValidationError for anything else."""
    if isinstance(value, str):
        try:
            return ExecutionMode(value.strip().lower())
        except ValueError:
            pass
    raise ValidationError(f"execution mode must be adaptive, inline or worker, got {value!r}")


@dataclass(frozen=True, slots=True)
class SettingsPatch:
    """A partial update of one family: None means "leave as it is"."""

    execution_mode: ExecutionMode | None = None
    worker_count: int | None = None
    large_mtu: bool | None = None

    def __post_init__(self) -> None:
        if self.execution_mode is not None and not isinstance(self.execution_mode, ExecutionMode):
            raise ValidationError(f"execution mode must be adaptive, inline or worker, got {self.execution_mode!r}")
        if self.worker_count is not None:
            validate_worker_count(self.worker_count)
        if self.large_mtu is not None and not isinstance(self.large_mtu, bool):
            raise ValidationError(f"large MTU must be on or off, got {self.large_mtu!r}")

    @classmethod
    def between(cls, before: LoopbackSettings, after: LoopbackSettings) -> SettingsPatch:
        """Only the fields in which ``after`` differs from ``before``."""
        return cls(
            execution_mode=None if after.execution_mode == before.execution_mode else after.execution_mode,
            worker_count=None if after.worker_count == before.worker_count else after.worker_count,
            large_mtu=None if after.large_mtu == before.large_mtu else after.large_mtu,
        )

    def items(self) -> Iterator[tuple[Setting, ExecutionMode | int | bool]]:
        """The set fields in netsh's tag order."""
        for setting in Setting:
            value = getattr(self, setting.field_name)
            if value is not None:
                yield setting, value

    @property
    def is_empty(self) -> bool:
        return next(self.items(), None) is None


@dataclass(frozen=True, slots=True)
class FamilyChange:
    """One family going from ``before`` to ``after``."""

    family: Family
    before: LoopbackSettings
    after: LoopbackSettings

    @property
    def patch(self) -> SettingsPatch:
        return SettingsPatch.between(self.before, self.after)

    @property
    def is_empty(self) -> bool:
        return self.before == self.after

    def inverse(self) -> FamilyChange:
        return FamilyChange(self.family, self.after, self.before)

    def describe(self) -> list[str]:
        """One line per changed setting, e.g. "IPv4 execution mode: adaptive -> inline"."""
        return [
            f"{self.family.label} {setting.label}: {format_value(setting, self.before.value(setting))} \u2192 "
            f"{format_value(setting, value)}"
            for setting, value in self.patch.items()
        ]


@dataclass(frozen=True, slots=True)
class Change:
    """A change to one or both families; families that would not change are left out."""

    families: tuple[FamilyChange, ...] = ()

    def __post_init__(self) -> None:
        seen = [fc.family for fc in self.families]
        if len(seen) != len(set(seen)):
            raise ValidationError("a change names the same family twice")
        object.__setattr__(
            self,
            "families",
            tuple(
                sorted((fc for fc in self.families if not fc.is_empty), key=lambda fc: list(Family).index(fc.family))
            ),
        )

    @classmethod
    def between(cls, before: Mapping[Family, LoopbackSettings], after: Mapping[Family, LoopbackSettings]) -> Change:
        return cls(tuple(FamilyChange(f, before[f], after[f]) for f in Family if f in before and f in after))

    @property
    def is_empty(self) -> bool:
        return not self.families

    def inverse(self) -> Change:
        return Change(tuple(fc.inverse() for fc in self.families))

    def describe(self) -> list[str]:
        return [line for fc in self.families for line in fc.describe()]

    def to_json(self) -> dict[str, object]:
        return {fc.family.value: {"before": fc.before.to_json(), "after": fc.after.to_json()} for fc in self.families}

    @classmethod
    def from_json(cls, data: object) -> Change:
        """Strictly parse :meth:`to_json`'s shape; raises ValidationError."""
        if not isinstance(data, dict):
            raise ValidationError("a change must be an object")
        items = []
        for key, value in data.items():
            try:
                family = Family(key)
            except ValueError:
                raise ValidationError(f"unknown family {key!r}") from None
            if not isinstance(value, dict) or set(value) != {"before", "after"}:
                raise ValidationError(f"{key}: expected 'before' and 'after'")
            items.append(
                FamilyChange(
                    family, LoopbackSettings.from_json(value["before"]), LoopbackSettings.from_json(value["after"])
                )
            )
        return cls(tuple(items))


class ReadProblem(enum.StrEnum):
    """Why a family's settings could not be read."""

    UNSUPPORTED = "unsupported"  # the Windows build number predates the loopback settings (before 17763)
    UNRECOGNIZED = "unrecognized"  # netsh answered, but not in a form we can map with certainty
    NETSH_FAILED = "netsh-failed"  # netsh exited non-zero or timed out
    NETSH_MISSING = "netsh-missing"  # netsh could not be started at all


@dataclass(frozen=True, slots=True)
class ReadFailure:
    """A family that could not be read, with a message for people and netsh's raw output.

    ``build`` is the Windows build number the decision was made with (None: unknown); an UNSUPPORTED failure
    always carries the build that is too old.
    """

    problem: ReadProblem
    message: str
    raw: str = ""
    build: int | None = None


Reading = LoopbackSettings | ReadFailure


@dataclass(frozen=True, slots=True)
class FamilyState:
    """One family as read from both stores."""

    family: Family
    active: Reading
    persistent: Reading

    @property
    def settings(self) -> LoopbackSettings | None:
        """The values in effect now, if they could be read."""
        return self.active if isinstance(self.active, LoopbackSettings) else None

    @property
    def failure(self) -> ReadFailure | None:
        return self.active if isinstance(self.active, ReadFailure) else None

    @property
    def saved(self) -> LoopbackSettings | None:
        return self.persistent if isinstance(self.persistent, LoopbackSettings) else None

    @property
    def unsaved_settings(self) -> tuple[Setting, ...]:
        """Settings whose active value differs from the saved one: lost at the next reboot."""
        if self.settings is None or self.saved is None:
            return ()
        return tuple(s for s, _ in SettingsPatch.between(self.saved, self.settings).items())


@dataclass(frozen=True, slots=True)
class MachineState:
    """Both families of a machine."""

    families: Mapping[Family, FamilyState] = field(default_factory=dict)

    def __getitem__(self, family: Family) -> FamilyState:
        return self.families[family]

    def settings(self) -> dict[Family, LoopbackSettings]:
        """The active settings of every family that could be read."""
        return {f: s for f, st in self.families.items() if (s := st.settings) is not None}

    def to_json(self, store: Store = Store.ACTIVE) -> dict[str, object]:
        """The documented ``show --json`` contract; a family that cannot be read is {"error": message}."""
        out: dict[str, object] = {}
        for family in Family:
            state = self.families.get(family)
            if state is None:
                continue
            reading = state.active if store is Store.ACTIVE else state.persistent
            out[family.value] = (
                reading.to_json() if isinstance(reading, LoopbackSettings) else {"error": reading.message}
            )
        return out
