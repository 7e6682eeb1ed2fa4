"""Community settings: each value, and the settings as a whole, wherever they come from."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import ConfigError, load_settings
from bot.domain.community import CommunitySettings, problems

# Each contradiction a moderator (or an operator's environment) could write, and the
# setting the refusal names.
CONTRADICTIONS = [
    ({"introductions_channel": "digest"}, "introductions_channel"),
    ({"moderators_channel": "introductions"}, "moderators_channel"),
    ({"digest_channel": "moderators"}, "digest_channel"),
    ({"reminder_after_days": 7}, "reminder_after_days"),
    ({"reminder_after_days": 10}, "reminder_after_days"),
    ({"ask_expiry_days": 30}, "ask_expiry_days"),
    ({"default_minutes": 40}, "default_minutes"),
    ({"moderators_channel": "@everyone"}, "moderators_channel"),
    ({"moderators_channel": "everyone"}, "moderators_channel"),
    ({"digest_channel": "here"}, "digest_channel"),
    ({"digest_channel": "channel"}, "digest_channel"),
    ({"digest_channel": "<!channel>"}, "digest_channel"),
    ({"introductions_channel": "#introductions"}, "introductions_channel"),
    ({"introductions_channel": "our intros"}, "introductions_channel"),
    ({"introductions_channel": "<#C0123>"}, "introductions_channel"),
    ({"moderators_channel": "<@&42>"}, "moderators_channel"),
    ({"moderators_channel": "Moderators"}, "moderators_channel"),
]


@pytest.mark.parametrize(("values", "setting"), CONTRADICTIONS)
def test_contradictions_are_refused_naming_the_setting(
    values: dict[str, object], setting: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        CommunitySettings.model_validate(values)
    assert setting in str(refused.value)


def test_sensible_settings_have_no_problems() -> None:
    assert problems(CommunitySettings()) == {}
    fine = CommunitySettings(
        introductions_channel="intros-2026", moderators_channel="mod_team",
        digest_channel="célébrations", reminder_after_days=6, ask_expiry_days=7,
        request_expiry_days=8, default_minutes=30,
    )  # fmt: skip
    assert problems(fine) == {}


def test_saved_settings_that_predate_a_check_still_load_and_say_what_is_wrong() -> None:
    saved = {"digest_channel": "introductions", "reminder_after_days": 9}
    settings = CommunitySettings.stored(saved)
    assert set(problems(settings)) == {
        "digest_channel",
        "introductions_channel",
        "reminder_after_days",
        "ask_expiry_days",
    }
    with pytest.raises(ValidationError):
        CommunitySettings.model_validate(settings.model_dump())


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("INFOCHAT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.mark.usefixtures("clean_environment")
def test_environment_defaults_are_checked_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFOCHAT_COMMUNITY__DIGEST_CHANNEL", "introductions")
    with pytest.raises(
        ConfigError, match="introductions_channel and digest_channel must be different"
    ):
        load_settings()
    monkeypatch.setenv("INFOCHAT_COMMUNITY__DIGEST_CHANNEL", "weekly")
    monkeypatch.setenv("INFOCHAT_COMMUNITY__REMINDER_AFTER_DAYS", "8")
    with pytest.raises(ConfigError, match="reminder_after_days"):
        load_settings()
    monkeypatch.setenv("INFOCHAT_COMMUNITY__ASK_EXPIRY_DAYS", "9")
    assert load_settings().community.digest_channel == "weekly"
