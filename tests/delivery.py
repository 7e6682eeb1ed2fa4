"""Transports and clocks for the outbox's hard cases: a platform that accepted a message
whose sender died or stalled before recording it, and a heartbeat the test drives."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from bot.clock import FakeClock
from bot.commands import CommunityRef
from bot.domain.community import CommunitySettings
from bot.outbox import Transport, enqueue
from bot.storage.database import Database
from bot.storage.members import get_or_create_community
from bot.storage.schema import outbox
from bot.views import Destination, Message
from tests.support import COMMUNITY


@dataclass
class AcceptedThenStuck:
    """Sends through the real transport, then waits for `release` before returning: the
    platform has the message and the worker hasn't recorded it. Never released, it is a
    process killed between the two."""

    inner: Transport
    release: asyncio.Event = field(default_factory=asyncio.Event)
    accepted: asyncio.Event = field(default_factory=asyncio.Event)
    doubted: list[int] = field(default_factory=list)

    async def deliver(
        self,
        community: CommunityRef,
        destination: Destination,
        message: Message,
        delivery_id: int,
        *,
        in_doubt: bool = False,
    ) -> None:
        if in_doubt:
            self.doubted.append(delivery_id)
        await self.inner.deliver(community, destination, message, delivery_id, in_doubt=in_doubt)
        self.accepted.set()
        await self.release.wait()


class Beats:
    """A heartbeat the test drives: the worker renews its lease once per `beat()`."""

    def __init__(self) -> None:
        self._go = asyncio.Event()
        self.waiting = asyncio.Event()

    async def __call__(self) -> None:
        self.waiting.set()
        await self._go.wait()
        self._go.clear()

    async def beat(self) -> None:
        """One renewal; returns when it is written and the worker waits for the next."""
        await self.waiting.wait()
        self.waiting.clear()
        self._go.set()
        await self.waiting.wait()


def never() -> asyncio.Future[None]:
    """A heartbeat that never comes: the process is frozen, its lease will lapse."""
    return asyncio.get_running_loop().create_future()


async def enqueue_messages(db: Database, clock: FakeClock, count: int) -> None:
    async with db.transaction() as conn:
        community = await get_or_create_community(conn, COMMUNITY, CommunitySettings(), clock.now())
        for i in range(count):
            await enqueue(
                conn,
                community.id,
                Destination(kind="member", user_ids=(f"user{i}",)),
                Message(text=f"message {i}"),
                clock.now(),
            )


async def rows(db: Database) -> list[Any]:
    async with db.transaction() as conn:
        return list((await conn.execute(sa.select(outbox).order_by(outbox.c.id))).all())
