"""A bot session for the Discord tests: a logged-in client over the fake, the core's
delivery worker with the Discord transport, and helpers to drive interactions and read
what each member sees (DMs, channels, threads, private replies)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from adapters.discord.bot_client import InfochatClient
from adapters.discord.transport import DiscordTransport
from bot.outbox import DeliveryWorker
from tests.adapters.discord.harness import Call, FakeDiscord, connect, inject, settle
from tests.adapters.discord.payloads import (
    APP_ID,
    CHANNELS,
    buttons_of,
    click,
    fill,
    message_payload,
    slash,
)
from tests.support import GOOD_REQUEST, VOLUNTEERS, World

USERS = {
    "sam": "100",
    "priya": "101",
    "bob": "102",
    "chen": "103",
    "dana": "104",
    "mo": "105",
    "mia": "106",
    "lee": "107",
    "alex": "108",
}
MANAGE_GUILD = str(1 << 5)
CALLBACK = r"/interactions/{id}/[^/]+/callback"


@dataclass
class Seen:
    """A message a member can see: where it is, and its body as sent."""

    kind: str  # "dm", "channel", "thread" or "reply"
    channel_id: str
    body: dict[str, Any]

    @property
    def buttons(self) -> dict[str, str]:
        return buttons_of(self.body)

    @property
    def text(self) -> str:
        return json.dumps(self.body, ensure_ascii=False)


@dataclass
class Bot:
    fake: FakeDiscord
    world: World
    client: InfochatClient
    worker: DeliveryWorker
    moderators: set[str] = field(default_factory=set)
    _by_token: dict[str, str] = field(default_factory=dict)  # interaction token → user id
    _by_id: dict[str, str] = field(default_factory=dict)  # interaction id → user id

    async def restart(self) -> None:
        """A new process: a new client and transport over the same database."""
        await self.client.close()
        self.client = await connect(self.world.app, clock=self.world.clock)
        self.worker = DeliveryWorker(self.world.db, DiscordTransport(self.client), self.world.clock)

    async def send(self, payload: dict[str, Any]) -> Call:
        """Inject an interaction, let its handler finish, deliver the outbox; the initial
        response (callback)."""
        self._by_token[payload["token"]] = self._by_id[payload["id"]] = _user_of(payload)
        inject(self.client, payload)
        calls = await self.fake.wait_for("POST", CALLBACK.format(id=payload["id"]))
        await settle()
        await self.worker.drain()
        return calls[-1]

    async def followup(self, payload: dict[str, Any]) -> Call:
        calls = await self.fake.wait_for("POST", rf"/webhooks/{APP_ID}/{payload['token']}")
        await self.worker.drain()
        return calls[-1]

    async def slash(self, name: str, *path: str, **options: str | int) -> Call:
        permissions = MANAGE_GUILD if name in self.moderators else "0"
        return await self.send(slash(USERS[name], name, *path, permissions=permissions, **options))

    async def travel(self, delta: timedelta) -> None:
        """Time passes: due jobs run and what they send is delivered through Discord."""
        self.world.clock.advance(delta)
        await self.world.app.job_runner().run_due()
        await self.worker.drain()

    def dms_to(self, name: str) -> list[dict[str, Any]]:
        return self.fake.dms(USERS[name])

    def seen_by(self, name: str) -> list[Seen]:
        """Everything `name` can see, oldest first: their DMs and private replies, and the
        channels and threads of the guild."""
        user_id = USERS[name]
        dm = self.fake.dm_channels.get(user_id)
        others = set(self.fake.dm_channels.values())
        out: list[Seen] = []
        for call in self.fake.calls:
            if call.method != "POST" or not isinstance(call.body, dict):
                continue
            if m := re.fullmatch(r"/channels/(\d+)/messages", call.path):
                cid = m[1]
                if cid == dm:
                    out.append(Seen("dm", cid, call.body))
                elif cid in CHANNELS.values():
                    out.append(Seen("channel", cid, call.body))
                elif cid not in others:
                    out.append(Seen("thread", cid, call.body))
            elif m := re.fullmatch(r"/interactions/(\d+)/[^/]+/callback", call.path):
                if self._by_id.get(m[1]) == user_id and call.body["type"] in (4, 7):
                    out.append(Seen("reply", "", call.body.get("data") or {}))
            elif (
                m := re.fullmatch(rf"/webhooks/{APP_ID}/([^/]+)", call.path)
            ) and self._by_token.get(m[1]) == user_id:
                out.append(Seen("reply", "", call.body))
        return out

    def last_with(self, name: str, label: str) -> Seen:
        for seen in reversed(self.seen_by(name)):
            if any(b == label or b.startswith(label) for b in seen.buttons):
                return seen
        raise AssertionError(f"{name} sees no button {label!r}")

    async def press(self, name: str, label: str, **form: str | list[str]) -> Call:
        """`name` presses the latest button labelled `label` (or starting with it) that they
        can see; a modal it opens is filled with `form` and submitted."""
        seen = self.last_with(name, label)
        custom_id = next(
            cid for b, cid in seen.buttons.items() if b == label or b.startswith(label)
        )
        message = message_payload(seen.channel_id or CHANNELS["introductions"], seen.body)
        permissions = MANAGE_GUILD if name in self.moderators else "0"
        payload = click(
            USERS[name],
            name,
            custom_id,
            in_dm=seen.kind == "dm",
            permissions=permissions,
            message=message,
        )
        callback = await self.send(payload)
        if callback.body["type"] != 9:
            return callback
        modal = callback.body["data"]
        in_dm = seen.kind == "dm"
        return await self.send(
            fill(
                USERS[name],
                name,
                modal,
                form,
                in_dm=in_dm,
                message=message,
                permissions=permissions,
            )
        )


def _user_of(payload: dict[str, Any]) -> str:
    member = payload.get("member")
    return str((member["user"] if member else payload["user"])["id"])


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
