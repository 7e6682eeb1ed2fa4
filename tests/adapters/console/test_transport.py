"""Exactly-once in effect on the console: the transcript keeps the outbox row of each
delivery it showed, so a row delivered again after a crash or a lapsed lease is not printed
twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa

from adapters.console.transcript import Transcript
from adapters.console.transport import ConsoleTransport
from bot.domain.community import CommunitySettings
from bot.outbox import DeliveryWorker, RetryPolicy, enqueue
from bot.storage.members import get_or_create_community
from bot.storage.schema import outbox
from bot.views import Destination, Message
from tests.delivery import AcceptedThenStuck, never
from tests.support import COMMUNITY, World


async def queue(world: World) -> None:
    async with world.db.transaction() as conn:
        community = await get_or_create_community(
            conn, COMMUNITY, CommunitySettings(), world.clock.now()
        )
        destination = Destination(kind="member", user_ids=("sam",))
        await enqueue(conn, community.id, destination, Message(text="Hello sam"), world.clock.now())


@pytest.mark.parametrize("killed", [True, False])
async def test_a_delivery_repeated_after_a_crash_or_a_lapsed_lease_is_printed_once(
    world: World, killed: bool
) -> None:
    await queue(world)
    output: list[str] = []
    transport = ConsoleTransport(Transcript(), output.append)
    stalled = AcceptedThenStuck(transport)
    first = asyncio.create_task(
        DeliveryWorker(world.db, stalled, world.clock, heartbeat=never).drain()
    )
    await stalled.accepted.wait()  # printed; the worker stalls before recording it

    world.clock.advance(RetryPolicy().lease + timedelta(seconds=1))
    assert await DeliveryWorker(world.db, transport, world.clock).drain() == 1
    if killed:  # it never comes back
        first.cancel()
    else:  # it comes back late: the outcome is no longer its own to record
        stalled.release.set()
        assert await first == 0
    assert len(output) == 1 and "Hello sam" in output[0]
    assert len(transport.transcript.messages) == 1
    async with world.db.transaction() as conn:
        assert (await conn.execute(sa.select(outbox.c.status))).scalar_one() == "sent"
