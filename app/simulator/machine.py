"""A simulated Windows machine's netsh ``interface ipv4|ipv6 show|set global``, as FACTS.md describes it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from app.domain.model import ExecutionMode, Family, LoopbackSettings, Setting, Store
from app.simulator.output import FIRST_BUILD_WITH_ROUTE_POLICIES, SIM_LANGUAGES, UNREADABLE_LOOPBACK
from app.simulator.profile import Fault, SimProfile

# The simulated machine starts with these. Microsoft publishes no per-build defaults (FACTS.md, "Defaults");
# this is a simulation choice, not a claim about Windows.
SIMULATED_INITIAL = LoopbackSettings(ExecutionMode.ADAPTIVE, 4, True)

# netsh's messages. Sourced in FACTS.md/samples unless marked UNCONFIRMED.
MSG_OK = "Ok."
MSG_ELEVATION = {
    "en-US": "The requested operation requires elevation (Run as administrator).",
}
MSG_BAD_VALUE = "The parameter is incorrect."
MSG_UNKNOWN_TAG = "'{tag}' is not a valid argument for this command."
MSG_NOT_FOUND = "The following command was not found: {command}."  # UNCONFIRMED wording
MSG_SYNTAX = "The syntax supplied for this command is not valid. Check help for the correct syntax."  # UNCONFIRMED
HANG = "hang"  # returned instead of output when a fault makes the command never answer


def _match(token: str, words: Sequence[str], minimum: int = 1) -> str | None:
    """netsh-style abbreviation: ``token`` names the one word it is a prefix of (at least ``minimum`` long)."""
    token = token.casefold()
    hits = [w for w in words if len(token) >= minimum and w.startswith(token)]
    return hits[0] if len(hits) == 1 else None


@dataclass
class SimulatedMachine:
    """The machine's state and its netsh. ``execute`` returns (exit code, output text) or HANG."""

    profile: SimProfile = field(default_factory=SimProfile)
    active: dict[Family, LoopbackSettings] = field(default_factory=lambda: dict.fromkeys(Family, SIMULATED_INITIAL))
    persistent: dict[Family, LoopbackSettings] = field(default_factory=lambda: dict.fromkeys(Family, SIMULATED_INITIAL))
    boots: int = 1
    hung_once: bool = False

    def reboot(self) -> None:
        """A restart: active-only changes are lost, the saved values take effect."""
        self.active = dict(self.persistent)
        self.boots += 1

    def execute(self, argv: Sequence[str], *, as_admin: bool = False) -> tuple[int, str] | str:
        """Run one netsh command line (without "netsh")."""
        tokens = list(argv)
        words = [t for t in tokens if "=" not in t]
        tags = [t for t in tokens if "=" in t]
        if len(words) != 4 or tokens[:4] != words:
            return 1, MSG_NOT_FOUND.format(command=" ".join(tokens))
        context = _match(words[0], ("interface",))
        # "ip" is netsh's alias for ipv4; "i" resolved to ipv4 in a real capture (samples/error-not-elevated-en-US).
        family_word = {"ip": "ipv4", "i": "ipv4"}.get(words[1].casefold()) or _match(words[1], ("ipv4", "ipv6"))
        verb = _match(words[2], ("set", "show"), minimum=2)
        obj = _match(words[3], ("global",), minimum=2)
        if not (context and family_word and verb and obj):
            return 1, MSG_NOT_FOUND.format(command=" ".join(tokens))
        family = Family(family_word)
        if verb == "show":
            return self._show(family, tags)
        return self._set(family, tags, as_admin=as_admin)

    def _parse_store(self, value: str) -> Store | None:
        hit = _match(value, ("active", "persistent"))
        return Store(hit) if hit else None

    def _show(self, family: Family, tags: list[str]) -> tuple[int, str]:
        store = Store.ACTIVE
        for tag in tags:
            name, _, value = tag.partition("=")
            if name.casefold() != "store":
                return 1, MSG_UNKNOWN_TAG.format(tag=name)
            parsed = self._parse_store(value)
            if parsed is None:
                return 1, MSG_BAD_VALUE
            store = parsed
        if Fault.SHOW_FAILS in self.profile.faults:
            return 1, MSG_BAD_VALUE
        return 0, self.render_show(family, store)

    def render_show(self, family: Family, store: Store) -> str:
        """The ``show global`` text, from the simulator's own literal templates (app/simulator/output.py)."""
        text = SIM_LANGUAGES[self.profile.language]
        settings = (self.active if store is Store.ACTIVE else self.persistent)[family]
        parts = [text.active_header if store is Store.ACTIVE else text.persistent_header, text.before]
        if self.profile.supports_loopback:
            mtu = text.mtu_on if settings.large_mtu else text.mtu_off
            unreadable = Fault.IPV4_UNREADABLE if family is Family.IPV4 else Fault.IPV6_UNREADABLE
            rows = UNREADABLE_LOOPBACK if unreadable in self.profile.faults else text.loopback
            parts.append(rows.format(mtu=mtu, count=settings.worker_count, mode=settings.execution_mode.value))
        parts.append(text.after)
        if self.profile.build >= FIRST_BUILD_WITH_ROUTE_POLICIES:
            parts.append(text.new_builds)
        return "".join(parts) + "\n"

    def _set(self, family: Family, tags: list[str], *, as_admin: bool) -> tuple[int, str] | str:
        if not tags:
            return 1, MSG_SYNTAX
        names = ["store"] + ([s.value for s in Setting] if self.profile.supports_loopback else [])
        patch: dict[str, object] = {}
        store = Store.PERSISTENT  # netsh's default store for set
        for tag in tags:
            raw_name, _, value = tag.partition("=")
            name = raw_name.casefold()
            if name not in names:
                return 1, MSG_UNKNOWN_TAG.format(tag=raw_name)
            if name == "store":
                parsed_store = self._parse_store(value)
                if parsed_store is None:
                    return 1, MSG_BAD_VALUE
                store = parsed_store
            elif name == Setting.EXECUTION_MODE.value:
                mode = _match(value, [m.value for m in ExecutionMode])
                if mode is None:
                    return 1, MSG_BAD_VALUE
                patch["execution_mode"] = ExecutionMode(mode)
            elif name == Setting.WORKER_COUNT.value:
                if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 16:  # int("²") raises
                    return 1, MSG_BAD_VALUE  # reject-or-clamp above 16 is UNCONFIRMED; we reject
                patch["worker_count"] = int(value)
            else:
                mtu = _match(value, ("enabled", "disabled"))
                if mtu is None:
                    return 1, MSG_BAD_VALUE
                patch["large_mtu"] = mtu == "enabled"
        if not (self.profile.elevated or as_admin):
            return 1, MSG_ELEVATION.get(self.profile.language, MSG_ELEVATION["en-US"])
        if Fault.SET_HANGS_ONCE in self.profile.faults and not self.hung_once:
            self.hung_once = True
            return HANG
        if Fault.SET_FAILS in self.profile.faults:
            return 1, MSG_BAD_VALUE
        if Fault.SET_IGNORED not in self.profile.faults and patch:
            new = replace(self.active[family], **patch)  # type: ignore[arg-type]
            self.active[family] = new
            if store is Store.PERSISTENT and Fault.PERSIST_IGNORED not in self.profile.faults:
                self.persistent[family] = replace(self.persistent[family], **patch)  # type: ignore[arg-type]
        return 0, f"{MSG_OK}\n\n"

    def to_json(self) -> dict[str, object]:
        return {
            "format": 1,
            "profile": self.profile.to_json(),
            "active": {f.value: s.to_json() for f, s in self.active.items()},
            "persistent": {f.value: s.to_json() for f, s in self.persistent.items()},
            "boots": self.boots,
            "hung_once": self.hung_once,
        }

    @classmethod
    def from_json(cls, data: object) -> SimulatedMachine:
        """Strict parse of :meth:`to_json`; raises ValidationError or ValueError when malformed."""
        if not isinstance(data, dict) or data.get("format") != 1:
            raise ValueError("not a simulated-machine file (format 1)")
        stores = {}
        for key in ("active", "persistent"):
            part = data.get(key)
            if not isinstance(part, dict) or set(part) != {f.value for f in Family}:
                raise ValueError(f"{key}: expected ipv4 and ipv6")
            stores[key] = {Family(f): LoopbackSettings.from_json(v) for f, v in part.items()}
        boots, hung = data.get("boots", 1), data.get("hung_once", False)
        if not isinstance(boots, int) or not isinstance(hung, bool):
            raise ValueError("boots/hung_once malformed")
        return cls(SimProfile.from_json(data.get("profile", {})), stores["active"], stores["persistent"], boots, hung)
