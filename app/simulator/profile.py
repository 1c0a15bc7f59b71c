"""The simulated Windows machine's profile: build, display language, elevation, latency and faults."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

from app.domain.errors import ValidationError
from app.domain.read_plan import FIRST_BUILD_WITH_LOOPBACK
from app.simulator.output import SIM_LANGUAGES


class Fault(enum.StrEnum):
    """Faults the simulated netsh can be told to show, so every failure path can be seen and tested."""

    SET_HANGS_ONCE = "set-hangs-once"  # the next ``set`` never answers (killed at the runner's time limit)
    SET_FAILS = "set-fails"  # every ``set`` exits 1 with "The parameter is incorrect."
    SET_IGNORED = "set-ignored"  # ``set`` says Ok. but nothing changes (as if a policy overrode it)
    SHOW_FAILS = "show-fails"  # ``show global`` exits 1
    PERSIST_IGNORED = "persist-ignored"  # ``set ... store=persistent`` says Ok. and changes the active store only
    NETSH_MISSING = "netsh-missing"  # netsh cannot be started at all (the in-process simulated backend)
    IPV4_UNREADABLE = "ipv4-unreadable"  # IPv4's ``show global`` labels its loopback rows in a form nobody knows
    IPV6_UNREADABLE = "ipv6-unreadable"  # the same for IPv6 (the other family stays readable)


class UacAnswer(enum.StrEnum):
    """What the simulated UAC prompt answers when the app asks for elevation."""

    APPROVE = "approve"
    CANCEL = "cancel"


@dataclass(frozen=True)
class BuildInfo:
    number: int
    name: str


KNOWN_BUILDS: tuple[BuildInfo, ...] = (
    BuildInfo(17134, "Windows 10 1803 (no loopback settings)"),
    BuildInfo(17763, "Windows 10 1809 / Server 2019"),
    BuildInfo(19045, "Windows 10 22H2"),
    BuildInfo(20348, "Windows Server 2022"),
    BuildInfo(22621, "Windows 11 22H2"),
    BuildInfo(22631, "Windows 11 23H2"),
    BuildInfo(26100, "Windows 11 24H2 / Server 2025"),
)


def build_name(number: int) -> str:
    for build in KNOWN_BUILDS:
        if build.number == number:
            return build.name
    return f"Windows build {number}"


@dataclass(frozen=True)
class SimProfile:
    """How the simulated machine behaves. Every field is validated."""

    build: int = 22631
    language: str = "en-US"
    elevated: bool = False  # whether the user's own session runs as administrator
    latency_ms: int = 0
    uac: UacAnswer = UacAnswer.APPROVE
    congestion_provider: str = "cubic"
    faults: frozenset[Fault] = field(default_factory=frozenset)
    processors: int = 8  # the simulated machine's logical processors ("Favor throughput" uses them)

    def __post_init__(self) -> None:
        if isinstance(self.build, bool) or not isinstance(self.build, int) or not 10240 <= self.build <= 99999:
            raise ValidationError(f"build must be a Windows 10/11 build number, got {self.build!r}")
        if self.language not in SIM_LANGUAGES:
            raise ValidationError(f"language must be one of {', '.join(SIM_LANGUAGES)}, got {self.language!r}")
        if not isinstance(self.elevated, bool):
            raise ValidationError("elevated must be true or false")
        if (
            isinstance(self.latency_ms, bool)
            or not isinstance(self.latency_ms, int)
            or not 0 <= self.latency_ms <= 60_000
        ):
            raise ValidationError(f"latency must be 0 to 60000 ms, got {self.latency_ms!r}")
        if (
            isinstance(self.processors, bool)
            or not isinstance(self.processors, int)
            or not 1 <= self.processors <= 2048
        ):
            raise ValidationError(f"processors must be 1 to 2048, got {self.processors!r}")
        if self.congestion_provider not in ("cubic", "bbr2", "newreno", "dctcp", "ctcp"):
            raise ValidationError(f"unknown congestion provider {self.congestion_provider!r}")

    @property
    def supports_loopback(self) -> bool:
        return self.build >= FIRST_BUILD_WITH_LOOPBACK

    @property
    def codepage(self) -> int:
        return SIM_LANGUAGES[self.language].codepage

    def to_json(self) -> dict[str, object]:
        return {
            "build": self.build,
            "language": self.language,
            "elevated": self.elevated,
            "latency_ms": self.latency_ms,
            "uac": self.uac.value,
            "congestion_provider": self.congestion_provider,
            "faults": sorted(f.value for f in self.faults),
            "processors": self.processors,
        }

    @classmethod
    def from_json(cls, data: object) -> SimProfile:
        """Strict parse; raises ValidationError."""
        if not isinstance(data, dict):
            raise ValidationError("profile must be an object")
        known = set(cls().to_json())
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValidationError(f"unknown profile field {unknown[0]!r}")
        base = cls()
        faults = data.get("faults", [])
        if not isinstance(faults, list):
            raise ValidationError("faults must be a list")
        try:
            return replace(
                base,
                build=data.get("build", base.build),
                language=data.get("language", base.language),
                elevated=data.get("elevated", base.elevated),
                latency_ms=data.get("latency_ms", base.latency_ms),
                uac=UacAnswer(data.get("uac", base.uac.value)),
                congestion_provider=data.get("congestion_provider", base.congestion_provider),
                faults=frozenset(Fault(f) for f in faults),
                processors=data.get("processors", base.processors),
            )
        except ValueError as exc:
            if isinstance(exc, ValidationError):
                raise
            raise ValidationError(f"bad profile value: {exc}") from None
