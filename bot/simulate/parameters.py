"""The groups of a scenario's parameters, with their defaults and checks (see `scenario`)."""

from __future__ import annotations

import math
from typing import Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from bot.domain.topics import normalize_topic


def int_range(value: Any) -> Any:
    """`2` → (2, 2); `"1-3"` (or `1..3`, `1–3`) → (1, 3); `[1, 3]` → (1, 3)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, str):
        text = value.strip().replace("–", "-").replace("..", "-")
        low, sep, high = text.partition("-")
        if not sep:
            high = low
        try:
            return (int(low), int(high))
        except ValueError:
            raise ValueError(
                f"write a whole number or a range such as 1-3, not {value!r}"
            ) from None
    return value


def names_list(value: Any) -> Any:
    """A list given as one string: `"a, b, c"`."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def zone_weights(value: Any) -> Any:
    """Zone weights given as one string: `"Europe/Berlin:2, Asia/Tokyo:1"`."""
    if not isinstance(value, str):
        return value
    weights: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        name, sep, weight = part.rpartition(":")
        if not sep:
            raise ValueError(f"write zone:weight pairs, such as Europe/Berlin:2, not {part!r}")
        weights[name.strip()] = weight.strip()
    return weights


def settings_text(value: Any) -> Any:
    """Settings as `/infochat mod settings` takes them: text (TOML's `true` → "true")."""
    if not isinstance(value, dict):
        return value
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in value.items()}


