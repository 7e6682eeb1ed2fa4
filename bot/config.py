"""infochat's settings: one typed object, built in `main()` and passed down.

Sources, strongest first: environment variables (`INFOCHAT_…`, nested fields with `__`, e.g.
`INFOCHAT_COMMUNITY__APPROVAL_REQUIRED=true`), then a TOML file (`INFOCHAT_CONFIG`, or
`infochat.toml` in the working directory when it exists), then the defaults below.
Platform tokens are `SecretStr`: they print as `**********` and are never logged.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url

from bot.domain.community import CommunitySettings
from bot.errors import InfochatError
from bot.storage.database import sqlite_url

CONFIG_ENV = "INFOCHAT_CONFIG"
DEFAULT_CONFIG_FILE = "infochat.toml"
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
Platform = Literal["slack", "discord"]


class ConfigError(InfochatError):
    """The configuration can't be used; the message says what to change (and holds no secret)."""


def config_file() -> Path | None:
    """The TOML file to read: `$INFOCHAT_CONFIG`, else `./infochat.toml` if it exists."""
    named = os.environ.get(CONFIG_ENV, "").strip()
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ConfigError(f"{CONFIG_ENV} names {path}, which is not a readable file.")
        return path
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.is_file() else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="INFOCHAT_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    data_dir: Path = Path("data")
    # Empty means the SQLite file `<data_dir>/infochat.db` (through aiosqlite).
    database_url: str = ""
    log_level: LogLevel = "WARNING"
    # "text": one readable line per record; "json": one JSON object per line, for log shippers.
    log_format: Literal["text", "json"] = "text"
    # The operations HTTP server (/healthz, /readyz, /metrics) as host:port; empty: off.
    ops_address: str = "127.0.0.1:9464"
    # /readyz fails when a message due for delivery has waited longer than this (seconds).
    ready_outbox_age: float = Field(300.0, gt=0)
    # On SIGTERM: how long the delivery worker may go on sending what is due (seconds).
    shutdown_grace: float = Field(10.0, ge=0)
    # Defaults for communities the bot meets for the first time; moderators change them later.
    community: CommunitySettings = Field(default_factory=CommunitySettings)

    # Platform credentials, used by the Slack and Discord adapters.
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    # The Slack Web API base URL (ends with `/`): Slack's, or a compatible endpoint / local fake.
    slack_api_url: str = "https://slack.com/api/"
    slack_port: int = Field(3000, ge=1, le=65535)  # HTTP mode: where /slack/events listens
    # HTTP mode's listening interface: all of them so Slack can reach it, or 127.0.0.1 behind
    # a reverse proxy on the same machine.
    slack_host: str = "0.0.0.0"
    # Who moderates in Slack besides workspace admins and owners: members of the moderators'
    # channel (community.moderators_channel), of a user group (`slack_moderator_group`, an id
    # like S0123), or nobody else ("admins"). The core re-checks on every moderator action.
    slack_moderators: Literal["channel", "usergroup", "admins"] = "channel"
    slack_moderator_group: str = ""
    # Community channel names (e.g. "moderators") → Slack channel ids; others are looked up by name.
    slack_channels: dict[str, str] = Field(default_factory=dict)
    discord_token: SecretStr | None = None
    # Discord's REST API (a REST proxy or a local fake in tests may stand in for it).
    discord_api_base: str = "https://discord.com/api/v10"
    # The gateway's address. Unset: asked of `GET /gateway/bot` on `discord_api_base` at every
    # connect, so a REST and gateway proxy (or a local fake) is followed for both.
    discord_gateway_url: str | None = None
    # Sync the slash commands to this guild only (instant; for development). None: globally.
    discord_guild_id: int | None = None
    # Members with this role (or Manage Server) are moderators; the core checks every action.
    discord_moderator_role: str = Field("Moderator", min_length=1, max_length=100)
    # Sharding (large bots): several gateway connections through discord.py's
    # AutoShardedClient. `discord_shard_count` None: Discord's recommended count. With
    # `discord_shard_ids`, this process runs only those shards (the count is then required).
    discord_sharded: bool = False
    discord_shard_count: int | None = Field(None, ge=1)
    discord_shard_ids: tuple[int, ...] | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator(
        "slack_bot_token", "slack_app_token", "slack_signing_secret", "discord_token", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("ops_address")
    @classmethod
    def _host_port(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(
                "ops_address must be host:port (e.g. 127.0.0.1:9464), or empty for off"
            )
        return value

    def ops_host_port(self) -> tuple[str, int] | None:
        """Where the operations server listens, or None when it is off."""
        if not self.ops_address:
            return None
        host, _, port = self.ops_address.rpartition(":")
        return host.strip("[]"), int(port)

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @model_validator(mode="after")
    def _shards(self) -> Settings:
        ids = self.discord_shard_ids
        if ids is None:
            return self
        count = self.discord_shard_count
        if count is None:
            raise ValueError("discord_shard_ids needs discord_shard_count (all shards in total)")
        if not ids or any(i < 0 or i >= count for i in ids):
            raise ValueError(f"discord_shard_ids must be between 0 and {count - 1}")
        self.discord_sharded = True
        return self

    @model_validator(mode="after")
    def _slack_moderators(self) -> Settings:
        if self.slack_moderators == "usergroup" and not self.slack_moderator_group.strip():
            raise ValueError("slack_moderators=usergroup needs slack_moderator_group (e.g. S0123)")
        return self

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url.strip():
            self.database_url = sqlite_url(self.data_dir / "infochat.db")
        return self

    @property
    def platforms(self) -> tuple[Platform, ...]:
        """The platforms `infochat run` starts: each one with a credential set (the console
        when there is none). A half-configured one is started all the same and refused with
        a clear message (see `slack_problem`)."""
        found: list[Platform] = []
        if self.slack_bot_token or self.slack_app_token or self.slack_signing_secret:
            found.append("slack")
        if self.discord_token:
            found.append("discord")
        return tuple(found)

    def slack_problem(self) -> str | None:
        """What a Slack configuration lacks to start, or None when it can."""
        if self.slack_bot_token is None or not (self.slack_app_token or self.slack_signing_secret):
            return (
                "Slack needs INFOCHAT_SLACK_BOT_TOKEN, and INFOCHAT_SLACK_APP_TOKEN "
                "(Socket Mode) or INFOCHAT_SLACK_SIGNING_SECRET (HTTP mode)."
            )
        return None

    @property
    def safe_database_url(self) -> str:
        """The database URL with any password hidden, for logs and messages."""
        try:
            return make_url(self.database_url).render_as_string(hide_password=True)
        except Exception:
            return "(unparseable database URL)"

    def sqlite_path(self) -> Path | None:
        """The database file when the database is a SQLite file, else None."""
        try:
            url = make_url(self.database_url)
        except Exception:
            return None
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database or "")


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning validation problems into one readable `ConfigError`.

    Input values are left out of the message: a mistyped token must not end up in a log.
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'settings'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(f"The configuration isn't valid: {problems}") from None
