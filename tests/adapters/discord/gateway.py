"""A fake Discord gateway on 127.0.0.1: Discord's documented wire protocol, nothing more.

HELLO → (the client) IDENTIFY → READY and GUILD_CREATE (with the guild's roles and
channels), heartbeats acknowledged, then `push()` sends dispatch events such as
INTERACTION_CREATE. The bot finds it as a real deployment would: the fake REST API's
`GET /gateway/bot` names it (set `FakeDiscord.gateway_url`), nothing in discord.py is patched.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

from tests.adapters.discord.payloads import (
    APP_ID,
    BOT_ID,
    CHANNELS,
    GUILD_ID,
    TIMESTAMP,
    user,
)

MODERATOR_ROLE_ID = "800000000000000099"


def role(role_id: str, name: str) -> dict[str, Any]:
    return {
        "id": role_id,
        "name": name,
        "permissions": "0",
        "position": 0 if role_id == GUILD_ID else 1,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def guild_create() -> dict[str, Any]:
    return {
        "id": GUILD_ID,
        "name": "Test guild",
        "owner_id": "1",
        "unavailable": False,
        "large": False,
        "member_count": 3,
        "joined_at": TIMESTAMP,
        "features": [],
        "emojis": [],
        "stickers": [],
        "members": [],
        "presences": [],
        "voice_states": [],
        "threads": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "premium_tier": 0,
        "roles": [role(GUILD_ID, "@everyone"), role(MODERATOR_ROLE_ID, "Moderator")],
        "channels": [
            {"id": cid, "type": 0, "name": name, "position": i, "permission_overwrites": []}
            for i, (name, cid) in enumerate(CHANNELS.items())
        ],
    }


class FakeGateway:
    def __init__(self) -> None:
        self.identify: list[dict[str, Any]] = []
        self.heartbeats = 0
        self.invalidate = 0  # answer this many IDENTIFYs with INVALID_SESSION (not resumable)
        self._sockets: list[web.WebSocketResponse] = []
        self._seq = 0
        self._ready = asyncio.Event()
        app = web.Application()
        app.router.add_get("/", self._connect)
        self.server = TestServer(app, host="127.0.0.1")

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.port}/"

    async def start(self) -> None:
        await self.server.start_server()

    async def close(self) -> None:
        for socket in self._sockets:
            await socket.close()
        await self.server.close()

    async def ready(self, within: float = 5.0) -> None:
        await asyncio.wait_for(self._ready.wait(), within)

    async def push(self, event: str, data: dict[str, Any]) -> None:
        """A dispatch event (op 0) to every connected client."""
        for socket in self._sockets:
            if not socket.closed:
                await self._dispatch(socket, event, data)

    async def _dispatch(self, socket: web.WebSocketResponse, event: str, data: Any) -> None:
        self._seq += 1
        await socket.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))

    async def _connect(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}}))
        async for message in socket:
            if message.type is not WSMsgType.TEXT:
                continue
            payload = json.loads(message.data)
            if payload["op"] == 1:  # heartbeat
                self.heartbeats += 1
                await socket.send_str(json.dumps({"op": 11}))
            elif payload["op"] == 2:  # identify
                self.identify.append(payload["d"])
                if self.invalidate > 0:
                    self.invalidate -= 1
                    await socket.send_str(json.dumps({"op": 9, "d": False}))
                    continue
                shard = payload["d"].get("shard", [0, 1])
                await self._dispatch(socket, "READY", self._ready_payload(shard))
                await self._dispatch(socket, "GUILD_CREATE", guild_create())
                self._ready.set()
        return socket

    def _ready_payload(self, shard: list[int]) -> dict[str, Any]:
        return {
            "v": 10,
            "user": user(BOT_ID, "infochat"),
            "guilds": [{"id": GUILD_ID, "unavailable": True}],
            "session_id": "fake-session",
            "resume_gateway_url": self.url,
            "application": {"id": APP_ID, "flags": 0},
            "shard": shard,
            "private_channels": [],
            "relationships": [],
        }