IntRange = Annotated[tuple[int, int], BeforeValidator(int_range)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Names = Annotated[tuple[str, ...], BeforeValidator(names_list)]


class Group(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Profiles(Group):
    """What volunteers put in their profiles."""

    capacity: IntRange = (1, 4)  # chats a month, drawn uniformly per volunteer
    topics_each: IntRange = (1, 3)  # topics a volunteer lists
    windows: IntRange = (1, 3)  # weekly windows, each on its own day
    window_hours: IntRange = (1, 3)  # a window's length (lunch windows stay within 2 hours)
    lunch: Share = 0.3  # share of windows at lunch time; the rest are in the evening
    without_windows: Share = 0.2  # volunteers who give no weekly windows
    affiliated: Share = 0.3  # volunteers listing a school or programme
    joining_later: Share = 0.1  # volunteers who join during the period, not at its start

    @field_validator("capacity")
    @classmethod
    def _capacity(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= value[0] <= value[1] <= 20:
            raise ValueError("capacity must lie within 1-20 chats a month, low before high")
        return value

    @field_validator("topics_each", "windows")
    @classmethod
    def _counts(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= value[0] <= value[1] <= 7:
            raise ValueError("give a range within 1-7")
        return value

    @field_validator("window_hours")
    @classmethod
    def _hours(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= value[0] <= value[1] <= 6:
            raise ValueError("a window lasts 1-6 hours")
        return value


class AnswerChances(Group):
    """How volunteers answer asks. Each volunteer's chances are the community's plus `spread`
    times how far their own random draw (Dirichlet around the community's chances) lies from
    the average draw, so volunteers differ yet their average is the community's exactly."""

    accept: Share = 0.55
    not_now: Share = 0.15
    decline: Share = 0.10
    silent: Share = 0.20  # never answers: the ask expires
    spread: Share = 0.5  # 0: every volunteer answers alike
    delay_hours: float = Field(24.0, gt=0, le=24 * 30)  # median of volunteers' answer delays
    delay_sigma: float = Field(1.0, ge=0, le=3)  # log-normal spread of the delays
    delay_max_hours: float = Field(120.0, gt=0, le=24 * 60)  # longer delays are cut to this

    @model_validator(mode="after")
    def _sum_to_one(self) -> Self:
        total = self.accept + self.not_now + self.decline + self.silent
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"accept + not_now + decline + silent must sum to 1, not {total:.4g}")
        return self


class Pauses(Group):
    share: Share = 0.15  # volunteers who pause once, at a random time
    weeks: IntRange = (2, 6)  # how long they pause

    @field_validator("weeks")
    @classmethod
    def _weeks(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= value[0] <= value[1] <= 52:
            raise ValueError("a pause lasts 1-52 weeks")
        return value


# Fields infochat's topic graph knows (bot.domain.topics), so matching can widen to neighbours.
SUPPLY = (
    "software engineering", "data engineering", "product management", "finance", "consulting",
    "data science", "marketing", "devops", "ux design", "sales", "project management",
    "web development", "accounting", "analytics", "machine learning", "teaching", "security",
    "law", "healthcare", "communications", "customer success", "policy", "content",
    "recruiting", "investment", "user research", "operations", "research", "nonprofit",
    "education", "entrepreneurship", "people operations", "public health",
)  # fmt: skip
# Seekers ask in another order: machine learning, user research, security, public health and
# entrepreneurship are sought far more often than volunteers list them.
DEMAND = (
    "product management", "software engineering", "data science", "ux design",
    "machine learning", "marketing", "user research", "data engineering", "finance",
    "consulting", "security", "analytics", "public health", "content", "entrepreneurship",
    "web development", "policy", "communications", "law", "teaching", "nonprofit",
    "healthcare", "sales", "education", "research", "investment", "devops", "operations",
    "customer success", "recruiting", "project management", "people operations", "accounting",
)  # fmt: skip


class Topics(Group):
    """Both lists are most popular first; popularity falls as rank^-exponent (Zipf-like)."""

    supply: Names = SUPPLY  # what volunteers list
    demand: Names = DEMAND  # what seekers ask about
    supply_exponent: float = Field(0.8, ge=0, le=5)
    demand_exponent: float = Field(0.9, ge=0, le=5)

    @field_validator("supply", "demand")
    @classmethod
    def _topics(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("give at least one topic")
        for topic in value:
            if normalize_topic(topic) != topic or len(topic) < 2:
                raise ValueError(
                    f"write topics as infochat names them: {normalize_topic(topic)!r}, "
                    f"not {topic!r}"
                )
        if len(set(value)) < len(value):
            raise ValueError("a topic is listed twice")
        return value


class Seekers(Group):
    vague: Share = 0.10  # requests sent vague first, refused by the coach, then fixed
    fix_hours: IntRange = (2, 48)  # how long fixing a vague request takes
    picks_slot: Share = 0.9  # picks one of the proposed times after the introduction
    confirms: Share = 0.85  # answers "did it happen?" with yes
    thanks: Share = 0.7  # thanks the volunteer after the chat
    with_windows: Share = 0.7  # give their time zone and weekly windows
    windows: IntRange = (1, 3)
    repeat: Share = 0.1  # requests from a member who asked before
    affiliated: Share = 0.3  # name a school or programme they share with volunteers
    working_hours: IntRange = (8, 21)  # local hours in which seekers send requests

    @field_validator("fix_hours")
    @classmethod
    def _fix(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 0 <= value[0] <= value[1] <= 24 * 30:
            raise ValueError("fixing takes 0-720 hours")
        return value

    @field_validator("windows")
    @classmethod
    def _windows(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= value[0] <= value[1] <= 7:
            raise ValueError("give a range within 1-7")
        return value

    @field_validator("working_hours")
    @classmethod
    def _working(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 0 <= value[0] < value[1] <= 24:
            raise ValueError("working hours run from one hour of the day to a later one")
        return value


# Four continents: Europe, North America, Asia, South America and Africa.
ZONES = {
    "Europe/London": 0.10, "Europe/Berlin": 0.12, "Europe/Madrid": 0.05, "Europe/Warsaw": 0.03,
    "America/New_York": 0.15, "America/Chicago": 0.07, "America/Los_Angeles": 0.10,
    "America/Toronto": 0.04, "Asia/Kolkata": 0.08, "Asia/Singapore": 0.06,
    "Asia/Tokyo": 0.04, "America/Sao_Paulo": 0.06, "Africa/Lagos": 0.05, "Africa/Nairobi": 0.05,
}  # fmt: skip
