"""The setup checklist on Discord: `/infochat-mod setup` in Discord's syntax, and the
first-meeting checklist that goes to the server owner by DM (the moderators' channel when the
owner takes no DMs from the bot), once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.discord.transport import DiscordTransport
from bot.commands import CommunityRef
from bot.errors import PermanentDeliveryError
from bot.views import Destination, Message
from tests.adapters.discord.harness import FakeDiscord, connect
from tests.adapters.discord.payloads import CHANNELS, GUILD_ID
from tests.adapters.discord.session import Bot
from tests.support import World

COMMUNITY = CommunityRef("discord", GUILD_ID, "Test guild")
ADMINS = Destination(kind="admins", channel="moderators")
CHECKLIST = Message(title="Setup checklist for Test guild", text="Moderators approve …: off.")
OWNER = "1"  # the fake guild's owner_id


@pytest.fixture
async def transport(fake: FakeDiscord, world: World) -> AsyncIterator[DiscordTransport]:
    client = await connect(world.app)
    yield DiscordTransport(client)
    await client.close()


async def test_admins_is_the_server_owner_by_dm(
    fake: FakeDiscord, transport: DiscordTransport
) -> None:
    await transport.deliver(COMMUNITY, ADMINS, CHECKLIST, 1)
    (sent,) = fake.dms(OWNER)
    assert sent["embeds"][0]["title"] == "Setup checklist for Test guild"
    assert sent["allowed_mentions"] == {"parse": []}
    assert not fake.find("POST", f"/channels/{CHANNELS['moderators']}/messages")


async def test_an_owner_without_dms_gets_it_in_the_moderators_channel(
    fake: FakeDiscord, transport: DiscordTransport, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("POST", r"/channels/\d+/messages", 403, {"message": "Cannot DM", "code": 50007})
    await transport.deliver(COMMUNITY, ADMINS, CHECKLIST, 1)
    (posted,) = fake.find("POST", f"/channels/{CHANNELS['moderators']}/messages")
    assert posted.body["embeds"][0]["title"] == "Setup checklist for Test guild"
    assert "takes no DMs" in caplog.text


async def test_no_owner_dm_and_no_moderators_channel_is_permanent(
    fake: FakeDiscord, transport: DiscordTransport
) -> None:
    fake.fail("POST", r"/channels/\d+/messages", 403, {"message": "Cannot DM", "code": 50007})
    nowhere = Destination(kind="admins", channel="no-such-channel")
    with pytest.raises(PermanentDeliveryError, match="no text channel #no-such-channel"):
        await transport.deliver(COMMUNITY, nowhere, CHECKLIST, 1)


async def test_the_first_command_in_a_server_sends_the_owner_the_checklist_once(
    bot: Bot,
) -> None:
    await bot.slash("sam", "help")
    await bot.slash("priya", "help")
    await bot.travel(timedelta(0))
    await bot.restart()  # a new process: nothing more
    await bot.travel(timedelta(days=1))
    checklist, checks = bot.fake.dms(OWNER)
    shown = json.dumps(checklist, ensure_ascii=False)
    assert "Setup checklist for" in shown
    assert "/infochat-mod settings fields:approval_required=true" in shown
    assert "/infochat-mod setup" in shown
    assert "/infochat mod " not in shown
    assert "`infochat doctor` checks it" in json.dumps(checks)  # no probe given here


async def test_mod_setup_answers_a_moderator_in_discord_syntax(bot: Bot) -> None:
    bot.moderators.add("mo")
    callback = await bot.slash("mo", "mod", "setup")
    assert callback.body["type"] == 4 and callback.body["data"]["flags"] & 64
    shown = json.dumps(callback.body["data"], ensure_ascii=False)
    assert "Moderators approve every introduction before anyone is asked: off" in shown
    assert "/infochat-mod settings fields:approval_required=true" in shown
    refused = json.dumps((await bot.slash("sam", "mod", "setup")).body)
    assert "Only moderators can do that." in refused
