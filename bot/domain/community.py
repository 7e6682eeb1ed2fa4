"""A community's settings, with the defaults DESIGN.md §2 names.

Each value is checked on its own, and the settings as a whole must not contradict
themselves (a reminder after the ask expired, one channel doing two jobs), wherever they
come from: a moderator's `/infochat mod settings`, the environment or the TOML file.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bot.domain.values import TIMEZONE_HELP, parse_timezone

CHANNELS = ("introductions_channel", "moderators_channel", "digest_channel")
# Names a platform reads as a mention of everyone, not as a channel.
RESERVED_CHANNELS = frozenset({"everyone", "here", "channel", "all"})
CHANNEL_HELP = (
    "a channel name is lowercase letters, digits, - and _ as the platform shows it, "
    "without # (e.g. moderators)"
)
# Loading what the bot stored itself: settings saved before a check existed still load.
STORED = {"stored": True}


class CommunitySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    approval_required: bool = False
    max_open_requests: int = Field(3, ge=1, le=20)
    default_minutes: int = Field(15, ge=5, le=120)
    max_minutes: int = Field(30, ge=5, le=120)
    decline_cooldown_days: int = Field(90, ge=0, le=730)
    not_now_default_days: int = Field(14, ge=1, le=180)
    ask_expiry_days: int = Field(7, ge=1, le=60)
    reminder_after_days: int = Field(3, ge=1, le=60)
    request_expiry_days: int = Field(30, ge=1, le=365)
    suggestions_shown: int = Field(3, ge=1, le=10)
    introductions_channel: str = Field("introductions", min_length=1, max_length=80)
    moderators_channel: str = Field("moderators", min_length=1, max_length=80)
    digest_channel: str = Field("digest", min_length=1, max_length=80)
    timezone: str = "UTC"
    digest_weekday: int = Field(0, ge=0, le=6)  # 0 = Monday, in the community's time zone
    digest_hour: int = Field(9, ge=0, le=23)
    followup_days: int = Field(3, ge=1, le=30)  # after an introduction with no slot picked
    invite_after_chats: int = Field(1, ge=0, le=10)  # 0: never invite seekers to volunteer

    @classmethod
    def stored(cls, data: Any) -> CommunitySettings:
        """Settings as the bot saved them: each value checked, but not the whole (see
        `problems`), so a community whose saved settings predate a check keeps working
        and its moderators are told when they look at or change them."""
        return cls.model_validate(data, context=STORED)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            return parse_timezone(value)
        except ValueError:
            raise ValueError(TIMEZONE_HELP) from None

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Self:
        if info.context == STORED:
            return self
        found = problems(self)
        if found:
            raise PydanticCustomError(
                "contradictory_settings",
                "{reasons}",
                {"reasons": "; ".join(dict.fromkeys(found.values())), "problems": found},
            )
        return self


def problems(settings: CommunitySettings) -> dict[str, str]:
    """What is wrong with these settings as a whole: the setting to change → why."""
    found: dict[str, str] = {}
    for name in CHANNELS:
        reason = channel_problem(getattr(settings, name))
        if reason:
            found[name] = f"{name}: {reason}"
    for i, name in enumerate(CHANNELS):
        for other in CHANNELS[:i]:
            if getattr(settings, name) == getattr(settings, other):
                _both(found, other, name, f"{other} and {name} must be different channels")
    remind, expire = settings.reminder_after_days, settings.ask_expiry_days
    if remind >= expire:
        _both(found, "reminder_after_days", "ask_expiry_days",
              f"reminder_after_days ({remind}) must be shorter than ask_expiry_days ({expire}), "
              "or the reminder comes after the ask has expired")  # fmt: skip
    request_expire = settings.request_expiry_days
    if expire >= request_expire:
        _both(found, "ask_expiry_days", "request_expiry_days",
              f"ask_expiry_days ({expire}) must be shorter than request_expiry_days "
              f"({request_expire}), or a request expires before it can move on to a second "
              "volunteer")  # fmt: skip
    if settings.default_minutes > settings.max_minutes:
        _both(found, "default_minutes", "max_minutes",
              f"default_minutes ({settings.default_minutes}) can't be more than "
              f"max_minutes ({settings.max_minutes})")  # fmt: skip
    return found


def _both(found: dict[str, str], first: str, second: str, reason: str) -> None:
    """A contradiction between two settings: either may be the one to change."""
    found.setdefault(first, reason)
    found.setdefault(second, reason)


def channel_problem(name: str) -> str | None:
    if name.lower().strip("@#!<> ") in RESERVED_CHANNELS:
        return f"“{name[:30]}” means everyone on chat platforms, not a channel"
    if not all((ch.isalnum() and not ch.isupper()) or ch in "-_" for ch in name):
        return CHANNEL_HELP
    return None
