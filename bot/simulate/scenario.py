"""The parameters of a simulated community (issue 12): how many members and volunteers, how
volunteers answer, what seekers ask about and when, and the community's settings.

Every parameter has the issue's default (docs/simulate-default.toml writes them all out).
`load_scenario` starts from them, then reads a TOML file whose tables mirror the groups
below, then `--set key=value` overrides.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.domain.community import CommunitySettings
from bot.domain.values import parse_timezone
from bot.simulate.parameters import (
    ZONES,
    AnswerChances,
    Group,
    Pauses,
    Profiles,
    Seekers,
    Topics,
    settings_text,
    zone_weights,
)

__all__ = [
    "AnswerChances",
    "Pauses",
    "Profiles",
    "Scenario",
    "ScenarioError",
    "Seekers",
    "Topics",
    "load_scenario",
]


class ScenarioError(Exception):
    """A scenario that can't be run: the message is one line naming the key at fault."""


class Scenario(BaseModel):
    """A simulated community; equal scenarios draw equal plans."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 1
    months: int = Field(12, ge=1, le=120)
    start: datetime = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday
    members: int = Field(5000, ge=1, le=1_000_000)
    volunteers: int = Field(300, ge=1)
    requests_per_month: float = Field(250.0, ge=0, le=100_000)
    zones: Annotated[dict[str, float], BeforeValidator(zone_weights)] = Field(
        default_factory=lambda: dict(ZONES)
    )  # where volunteers and seekers live, with weights
    profiles: Profiles = Profiles()
    answers: AnswerChances = AnswerChances()
    pauses: Pauses = Pauses()
    topics: Topics = Topics()
    seekers: Seekers = Seekers()
    # Community settings, as `/infochat mod settings` takes them (`approval_required="true"`).
    settings: Annotated[dict[str, str], BeforeValidator(settings_text)] = Field(
        default_factory=dict
    )

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give the start with its time zone, e.g. 2026-01-05T09:00:00Z")
        return value.astimezone(UTC)

    @field_validator("zones")
    @classmethod
    def _zones(cls, value: dict[str, float]) -> dict[str, float]:
        for name, weight in value.items():
            try:
                parse_timezone(name)
            except ValueError:
                raise ValueError(f"{name!r} is not an IANA time zone name") from None
            if weight < 0 or not math.isfinite(weight):
                raise ValueError(f"the weight of {name} must be 0 or more")
        if not any(weight > 0 for weight in value.values()):
            raise ValueError("give at least one zone a weight above 0")
        return value

    @field_validator("settings")
    @classmethod
    def _settings(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if key not in CommunitySettings.model_fields:
                raise ValueError(f"{key}: there is no such community setting")
        try:
            CommunitySettings.model_validate(value)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = f"{error['loc'][0]}: " if error["loc"] else ""
            raise ValueError(where + error["msg"].removeprefix("Value error, ")) from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.volunteers > self.members:
            raise ValueError(
                f"volunteers ({self.volunteers}) can't be more than members ({self.members})"
            )
        return self

    def community_settings(self) -> CommunitySettings:
        return CommunitySettings.model_validate(self.settings)

    def describe(self) -> list[str]:
        """A few short lines for the report's header."""
        p, a, s = self.profiles, self.answers, self.seekers
        settings = ", ".join(f"{k}={v}" for k, v in sorted(self.settings.items()))
        delay = f"{a.delay_hours:g} hours"
        if a.delay_hours % 24 == 0:
            days = int(a.delay_hours // 24)
            delay = f"{days} day{'s' if days != 1 else ''}"
        # The start's date only when it was chosen: the default's is arbitrary (a Monday).
        start = f"{self.start:%a %Y-%m-%d %H:%M} UTC"
        if self.start == Scenario.model_fields["start"].default:
            start = f"a {self.start:%A}, {self.start:%H:%M} UTC"
        return [
            f"Seed {self.seed}: {self.months} month{'s' if self.months != 1 else ''} from {start}.",
            f"{self.members:,} members, {self.volunteers:,} volunteers in {len(self.zones)} "
            f"time zones: capacity {_span(p.capacity)} a month, {_span(p.topics_each)} topics "
            f"each, {_pct(1 - p.without_windows)} with weekly windows, "
            f"{_pct(self.pauses.share)} pause {_span(self.pauses.weeks)} weeks.",
            f"{self.requests_per_month:g} requests a month about {len(self.topics.demand)} "
            f"topics ({len(self.topics.supply)} listed by volunteers); {_pct(s.vague)} vague at "
            f"first, {_pct(s.with_windows)} of seekers give weekly windows.",
            f"Asks: accepted {_pct(a.accept)}, not now {_pct(a.not_now)}, declined "
            f"{_pct(a.decline)}, never answered {_pct(a.silent)}; median answer after {delay}.",
            f"Seekers pick a time {_pct(s.picks_slot)}, confirm the chat {_pct(s.confirms)}, "
            f"thank {_pct(s.thanks)}.",
            f"Settings: {settings or 'the defaults'}.",
        ]


def load_scenario(path: Path | None = None, overrides: Mapping[str, str] | None = None) -> Scenario:
    """The defaults, then a TOML file's values, then `key=value` overrides. An override key
    is a parameter (`answers.accept`, or its name alone when no other group has it:
    `accept`), a zone's weight (`zones.Asia/Tokyo`) or a community setting
    (`approval_required`, `settings.approval_required`). Answer chances not given share
    what the given ones leave. Raises `ScenarioError`."""
    data = Scenario().model_dump()
    labels: dict[tuple[str, ...], str] = {}
    given: set[str] = set()  # answer chances given by the file or an override
    top: set[str] = set()  # top-level parameters given by the file or an override
    if path is not None:
        found = _read(path)
        top.update(found)
        answers = found.get("answers")
        given.update(answers if isinstance(answers, dict) else ())
        for key, value in found.items():
            base = data.get(key)
            if key in _groups() and isinstance(base, dict) and isinstance(value, dict):
                data[key] = {**base, **value}
            else:
                data[key] = value
    for key, value in (overrides or {}).items():
        where = _resolve(key)
        table = data.get(where[0])
        if len(where) == 1:
            data[where[0]] = value
        elif isinstance(table, dict):
            data[where[0]] = {**table, where[1]: value}
        labels[where] = key
        if where[0] == "answers":
            given.add(where[-1])
    _fill_answers(data["answers"], given)
    _scale_with_members(data, top | {where[0] for where in labels})
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_message(exc, labels)) from None


