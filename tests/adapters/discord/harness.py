"""Everything the Discord tests know about discord.py's internals and Discord's wire format.

A fake Discord REST API (aiohttp on 127.0.0.1) records every call; interactions are injected
with the private `ConnectionState.parse_interaction_create` (`gateway.py` delivers them over a
fake gateway instead, which needs no internals), and `settle()` waits for discord.py's handler
tasks by their names. An upgrade of discord.py that breaks these assumptions fails
`test_harness.py` and `test_gateway.py` first.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any

import discord  # noqa: TID251 - the harness is the one place for discord.py internals
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.discord.bot_client import InfochatClient, use_api_base
from adapters.discord.interactions import CoreProtocol
from bot.clock import Clock
from tests.adapters.discord.payloads import (
    APP_ID,
    BOT_ID,
    CHANNELS,
    GUILD_ID,
    TIMESTAMP,
    message_payload,
    snowflake,
    user,
)

BOT_ROLE_ID = "800000000000000098"  # the bot's managed role, made when it was invited
MODERATOR_ROLE_ID = "800000000000000099"
# @everyone as Discord creates it for a new server, as far as infochat cares.
EVERYONE_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 38)
BOT_PERMISSIONS = 343597435904  # what the README's invite URL asks for


def role(role_id: str, name: str, permissions: int, *, managed: bool = False) -> dict[str, Any]:
    """A role as `GET /guilds/{id}/roles` shows it."""
    payload: dict[str, Any] = {
        "id": role_id,
        "name": name,
        "permissions": str(permissions),
        "position": 0 if role_id == GUILD_ID else 1,
        "color": 0,
        "hoist": False,
        "managed": managed,
        "mentionable": False,
        "flags": 0,
    }
    if managed:
        payload["tags"] = {"bot_id": BOT_ID}
    return payload


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    # Exactly `application/json`: discord.py parses nothing else (no `; charset=utf-8`).
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


@dataclass
class Call:
    method: str
    path: str
    body: Any
    files: list[str] = field(default_factory=list)


@dataclass
class Failure:
    method: str
    pattern: str
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int


class FakeDiscord:
    """Discord's REST API as far as infochat uses it; `calls` holds every request."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self.dm_channels: dict[str, str] = {}  # user id → DM channel id
        self.gateway_url = "ws://127.0.0.1:9/"  # set by a fake gateway (gateway.py)
        self.answered: set[str] = set()  # interactions that had their one initial response
        # Messages created with `enforce_nonce`, by nonce: Discord answers a repeated nonce
        # with the message already created (for a few minutes; here, always).
        self.nonces: dict[str, dict[str, Any]] = {}
        # The server as `GET /guilds/{id}`, `/roles`, `/channels` and `/members/{bot}` show
        # it: the roles with their permissions, the bot's roles, the channels' overwrites.
        self.owner_id = "1"
        self.roles: list[dict[str, Any]] = [
            role(GUILD_ID, "@everyone", EVERYONE_PERMISSIONS),
            role(BOT_ROLE_ID, "infochat", BOT_PERMISSIONS, managed=True),
            role(MODERATOR_ROLE_ID, "Moderator", 0),
        ]
        self.bot_roles: list[str] = [BOT_ROLE_ID]
        self.channels: dict[str, str] = dict(CHANNELS)  # name → id
        self.overwrites: dict[str, list[dict[str, Any]]] = {}  # channel name → overwrites
        self._changed = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)
        self.server = TestServer(app, host="127.0.0.1")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/api/v10"

    async def start(self) -> None:
        await self.server.start_server()
        use_api_base(self.base)

    async def close(self) -> None:
        await self.server.close()

    def fail(
        self,
        method: str,
        pattern: str,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        self.failures.append(Failure(method, pattern, status, body, headers or {}, times))

    def dms(self, user_id: str) -> list[dict[str, Any]]:
        """Bodies of the messages sent to a member's DMs."""
        channel = self.dm_channels.get(user_id)
        return [c.body for c in self.find("POST", f"/channels/{channel}/messages")]

    def find(self, method: str, pattern: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and re.fullmatch(pattern, c.path)]

    async def wait_for(
        self, method: str, pattern: str, count: int = 1, within: float = 5.0
    ) -> list[Call]:
        async def until() -> list[Call]:
            while len(found := self.find(method, pattern)) < count:
                self._changed.clear()
                await self._changed.wait()
            return found

        return await asyncio.wait_for(until(), within)

    async def _handle(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body, files = await _read_body(request)
        self.calls.append(Call(request.method, path, body, files))
        self._changed.set()
        for failure in self.failures:
            if (
                failure.times
                and request.method == failure.method
                and re.fullmatch(failure.pattern, path)
            ):
                failure.times -= 1
                return json_response(failure.body, failure.status, failure.headers)
        return self._answer(request.method, path, body)

    def _answer(self, method: str, path: str, body: Any) -> web.Response:
        if path == "/users/@me":
            return json_response(user(BOT_ID, "infochat"))
        if path in ("/gateway", "/gateway/bot"):
            limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
            return json_response(
                {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}
            )
        if path == "/oauth2/applications/@me":
            return json_response(
                {
                    "id": APP_ID,
                    "name": "infochat",
                    "description": "",
                    "icon": None,
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "owner": user("1", "owner"),
                    "verify_key": "",
                    "flags": 0,
                }
            )
        if method == "PUT" and path.endswith("/commands"):
            return json_response(
                [{**c, "id": snowflake(), "application_id": APP_ID, "version": "1"} for c in body]
            )
        if m := re.fullmatch(r"/interactions/(\d+)/[^/]+/callback", path):
            if m[1] in self.answered:  # Discord takes one initial response per interaction
                refused = {"message": "Interaction has already been acknowledged.", "code": 40060}
                return json_response(refused, 400)
            self.answered.add(m[1])
            return json_response({"interaction": {"id": m[1], "type": 2}})
        if re.fullmatch(rf"/webhooks/{APP_ID}/[^/]+(/messages/@original)?", path):
            return json_response(message_payload(CHANNELS["introductions"], body or {}))
        if path == "/users/@me/channels":
            recipient = str(body["recipient_id"])
            channel_id = self.dm_channels.setdefault(recipient, snowflake())
            return json_response(
                {"id": channel_id, "type": 1, "recipients": [user(recipient, "member")]}
            )
        if m := re.fullmatch(r"/channels/(\d+)/messages(/\d+)?", path):
            nonce = (body or {}).get("nonce") if body and body.get("enforce_nonce") else None
            if method == "POST" and nonce in self.nonces:
                return json_response(self.nonces[str(nonce)])
            created = message_payload(m[1], body or {})
            if method == "POST" and nonce:
                self.nonces[str(nonce)] = created
            return json_response(created)
        if path == f"/guilds/{GUILD_ID}":
            return json_response(
                {
                    "id": GUILD_ID,
                    "name": "Test guild",
                    "roles": self.roles,
                    "emojis": [],
                    "stickers": [],
                    "features": [],
                    "owner_id": self.owner_id,
                }
            )
        if path == f"/guilds/{GUILD_ID}/channels":
            return json_response(
                [
                    {
                        "id": cid,
                        "type": 0,
                        "name": name,
                        "guild_id": GUILD_ID,
                        "position": i,
                        "permission_overwrites": self.overwrites.get(name, []),
                    }
                    for i, (name, cid) in enumerate(self.channels.items())
                ]
            )
        if path == f"/guilds/{GUILD_ID}/roles":
            return json_response(self.roles)
        if path == f"/guilds/{GUILD_ID}/members/{BOT_ID}":
            return json_response(
                {
                    "user": user(BOT_ID, "infochat"),
                    "roles": self.bot_roles,
                    "joined_at": TIMESTAMP,
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                }
            )
        if path == "/users/@me/guilds":
            guild = {"id": GUILD_ID, "name": "Test guild", "icon": None, "owner": False}
            return json_response([{**guild, "permissions": str(BOT_PERMISSIONS)}])
        if (m := re.fullmatch(r"/guilds/(\d+)(/.*)?", path)) and m[1] != GUILD_ID:
            # A server the bot isn't in: Discord says no more than that.
            return json_response({"message": "Missing Access", "code": 50001}, 403)
        if m := re.fullmatch(r"/channels/(\d+)/threads", path):
            return json_response(
                {
                    "id": snowflake(),
                    "type": 12,
                    "guild_id": GUILD_ID,
                    "parent_id": m[1],
                    "name": body.get("name", ""),
                    "owner_id": BOT_ID,
                    "message_count": 0,
                    "member_count": 0,
                    "thread_metadata": {
                        "archived": False,
                        "auto_archive_duration": 1440,
                        "archive_timestamp": TIMESTAMP,
                        "locked": False,
                    },
                }
            )
        if "/thread-members/" in path:
            return web.Response(status=204)
        return json_response({"message": f"fake: no route {method} {path}", "code": 0}, 404)


async def _read_body(request: web.Request) -> tuple[Any, list[str]]:
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        files = [
            f.filename for k, f in form.items() if k.startswith("files[") and hasattr(f, "filename")
        ]
        payload = form.get("payload_json")
        return (json.loads(str(payload)) if payload else None), files
    raw = await request.read()
    return (json.loads(raw) if raw else None), []


async def connect(
    core: CoreProtocol, *, moderator_role: str = "Moderator", clock: Clock | None = None
) -> InfochatClient:
    """A logged-in client (the fake answers login and command sync), not on the gateway."""
    client = InfochatClient(
        core, moderator_role=moderator_role, guild_id=int(GUILD_ID), clock=clock
    )
    await client.login("fake-token")
    return client


def inject(client: discord.Client, payload: dict[str, Any]) -> None:
    """Deliver an INTERACTION_CREATE as the gateway would (private discord.py API)."""
    client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]


# discord.py's names for the tasks that handle one interaction (commands, buttons, modals,
# the `on_interaction` event).
_HANDLER_TASKS = ("CommandTree-invoker", "discord-ui-", "discord.py: on_interaction")


async def settle(within: float = 5.0) -> None:
    """Wait until every interaction handler has finished (its follow-ups are sent)."""

    async def until_idle() -> None:
        while True:
            pending = [
                t
                for t in asyncio.all_tasks()
                if t is not asyncio.current_task()
                and not t.done()
                and t.get_name().startswith(_HANDLER_TASKS)
            ]
            if not pending:
                return
            await asyncio.wait(pending)

    await asyncio.wait_for(until_idle(), within)


def discordpy_permissions(
    guild: dict[str, Any],
    roles: list[dict[str, Any]],
    channel: dict[str, Any],
    member: dict[str, Any],
    *,
    in_thread: bool = False,
) -> int:
    """What discord.py's own arithmetic (`TextChannel.permissions_for`, or a private thread's
    in that channel) makes of the same REST payloads: the yardstick for
    `adapters/discord/permissions.py`. Builds its objects on a client's state, unconnected."""
    state = discord.Client(intents=discord.Intents(guilds=True))._connection
    thread = {
        "id": "1",
        "type": 12,
        "guild_id": guild["id"],
        "parent_id": channel["id"],
        "name": "thread",
        "owner_id": BOT_ID,
        "message_count": 0,
        "member_count": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 60,
            "archive_timestamp": TIMESTAMP,
            "locked": False,
        },
    }
    data = {
        "features": [],
        "emojis": [],
        "stickers": [],
        **guild,
        "roles": roles,
        "channels": [channel],
        "threads": [thread],
    }
    built = discord.Guild(data=data, state=state)  # type: ignore[arg-type]
    who = discord.Member(
        data={"joined_at": TIMESTAMP, "deaf": False, "mute": False, "flags": 0, **member},  # type: ignore[typeddict-item]
        guild=built,
        state=state,
    )
    target: Any = built.get_thread(1) if in_thread else built.get_channel(int(channel["id"]))
    return int(target.permissions_for(who).value)
