"""A community's settings, with the defaults DESIGN.md §2 names."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.domain.values import TIMEZONE_HELP, parse_timezone


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

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            return parse_timezone(value)
        except ValueError:
            raise ValueError(TIMEZONE_HELP) from None