def _scale_with_members(data: dict[str, Any], given: set[str]) -> None:
    """A community of another size keeps the default one's proportions (6 % volunteer, 5 %
    ask each month) unless its volunteers or requests are given too: `members=500` is a
    small community, not 300 volunteers among 500."""
    if "members" not in given:
        return
    default = Scenario()
    try:
        ratio = int(data["members"]) / default.members
    except (TypeError, ValueError):
        return  # the model names the value it can't read
    if "volunteers" not in given:
        data["volunteers"] = max(1, round(default.volunteers * ratio))
    if "requests_per_month" not in given:
        data["requests_per_month"] = round(default.requests_per_month * ratio, 1)


def _groups() -> dict[str, type[Group]]:
    """The scenario's groups of parameters (its TOML tables) by name."""
    return {
        name: field.annotation
        for name, field in Scenario.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, Group)
    }


_MAPS = frozenset({"zones", "settings"})


def _fill_answers(answers: dict[str, Any], given: set[str]) -> None:
    """When only some answer chances are given (`accept=0.6`), the others share what is left
    in their default proportions, so the four still sum to 1."""
    kinds = ("accept", "not_now", "decline", "silent")
    if not given & set(kinds) or set(kinds) <= given:
        return
    try:
        taken = sum(float(answers[k]) for k in kinds if k in given)
    except (TypeError, ValueError):
        return  # the model names the value it can't read
    rest = [k for k in kinds if k not in given]
    weight = sum(float(answers[k]) for k in rest)
    if taken > 1 or weight <= 0:
        return  # the model says they don't sum to 1
    for k in rest:
        answers[k] = round(float(answers[k]) * (1 - taken) / weight, 12)


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except OSError as exc:
        raise ScenarioError(f"{path}: can't read the scenario file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None


def short_names() -> dict[str, list[tuple[str, ...]]]:
    """Each name an override may use alone → the parameters or settings it could mean."""
    names: dict[str, list[tuple[str, ...]]] = {}
    groups = _groups()
    for name in Scenario.model_fields:
        if name in groups:
            for sub in groups[name].model_fields:
                names.setdefault(sub, []).append((name, sub))
        elif name != "settings":
            names.setdefault(name, []).append((name,))
    for name in CommunitySettings.model_fields:
        names.setdefault(name, []).append(("settings", name))
    return names


def _resolve(key: str) -> tuple[str, ...]:
    """Where an override key goes in the scenario's data."""
    head, dot, rest = key.strip().partition(".")
    if dot:
        if head in _MAPS and rest:
            return (head, rest)
        group = _groups().get(head)
        if group is not None and rest in group.model_fields:
            return (head, rest)
        raise ScenarioError(f"{key}: unknown key (no such scenario parameter)")
    if head in _groups():
        raise ScenarioError(f"{key}: a group of parameters; set one, e.g. {head}.<name>=…")
    found = short_names().get(head, [])
    if not found:
        raise ScenarioError(f"{key}: unknown key (neither a scenario parameter nor a setting)")
    if len(found) > 1:
        raise ScenarioError(f"{key}: ambiguous; write {' or '.join('.'.join(p) for p in found)}")
    return found[0]


def _message(exc: ValidationError, labels: Mapping[tuple[str, ...], str]) -> str:
    """The first problem in one line, naming the key as it was given."""
    error = exc.errors()[0]
    loc = tuple(str(part) for part in error["loc"])
    text = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        text = "unknown key (no such scenario parameter)"
    if loc in (("settings",), ()):
        return f"settings.{text}" if loc else text
    key = ".".join(loc)
    for n in range(len(loc), 0, -1):
        if loc[:n] in labels:
            key = labels[loc[:n]]
            break
    return f"{key}: {text}"


def _pct(share: float) -> str:
    return f"{share * 100:.0f} %"


def _span(value: tuple[int, int]) -> str:
    return str(value[0]) if value[0] == value[1] else f"{value[0]}–{value[1]}"
