"""The harness's own smoke test: if a discord.py upgrade changes what the harness relies on
(Route.BASE, login, command sync, parse_interaction_create, callbacks), it fails here first."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.discord.bot_client import invite_url, permissions, run_discord
from bot.config import load_settings
from tests.adapters.discord.harness import FakeDiscord, connect, inject
from tests.adapters.discord.payloads import APP_ID, GUILD_ID, slash
from tests.support import World


async def test_login_syncs_the_command_group_and_answers_an_interaction(
    fake: FakeDiscord, world: World
) -> None:
    client = await connect(world.app)
    try:
        assert fake.find("GET", "/users/@me")
        sync = await fake.wait_for("PUT", f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
        group, mod = sync[0].body
        assert (group["name"], mod["name"]) == ("infochat", "infochat-mod")
        assert int(mod["default_member_permissions"]) == 1 << 5  # Manage Server
        assert group["dm_permission"] is False and mod["dm_permission"] is False
        names = {option["name"] for option in group["options"]}
        assert {"help", "request", "status", "cancel", "volunteer", "home", "me"} <= names

        inject(client, slash("100", "sam", "help"))
        (callback,) = await fake.wait_for("POST", r"/interactions/\d+/[^/]+/callback")
        assert callback.body["type"] == 4  # a message, right away
        assert callback.body["data"]["flags"] & 64  # ephemeral
    finally:
        await client.close()


async def test_run_discord_migrates_and_stops_cleanly_on_a_refused_token(
    fake: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("GET", "/users/@me", 401, {"message": "401: Unauthorized", "code": 0})
    settings = load_settings(
        data_dir=tmp_path, discord_token="not-a-real-token", discord_api_base=fake.base
    )
    assert await run_discord(settings) == 2
    assert (tmp_path / "infochat.db").exists()  # migrated before connecting
    assert "token was refused" in caplog.text
    assert "not-a-real-token" not in caplog.text


def test_the_readme_invite_url_asks_for_exactly_what_the_bot_needs() -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    url = invite_url("YOUR_APPLICATION_ID")
    assert url in readme
    assert "scope=bot+applications.commands&" in url
    assert str(permissions().value) == "343597435904"
    assert not permissions().mention_everyone and not permissions().administrator
