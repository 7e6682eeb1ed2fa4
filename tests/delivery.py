"""Transports and clocks for the outbox's hard cases: a platform that accepted a message
whose sender died or stalled before recording it, and a heartbeat the test drives."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.commands import CommunityRef
from bot.outbox import Transport
from bot.views import Destination, Message


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
