"""`infochat doctor`'s Discord checks against the fake REST API: the all-good case, one
failing case per check line (✘ with its fix, exit 1), an unreachable Discord, and the probe
on a running client's REST client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adapters.discord import permissions as p
from adapters.discord.setup_probe import DiscordProbe
from bot.commands import CommunityRef
from bot.domain.community import CommunitySettings
from tests.adapters.discord.harness import (
    BOT_PERMISSIONS,
    BOT_ROLE_ID,
    MODERATOR_ROLE_ID,
    FakeDiscord,
    connect,
)
from tests.adapters.discord.payloads import APP_ID, BOT_ID, GUILD_ID, user
from tests.adapters.doctor_support import Report, diagnose, met, migrated, one_problem

TOKEN = "discord-very-secret"
INVITE = f"client_id={APP_ID}&scope=bot+applications.commands&permissions={BOT_PERMISSIONS}"


@pytest.fixture
async def data_dir(tmp_path: Path) -> Path:
    return await migrated(tmp_path / "data")


async def check(fake: FakeDiscord, data_dir: Path, **values: Any) -> Report:
    settings: dict[str, Any] = {
        "data_dir": data_dir,
        "discord_token": TOKEN,
        "discord_api_base": fake.base,
        "discord_guild_id": int(GUILD_ID),
    }
    report = await diagnose(**(settings | values))
    assert TOKEN not in report.text
    return report


def deny(fake: FakeDiscord, channel: str, target: str, bits: int) -> None:
    fake.overwrites.setdefault(channel, []).append(
        {"id": target, "type": p.ROLE, "allow": "0", "deny": str(bits)}
    )


async def test_all_good(fake: FakeDiscord, data_dir: Path) -> None:
    report = await check(fake, data_dir)
    assert report.status == 0, report.text
    assert report.failed() == []
    assert report.line("✔ bot token valid: infochat", BOT_ID)
    assert report.line("✔ the bot is in server Test guild", GUILD_ID)
    assert f"Discord server Test guild ({GUILD_ID})" in report.lines
    for name in ("introductions", "moderators", "digest"):
        assert report.line(f"✔ #{name} exists and the bot has the permissions it needs there")
    assert report.line("✔ the moderator role Moderator exists")
    assert report.lines[-1] == "All good."
    assert [c.path for c in fake.calls if c.method != "GET"] == []  # it only reads


async def test_a_refused_token(fake: FakeDiscord, data_dir: Path) -> None:
    fake.fail("GET", "/users/@me", 401, {"message": "401: Unauthorized", "code": 0})
    report = await check(fake, data_dir)
    one_problem(report, "Discord accepts the bot token (the token was refused (401))",
                "Reset Token", "INFOCHAT_DISCORD_TOKEN")  # fmt: skip


async def test_a_token_that_is_no_bots(fake: FakeDiscord, data_dir: Path) -> None:
    fake.fail("GET", "/users/@me", 200, user("123", "sam"))
    report = await check(fake, data_dir)
    one_problem(report, "the token is a bot's", "not a person's")


async def test_a_server_the_bot_is_not_in(fake: FakeDiscord, data_dir: Path) -> None:
    report = await check(fake, data_dir, discord_guild_id=123)
    one_problem(report, "the bot is in server 123 (INFOCHAT_DISCORD_GUILD_ID; 403", INVITE)


async def test_without_a_configured_server_each_server_is_checked(
    fake: FakeDiscord, data_dir: Path
) -> None:
    report = await check(fake, data_dir, discord_guild_id=None)
    assert report.status == 0, report.text
    assert report.line(f"✔ the bot is in 1 server(s): Test guild ({GUILD_ID})")
    assert report.line("✔ #digest exists")
    fake.fail("GET", "/users/@me/guilds", 200, [])  # type: ignore[arg-type]
    report = await check(fake, data_dir, discord_guild_id=None)
    one_problem(report, "the bot is in a server", INVITE)


async def test_a_missing_channel(fake: FakeDiscord, data_dir: Path) -> None:
    del fake.channels["digest"]
    report = await check(fake, data_dir)
    one_problem(report, "✘ #digest exists", "create a text channel #digest",
                "/infochat-mod settings fields:digest_channel=NAME")  # fmt: skip


async def test_missing_permissions_are_named(fake: FakeDiscord, data_dir: Path) -> None:
    deny(fake, "moderators", BOT_ROLE_ID, p.SEND_MESSAGES)
    report = await check(fake, data_dir)
    one_problem(report, "the bot can do its work in #moderators: missing Send Messages, Embed Links",
                "Edit Channel → Permissions")  # fmt: skip


async def test_an_everyone_deny_the_bots_role_does_not_lift(
    fake: FakeDiscord, data_dir: Path
) -> None:
    deny(fake, "digest", GUILD_ID, p.VIEW_CHANNEL)
    fake.roles[1]["permissions"] = str(BOT_PERMISSIONS & ~p.VIEW_CHANNEL)
    report = await check(fake, data_dir)
    one_problem(report, "#digest: missing View Channels, Send Messages, Embed Links, Attach Files")


async def test_thread_permissions_in_the_introductions_channel(
    fake: FakeDiscord, data_dir: Path
) -> None:
    deny(fake, "introductions", BOT_ROLE_ID, p.SEND_MESSAGES_IN_THREADS)
    deny(fake, "introductions", GUILD_ID, p.SEND_MESSAGES_IN_THREADS)
    report = await check(fake, data_dir)
    one_problem(report, "#introductions: missing Embed Links (in its threads), Attach Files "
                "(in its threads), Send Messages in Threads (in its threads)")  # fmt: skip


async def test_administrator_needs_nothing_else(fake: FakeDiscord, data_dir: Path) -> None:
    fake.roles[1]["permissions"] = str(p.ADMINISTRATOR)
    deny(fake, "moderators", GUILD_ID, p.ALL)
    report = await check(fake, data_dir)
    assert report.status == 0, report.text


async def test_a_missing_moderator_role(fake: FakeDiscord, data_dir: Path) -> None:
    fake.roles = [r for r in fake.roles if r["id"] != MODERATOR_ROLE_ID]
    report = await check(fake, data_dir)
    one_problem(report, "the moderator role Moderator exists", "INFOCHAT_DISCORD_MODERATOR_ROLE")
    report = await check(fake, data_dir, discord_moderator_role=BOT_ROLE_ID)
    assert report.status == 0, report.text  # a role named by its id


async def test_the_channels_of_a_server_the_bot_has_met(fake: FakeDiscord, data_dir: Path) -> None:
    ref = CommunityRef("discord", GUILD_ID, "Test guild")
    await met(data_dir, ref, CommunitySettings(moderators_channel="mods"))
    report = await check(fake, data_dir)
    one_problem(report, "✘ #mods exists", "fields:moderators_channel=NAME")


async def test_an_unreachable_discord(data_dir: Path) -> None:
    report = await diagnose(
        data_dir=data_dir, discord_token=TOKEN, discord_api_base="http://127.0.0.1:9/api/v10"
    )
    one_problem(report, "Discord answers at http://127.0.0.1:9/api/v10 (Discord is unreachable",
                "INFOCHAT_DISCORD_API_BASE")  # fmt: skip


async def test_the_probe_works_with_a_running_clients_rest_client(
    fake: FakeDiscord, world: Any
) -> None:
    deny(fake, "digest", BOT_ROLE_ID, p.ATTACH_FILES)
    client = await connect(world.app)
    try:
        assert client.user is not None
        probe = DiscordProbe(client.http, str(client.user.id))
        found = await probe.check(CommunityRef("discord", GUILD_ID), CommunitySettings())
    finally:
        await client.close()
    assert [c.ok for c in found] == [True, True, False, True]
    assert found[2].line().startswith("✘ the bot can do its work in #digest: missing Attach Files")


async def test_an_answer_nothing_can_be_made_of_is_a_line_not_an_exception(
    fake: FakeDiscord, data_dir: Path
) -> None:
    fake.fail("GET", f"/guilds/{GUILD_ID}/channels", 200, [42])  # type: ignore[arg-type]
    report = await check(fake, data_dir)
    one_problem(report, "Discord's setup can be checked (AttributeError)", "see the log")


async def test_a_server_whose_members_the_bot_cannot_read(
    fake: FakeDiscord, data_dir: Path
) -> None:
    missing = {"message": "Missing Access", "code": 50001}
    fake.fail("GET", f"/guilds/{GUILD_ID}/members/{BOT_ID}", 403, missing)
    report = await check(fake, data_dir)
    one_problem(report, f"the bot can read server {GUILD_ID} (403 Missing Access)", INVITE)


async def test_servers_that_cannot_be_listed(fake: FakeDiscord, data_dir: Path) -> None:
    fake.fail("GET", "/users/@me/guilds", 403, {"message": "Missing Access", "code": 50001})
    report = await check(fake, data_dir, discord_guild_id=None)
    one_problem(report, "the bot's servers can be listed (403 Missing Access)")


async def test_an_answer_that_is_not_discords(fake: FakeDiscord, data_dir: Path) -> None:
    fake.fail("GET", "/users/@me", 404, {"message": "404: Not Found", "code": 0})
    report = await check(fake, data_dir)
    one_problem(report, f"Discord answers at {fake.base} (404", "INFOCHAT_DISCORD_API_BASE")
