"""The Discord outbox transport: where messages go, and how failures are classified."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.discord.transport import DiscordTransport
from bot.commands import CommunityRef
from bot.domain.community import CommunitySettings
from bot.errors import DeliveryError, PermanentDeliveryError
from bot.outbox import DeliveryWorker, enqueue
from bot.storage.members import get_or_create_community
from bot.views import Attachment, Destination, Message
from tests.adapters.discord.harness import Call, FakeDiscord, connect
from tests.adapters.discord.payloads import CHANNELS, GUILD_ID
from tests.support import World, count

COMMUNITY = CommunityRef("discord", GUILD_ID, "Test guild")
TO_MODS = Destination(kind="channel", channel="moderators")
HELLO = Message(text="Hello @everyone", title="Hi")
PAIR = Destination(kind="group", user_ids=("100", "101"), channel="introductions")
MEET = Message(text="Meet", mentions=("100", "101"))


@pytest.fixture
async def transport(fake: FakeDiscord, world: World) -> AsyncIterator[DiscordTransport]:
    client = await connect(world.app)
    yield DiscordTransport(client)
    await client.close()


def in_threads(fake: FakeDiscord) -> list[Call]:
    """Messages posted in threads (not DMs, not the named channels)."""
    others = {*fake.dm_channels.values(), *CHANNELS.values()}
    return [
        c
        for c in fake.find("POST", r"/channels/\d+/messages")
        if c.path.split("/")[2] not in others
    ]


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
    (sent,) = in_threads(fake)
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


async def test_closed_dms_fall_back_to_a_private_thread_that_says_where_to_look(
    fake: FakeDiscord, transport: DiscordTransport, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("POST", r"/channels/\d+/messages", 403, {"message": "Cannot DM", "code": 50007})
    to_sam = Destination(kind="member", user_ids=("100",))
    await transport.deliver(COMMUNITY, to_sam, HELLO, 1)  # delivered, not lost
    assert "has DMs closed" in caplog.text
    (thread,) = fake.find("POST", f"/channels/{CHANNELS['introductions']}/threads")
    assert thread.body["type"] == 12  # private: only the member (and moderators) see it
    assert [c.path for c in fake.find("PUT", r".*/thread-members/\d+")][-1].endswith("/100")
    note, message = in_threads(fake)
    assert note.body["content"].startswith("<@100> ") and "DMs are closed" in note.body["content"]
    assert message.body["embeds"] and message.body["content"] == "<@100>"
    for body in (note.body, message.body):
        assert body["allowed_mentions"]["parse"] == []
        assert [str(u) for u in body["allowed_mentions"]["users"]] == ["100"]
    fake.fail("POST", r"/channels/\d+/messages", 403, {"message": "Cannot DM", "code": 50007})
    await transport.deliver(COMMUNITY, to_sam, HELLO, 2)
    assert len(fake.find("POST", r".*/threads")) == 1  # the same thread, no second note
    assert len(in_threads(fake)) == 3


async def test_missing_permissions_send_it_to_the_owner_with_a_clear_reason(
    fake: FakeDiscord, transport: DiscordTransport, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("POST", r"/channels/\d+/messages", 403, {"message": "Missing", "code": 50013})
    await transport.deliver(COMMUNITY, TO_MODS, HELLO, 2)  # delivered, not lost
    note, message = fake.dms("1")  # the server owner
    assert "couldn't post this in #moderators" in note["content"]
    assert "missing permissions" in note["content"] and note["allowed_mentions"]["parse"] == []
    assert message["embeds"]
    assert "sent to the server owner" in caplog.text


async def test_when_the_owner_cant_be_told_either_it_is_permanent(
    fake: FakeDiscord, transport: DiscordTransport
) -> None:
    fake.fail(
        "POST", r"/channels/\d+/messages", 403, {"message": "Missing", "code": 50013}, times=2
    )
    with pytest.raises(PermanentDeliveryError, match=r"missing permissions.*channel's permissions"):
        await transport.deliver(COMMUNITY, TO_MODS, HELLO, 2)


async def test_a_deleted_channel_is_looked_up_again_once(
    fake: FakeDiscord, transport: DiscordTransport, caplog: pytest.LogCaptureFixture
) -> None:
    await transport.deliver(COMMUNITY, TO_MODS, HELLO, 1)
    fake.fail("POST", r"/channels/\d+/messages", 404, {"message": "Unknown", "code": 10003})
    await transport.deliver(COMMUNITY, TO_MODS, HELLO, 2)
    assert "is gone; looking it up again" in caplog.text
    assert len(fake.find("GET", f"/guilds/{GUILD_ID}/channels")) == 2
    assert len(fake.find("POST", f"/channels/{CHANNELS['moderators']}/messages")) == 3
    fake.fail(
        "POST", r"/channels/\d+/messages", 404, {"message": "Unknown", "code": 10003}, times=2
    )
    await transport.deliver(COMMUNITY, TO_MODS, HELLO, 3)  # gone for good: to the owner
    assert "unknown channel" in fake.dms("1")[0]["content"]


async def test_an_introduction_goes_on_without_a_member_who_left(
    fake: FakeDiscord, transport: DiscordTransport, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("PUT", r".*/thread-members/101", 404, {"message": "Unknown Member", "code": 10007})
    await transport.deliver(COMMUNITY, PAIR, MEET, 1)
    assert "member 101 left" in caplog.text
    assert in_threads(fake)  # the thread got the introduction


async def test_without_thread_permissions_an_introduction_goes_to_both_members_dms(
    fake: FakeDiscord, transport: DiscordTransport, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("POST", r".*/threads", 403, {"message": "Missing Permissions", "code": 50013})
    await transport.deliver(COMMUNITY, PAIR, MEET, 1)
    assert "goes to each member's DMs" in caplog.text
    assert fake.dms("100") and fake.dms("101")


async def test_the_outbox_survives_a_429_and_sends_after_retry_after(
    fake: FakeDiscord, world: World
) -> None:
    client = await connect(world.app, clock=world.clock)
    try:
        worker = DeliveryWorker(world.db, DiscordTransport(client), world.clock)
        async with world.db.transaction() as conn:
            community = await get_or_create_community(
                conn, COMMUNITY, CommunitySettings(), world.clock.now()
            )
            await enqueue(conn, community.id, TO_MODS, HELLO, world.clock.now())
        limited = {"message": "You are being rate limited.", "retry_after": 60.0, "global": False}
        fake.fail("POST", r"/channels/\d+/messages", 429, limited, {"Retry-After": "60"})
        await worker.drain()  # no crash: the message waits
        assert await count(world, "outbox", status="pending") == 1
        world.clock.advance(timedelta(seconds=61))
        await worker.drain()
        assert await count(world, "outbox", status="sent") == 1
        assert len(fake.find("POST", f"/channels/{CHANNELS['moderators']}/messages")) == 2
    finally:
        await client.close()


async def test_an_unknown_channel_name_goes_to_the_owner(
    fake: FakeDiscord, transport: DiscordTransport
) -> None:
    await transport.deliver(COMMUNITY, Destination(kind="channel", channel="events"), HELLO, 1)
    assert "no text channel #events" in fake.dms("1")[0]["content"]


async def test_closed_dms_fall_back_to_the_communitys_own_introductions_channel(
    fake: FakeDiscord, transport: DiscordTransport
) -> None:
    """A community that moved its introductions elsewhere gets the fallback thread there."""
    fake.fail("POST", r"/channels/\d+/messages", 403, {"message": "Cannot DM", "code": 50007})
    to_sam = Destination(kind="member", user_ids=("100",), channel="digest")
    await transport.deliver(COMMUNITY, to_sam, HELLO, 1)
    assert fake.find("POST", f"/channels/{CHANNELS['digest']}/threads")
    assert not fake.find("POST", f"/channels/{CHANNELS['introductions']}/threads")
