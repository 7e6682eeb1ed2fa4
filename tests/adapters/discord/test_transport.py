"""The Discord outbox transport: where messages go, and how failures are classified."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.discord.transport import DiscordTransport
from bot.commands import CommunityRef
from bot.errors import DeliveryError, PermanentDeliveryError
from bot.views import Attachment, Destination, Message
from tests.adapters.discord.harness import FakeDiscord, connect
from tests.adapters.discord.payloads import CHANNELS, GUILD_ID
from tests.support import World

COMMUNITY = CommunityRef("discord", GUILD_ID, "Test guild")
TO_MODS = Destination(kind="channel", channel="moderators")
HELLO = Message(text="Hello @everyone", title="Hi")


@pytest.fixture
async def transport(fake: FakeDiscord, world: World) -> AsyncIterator[DiscordTransport]:
    client = await connect(world.app)
    yield DiscordTransport(client)
    await client.close()


async def test_a_channel_is_found_by_name_once_and_nobody_is_pinged(
    fake: FakeDiscord, transport: DiscordTransport
) -> None:
    await transport.deliver(COMMUNITY, TO_MODS, HELLO, 1)
    await transport.deliver(COMMUNITY, TO_MODS, HELLO, 2)
    sent = fake.find("POST", f"/channels/{CHANNELS['moderators']}/messages")
    assert len(sent) == 2
    assert len(fake.find("GET", f"/guilds/{GUILD_ID}/channels")) == 1  # cached
    assert sent[0].body["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in sent[0].body["embeds"][0]["description"]


async def test_an_introduction_mentions_exactly_its_two_members_with_the_invite(
    fake: FakeDiscord, transport: DiscordTransport
) -> None:
    group = Destination(kind="group", user_ids=("100", "101"), channel="introductions")
    invite = Attachment(filename="chat.ics", content_type="text/calendar", data="QkVHSU4=")
    message = Message(text="Meet each other", mentions=("100", "101"), attachments=(invite,))
    await transport.deliver(COMMUNITY, group, message, 1)
    (sent,) = fake.find("POST", r"/channels/6\d+/messages")
    assert sent.body["allowed_mentions"]["parse"] == []
    assert sorted(map(str, sent.body["allowed_mentions"]["users"])) == ["100", "101"]
    assert sent.files == ["chat.ics"]


async def test_a_long_rate_limit_becomes_a_retry_after(
    fake: FakeDiscord, transport: DiscordTransport
) -> None:
    fake.fail(
        "POST",
        r"/channels/\d+/messages",
        429,
        {"message": "You are being rate limited.", "retry_after": 120.0, "global": False},
        headers={"Via": "1.1 google", "Retry-After": "120"},
    )
    with pytest.raises(DeliveryError) as caught:
        await transport.deliver(COMMUNITY, TO_MODS, HELLO, 1)
    assert caught.value.retry_after == pytest.approx(120.0)


async def test_closed_dms_and_missing_permissions_are_permanent(
    fake: FakeDiscord, transport: DiscordTransport
) -> None:
    fake.fail("POST", r"/channels/\d+/messages", 403, {"message": "Cannot DM", "code": 50007})
    with pytest.raises(PermanentDeliveryError, match="does not accept DMs"):
        await transport.deliver(COMMUNITY, Destination(kind="member", user_ids=("100",)), HELLO, 1)
    (note,) = fake.find("POST", f"/channels/{CHANNELS['introductions']}/messages")
    assert note.body["content"].startswith("<@100> ") and "DMs are closed" in note.body["content"]
    assert note.body["allowed_mentions"]["parse"] == []
    assert [str(u) for u in note.body["allowed_mentions"]["users"]] == ["100"]
    fake.fail("POST", r"/channels/\d+/messages", 403, {"message": "Missing", "code": 50013})
    with pytest.raises(PermanentDeliveryError, match="missing permissions"):
        await transport.deliver(COMMUNITY, TO_MODS, HELLO, 2)


async def test_an_unknown_channel_name_is_permanent(transport: DiscordTransport) -> None:
    with pytest.raises(PermanentDeliveryError, match="no text channel #events"):
        await transport.deliver(COMMUNITY, Destination(kind="channel", channel="events"), HELLO, 1)
