from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

pytest.importorskip("discord")

from adapters.discord import replies
from adapters.discord.transport import DiscordTransport
from bot.outbox import DeliveryWorker
from tests.adapters.discord.harness import FakeDiscord, connect
from tests.adapters.discord.session import Bot
from tests.support import World


@pytest.fixture(autouse=True)
def answer_without_deferring(monkeypatch: pytest.MonkeyPatch) -> None:
    """The core answers directly in these tests, however busy the machine is: whether a
    click is deferred (1.5 s of wall time) would otherwise depend on the load. The tests of
    deferring set it to 0 themselves."""
    monkeypatch.setattr(replies, "DEFER_AFTER", 60.0)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def bot(fake: FakeDiscord, world: World) -> AsyncIterator[Bot]:
    """A logged-in client over the fake; the core's outbox goes through the Discord transport."""
    client = await connect(world.app, clock=world.clock)
    worker = DeliveryWorker(world.db, DiscordTransport(client), world.clock)
    session = Bot(fake, world, client, worker)
    yield session
    await session.client.close()
