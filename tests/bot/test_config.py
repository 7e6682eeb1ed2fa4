"""Settings: defaults, environment variables, the TOML file, secrets and the platform."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("INFOCHAT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults() -> None:
    settings = load_settings()
    assert settings.data_dir == Path("data")
    assert settings.database_url == "sqlite+aiosqlite:///data/infochat.db"
    assert settings.sqlite_path() == Path("data/infochat.db")
    assert settings.log_level == "WARNING"
    assert settings.community.approval_required is False
    assert settings.platforms == ()


def test_environment_variables_with_nested_community_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INFOCHAT_DATA_DIR", "/srv/infochat")
    monkeypatch.setenv("INFOCHAT_LOG_LEVEL", "debug")
    monkeypatch.setenv("INFOCHAT_COMMUNITY__APPROVAL_REQUIRED", "true")
    monkeypatch.setenv("INFOCHAT_COMMUNITY__MAX_MINUTES", "20")
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:////srv/infochat/infochat.db"
    assert settings.log_level == "DEBUG"
    assert settings.community.approval_required is True
    assert settings.community.max_minutes == 20


def test_an_explicit_database_url_wins_over_the_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFOCHAT_DATABASE_URL", "postgresql+asyncpg://bot:s3cret@db/infochat")
    settings = load_settings()
    assert settings.sqlite_path() is None
    assert "s3cret" not in settings.safe_database_url
    assert settings.safe_database_url.startswith("postgresql+asyncpg://bot:***@db")


def test_the_toml_file_in_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "infochat.toml").write_text(
        'data_dir = "state"\nlog_level = "info"\n\n[community]\nmax_open_requests = 2\n'
        'moderators_channel = "mods"\n',
        encoding="utf-8",
    )
    settings = load_settings()
    assert settings.data_dir == Path("state")
    assert settings.log_level == "INFO"
    assert settings.community.max_open_requests == 2
    assert settings.community.moderators_channel == "mods"


def test_infochat_config_names_the_file_and_the_environment_overrides_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text('log_level = "ERROR"\n[community]\nmax_minutes = 25\n', encoding="utf-8")
    (tmp_path / "infochat.toml").write_text('log_level = "DEBUG"\n', encoding="utf-8")
    monkeypatch.setenv("INFOCHAT_CONFIG", str(path))
    assert load_settings().log_level == "ERROR"
    monkeypatch.setenv("INFOCHAT_LOG_LEVEL", "critical")
    monkeypatch.setenv("INFOCHAT_COMMUNITY__APPROVAL_REQUIRED", "1")
    settings = load_settings()
    assert settings.log_level == "CRITICAL"
    assert settings.community.approval_required is True
    assert settings.community.max_minutes == 25  # nested fields merge across sources


def test_a_missing_config_file_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFOCHAT_CONFIG", "/nowhere/infochat.toml")
    with pytest.raises(ConfigError, match="not a readable file"):
        load_settings()


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        ("bogus = 1\n", "bogus"),
        ('log_level = "chatty"\n', "log_level"),
        ("[community]\nmax_minutes = 500\n", "community.max_minutes"),
        ("[community]\nno_such_setting = true\n", "community.no_such_setting"),
    ],
)
def test_invalid_settings_are_one_readable_error(tmp_path: Path, toml: str, problem: str) -> None:
    (tmp_path / "infochat.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=problem):
        load_settings()


def test_tokens_are_secret_and_select_the_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFOCHAT_SLACK_BOT_TOKEN", "xoxb-very-secret")
    settings = load_settings()
    assert settings.platforms == ("slack",)
    assert "xoxb-very-secret" not in repr(settings)
    assert "xoxb-very-secret" not in str(settings.model_dump())
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-very-secret"

    monkeypatch.delenv("INFOCHAT_SLACK_BOT_TOKEN")
    monkeypatch.setenv("INFOCHAT_DISCORD_TOKEN", "discord-secret")
    assert load_settings().platforms == ("discord",)
    monkeypatch.setenv("INFOCHAT_DISCORD_TOKEN", "  ")
    assert load_settings().platforms == ()  # a blank token is no token


def test_a_bad_value_next_to_a_token_does_not_leak_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFOCHAT_DISCORD_TOKEN", "discord-secret")
    monkeypatch.setenv("INFOCHAT_COMMUNITY__MAX_MINUTES", "discord-secret")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "discord-secret" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_settings_are_built_on_demand_not_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFOCHAT_DATA_DIR", "one")
    first = Settings()
    monkeypatch.setenv("INFOCHAT_DATA_DIR", "two")
    assert (first.data_dir, Settings().data_dir) == (Path("one"), Path("two"))


def test_discord_sharding_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not load_settings().discord_sharded  # one gateway connection by default
    monkeypatch.setenv("INFOCHAT_DISCORD_SHARD_COUNT", "4")
    monkeypatch.setenv("INFOCHAT_DISCORD_SHARD_IDS", "[2, 3]")
    settings = load_settings()
    assert settings.discord_sharded and settings.discord_shard_ids == (2, 3)
    monkeypatch.setenv("INFOCHAT_DISCORD_SHARD_IDS", "[4]")
    with pytest.raises(ConfigError, match="between 0 and 3"):
        load_settings()
    monkeypatch.delenv("INFOCHAT_DISCORD_SHARD_COUNT")
    with pytest.raises(ConfigError, match="needs discord_shard_count"):
        load_settings()


def test_slack_moderators_come_from_the_channel_a_user_group_or_admins_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().slack_moderators == "channel"
    monkeypatch.setenv("INFOCHAT_SLACK_MODERATORS", "usergroup")
    with pytest.raises(ConfigError, match="slack_moderator_group"):
        load_settings()
    monkeypatch.setenv("INFOCHAT_SLACK_MODERATOR_GROUP", "S0MODS")
    assert load_settings().slack_moderator_group == "S0MODS"
    monkeypatch.setenv("INFOCHAT_SLACK_MODERATORS", "everyone")
    with pytest.raises(ConfigError, match="slack_moderators"):
        load_settings()
