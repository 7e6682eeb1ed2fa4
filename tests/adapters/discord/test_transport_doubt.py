"""Exactly-once in effect on Discord: every message carries a nonce made from its outbox row
(with `enforce_nonce`), so a delivery sent again after a crash or a lapsed lease returns the
message Discord already created instead of posting a second one."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa

from adapters.discord.transport import DiscordTransport, nonce
from bot.commands import CommunityRef
from bot.domain.community import CommunitySettings
from bot.outbox import DeliveryWorker, RetryPolicy, enqueue
from bot.storage.members import get_or_create_community
from bot.storage.schema import outbox
from bot.views import Destination, Message
from tests.adapters.discord.harness import FakeDiscord, connect
from tests.adapters.discord.payloads import CHANNELS, GUILD_ID
from tests.delivery import AcceptedThenStuck, never
from tests.support import World

COMMUNITY = CommunityRef("discord", GUILD_ID, "Test guild")
TO_MODS = Destination(kind="channel", channel="moderators")
TO_SAM = Destination(kind="member", user_ids=("100",))
HELLO = Message(text="Hello", title="Hi")


async def queue(world: World, destination: Destination) -> int:
    async with world.db.transaction() as conn:
        community = await get_or_create_community(
            conn, COMMUNITY, CommunitySettings(), world.clock.now()
        )
        await enqueue(conn, community.id, destination, HELLO, world.clock.now())
        return int((await conn.execute(sa.select(sa.func.max(outbox.c.id)))).scalar_one())


async def statuses(world: World) -> list[str]:
    async with world.db.transaction() as conn:
        return list((await conn.execute(sa.select(outbox.c.status))).scalars())


def test_a_nonce_fits_discord_and_differs_per_message_of_a_delivery() -> None:
    big = 10**15
    assert len(nonce(big, "thread note", "123456789012345678")) <= 25
    assert nonce(7, "owner note", "1") != nonce(7, "owner", "1") != nonce(8, "owner", "1")
    assert nonce(7, "dm", "100") == nonce(7, "dm", "100")


async def test_every_message_carries_its_nonce_with_enforce_nonce(
    fake: FakeDiscord, world: World
) -> None:
    client = await connect(world.app)
    try:
        transport = DiscordTransport(client)
        await transport.deliver(COMMUNITY, TO_MODS, HELLO, 41)
        await transport.deliver(COMMUNITY, TO_SAM, HELLO, 42)
    finally:
        await client.close()
    channel, dm = fake.find("POST", r"/channels/\d+/messages")
    assert (channel.body["nonce"], channel.body["enforce_nonce"]) == (
        nonce(41, "channel", "moderators"),
        True,
    )
    assert (dm.body["nonce"], dm.body["enforce_nonce"]) == (nonce(42, "dm", "100"), True)


@pytest.mark.parametrize(("destination", "channel"), [(TO_MODS, "moderators"), (TO_SAM, None)])
async def test_a_crash_after_discord_accepted_the_message_posts_it_once(
    fake: FakeDiscord, world: World, destination: Destination, channel: str | None
) -> None:
    await queue(world, destination)
    dead_client = await connect(world.app)
    killed = AcceptedThenStuck(DiscordTransport(dead_client))  # never released: it died
    dead = asyncio.create_task(
        DeliveryWorker(world.db, killed, world.clock, heartbeat=never).drain()
    )
    await killed.accepted.wait()

    # The restarted process (a new client, nothing cached), once the lease has lapsed.
    client = await connect(world.app)
    try:
        world.clock.advance(RetryPolicy().lease + timedelta(seconds=1))
        worker = DeliveryWorker(world.db, DiscordTransport(client), world.clock)
        assert await worker.drain() == 1
    finally:
        dead.cancel()
        await client.close()
        await dead_client.close()
    sends = fake.find("POST", r"/channels/\d+/messages")
    assert len(sends) == 2 and sends[0].body["nonce"] == sends[1].body["nonce"]
    assert len(fake.nonces) == 1  # one message created
    if channel is not None:
        assert {c.path for c in sends} == {f"/channels/{CHANNELS[channel]}/messages"}
    assert await statuses(world) == ["sent"]


async def test_a_lease_that_lapses_during_a_slow_send_posts_it_once(
    fake: FakeDiscord, world: World
) -> None:
    await queue(world, TO_SAM)
    client = await connect(world.app)
    try:
        slow = AcceptedThenStuck(DiscordTransport(client))
        first = asyncio.create_task(
            DeliveryWorker(world.db, slow, world.clock, heartbeat=never).drain()
        )
        await slow.accepted.wait()  # Discord has it; the worker hasn't recorded it

        world.clock.advance(RetryPolicy().lease + timedelta(seconds=1))
        second = DeliveryWorker(world.db, DiscordTransport(client), world.clock)
        assert await second.drain() == 1
        slow.release.set()
        assert await first == 0  # not its outcome to record any more
    finally:
        await client.close()
    assert len(fake.find("POST", r"/channels/\d+/messages")) == 2
    assert len(fake.nonces) == 1
    assert await statuses(world) == ["sent"]
