"""A bot session for the Discord tests: a logged-in client over the fake, the core's
delivery worker with the Discord transport, and helpers to drive interactions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from adapters.discord.bot_client import InfochatClient
from adapters.discord.transport import DiscordTransport
from bot.outbox import DeliveryWorker
from tests.adapters.discord.harness import Call, FakeDiscord, connect, inject
from tests.adapters.discord.payloads import APP_ID, buttons_of, click, slash
from tests.support import GOOD_REQUEST, VOLUNTEERS, World

USERS = {"sam": "100", "priya": "101", "bob": "102", "chen": "103"}
CALLBACK = r"/interactions/{id}/[^/]+/callback"


@dataclass
class Bot:
    fake: FakeDiscord
    world: World
    client: InfochatClient
    worker: DeliveryWorker

    async def restart(self) -> None:
        """A new process: a new client and transport over the same database."""
        await self.client.close()
        self.client = await connect(self.world.app, clock=self.world.clock)
        self.worker = DeliveryWorker(self.world.db, DiscordTransport(self.client), self.world.clock)

    async def send(self, payload: dict[str, Any]) -> Call:
        """Inject an interaction; its initial response (callback); then deliver the outbox."""
        inject(self.client, payload)
        calls = await self.fake.wait_for("POST", CALLBACK.format(id=payload["id"]))
        await self.worker.drain()
        return calls[-1]

    async def followup(self, payload: dict[str, Any]) -> Call:
        calls = await self.fake.wait_for("POST", rf"/webhooks/{APP_ID}/{payload['token']}")
        await self.worker.drain()
        return calls[-1]

    async def slash(self, name: str, *path: str, **options: str) -> Call:
        return await self.send(slash(USERS[name], name, *path, **options))

    def dms_to(self, name: str) -> list[dict[str, Any]]:
        return self.fake.dms(USERS[name])


def fields(command: str) -> str:
    return command.split(" ", 2)[2]


async def asked(bot: Bot, why_extra: str = "") -> tuple[str, dict[str, Any]]:
    """Volunteers join and sam's request is with one of them: (volunteer, the ask DM body)."""
    for name in VOLUNTEERS:
        callback = await bot.slash(name, "volunteer", "join", fields=VOLUNTEERS[name])
        assert "Welcome" in json.dumps(callback.body) or callback.body["type"] == 4
    request = GOOD_REQUEST.replace('why="', f'why="{why_extra}') if why_extra else GOOD_REQUEST
    reply = await bot.slash("sam", "request", fields=fields(request))
    choose = next(
        cid for label, cid in reply_buttons(reply.body).items() if label.startswith("Let")
    )
    await bot.send(click(USERS["sam"], "sam", choose, in_dm=False))
    for name in VOLUNTEERS:
        dms = [body for body in bot.dms_to(name) if buttons_of(body)]
        if dms:
            return name, dms[-1]
    raise AssertionError("nobody was asked")


def reply_buttons(callback: dict[str, Any]) -> dict[str, str]:
    return buttons_of(callback.get("data") or {})
