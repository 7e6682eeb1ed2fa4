"""Over a fake gateway: HELLO, IDENTIFY (minimal intents, the configured shard), READY and
GUILD_CREATE, then interactions pushed over the websocket reach the core and are answered;
moderators are recognised by the role in the guild the gateway described."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.bot_client import (
    InfochatClient,
    ShardedInfochatClient,
    make_client,
    run_discord,
)
from bot.config import load_settings
from tests.adapters.discord.gateway import MODERATOR_ROLE_ID, FakeGateway
from tests.adapters.discord.harness import FakeDiscord
from tests.adapters.discord.payloads import GUILD_ID, slash
from tests.adapters.discord.session import CALLBACK, USERS
from tests.support import World, count

Online = Callable[[InfochatClient], Awaitable[InfochatClient]]


@pytest.fixture
async def gateway(fake: FakeDiscord) -> AsyncIterator[FakeGateway]:
    server = FakeGateway()
    await server.start()
    fake.gateway_url = server.url
    yield server
    await server.close()


@pytest.fixture
async def online(gateway: FakeGateway) -> AsyncIterator[Online]:
    """Starts a client on the fake gateway (login, command sync, connect) until READY."""
    started: list[tuple[InfochatClient, asyncio.Task[None]]] = []

    async def start(client: InfochatClient) -> InfochatClient:
        started.append((client, asyncio.create_task(client.start("fake-token"))))
        await gateway.ready()
        await asyncio.wait_for(client.wait_until_ready(), 5)
        return client

    yield start
    for client, task in started:
        await client.close()
        await asyncio.wait_for(task, 5)


async def answer(fake: FakeDiscord, gateway: FakeGateway, payload: dict[str, Any]) -> Any:
    await gateway.push("INTERACTION_CREATE", payload)
    (callback,) = await fake.wait_for("POST", CALLBACK.format(id=payload["id"]))
    return callback.body


async def test_an_interaction_over_the_gateway_reaches_the_core_and_is_answered(
    fake: FakeDiscord, gateway: FakeGateway, online: Online, world: World
) -> None:
    client = await online(
        InfochatClient(world.app, guild_id=int(GUILD_ID), guild_ready_timeout=0.05)
    )
    (identify,) = gateway.identify
    assert identify["token"] == "fake-token"
    assert identify["intents"] == 1  # GUILDS only: nothing privileged
    assert client.get_guild(int(GUILD_ID)) is not None  # GUILD_CREATE was read
    body = await answer(fake, gateway, slash(USERS["sam"], "sam", "help"))
    assert body["type"] == 4 and body["data"]["flags"] & 64
    assert "request" in json.dumps(body["data"]["embeds"]).lower()


async def test_the_moderator_role_counts_and_anyone_else_changes_nothing(
    fake: FakeDiscord, gateway: FakeGateway, online: Online, world: World
) -> None:
    await online(InfochatClient(world.app, guild_id=int(GUILD_ID), guild_ready_timeout=0.05))
    change = {"fields": "approval_required=true"}
    refused = await answer(fake, gateway, slash(USERS["sam"], "sam", "mod", "settings", **change))
    assert "moderator" in json.dumps(refused).lower()
    assert await count(world, "audit_log") == 0
    mo = slash(USERS["bob"], "bob", "mod", "settings", roles=(MODERATOR_ROLE_ID,), **change)
    allowed = await answer(fake, gateway, mo)
    assert "moderator" not in json.dumps(allowed).lower()
    assert await count(world, "audit_log") == 1


async def test_a_process_runs_the_shards_it_is_given(
    fake: FakeDiscord, gateway: FakeGateway, online: Online, world: World
) -> None:
    configured = load_settings(
        discord_guild_id=int(GUILD_ID), discord_shard_count=2, discord_shard_ids=[1]
    )
    client = make_client(world.app, configured, world.clock, guild_ready_timeout=0.05)
    assert isinstance(client, ShardedInfochatClient)
    await online(client)
    assert [i["shard"] for i in gateway.identify] == [[1, 2]]
    body = await answer(fake, gateway, slash(USERS["sam"], "sam", "help"))
    assert body["type"] == 4


async def test_run_discord_connects_and_answers_until_stopped(
    fake: FakeDiscord, gateway: FakeGateway, tmp_path: Path
) -> None:
    """What `infochat run` does with a Discord token: migrate, log in, sync, connect."""
    settings = load_settings(
        data_dir=tmp_path,
        discord_token="fake-token",
        discord_api_base=fake.base,
        discord_guild_id=int(GUILD_ID),
    )
    running = asyncio.create_task(run_discord(settings))
    try:
        await gateway.ready()
        assert await fake.wait_for("PUT", rf"/applications/\d+/guilds/{GUILD_ID}/commands")
        body = await answer(fake, gateway, slash(USERS["sam"], "sam", "status"))
        assert body["type"] == 4 and body["data"]["flags"] & 64
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(running, 5)


async def test_a_session_discord_invalidates_reconnects_to_the_configured_gateway(
    fake: FakeDiscord,
    gateway: FakeGateway,
    online: Online,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """discord.py falls back to its built-in address (Discord's own gateway) after an
    INVALID_SESSION; the bot must stay on the gateway its API named."""

    async def at_once(self: InfochatClient, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py's documented hook waits 5 s before identifying again."""

    monkeypatch.setattr(InfochatClient, "before_identify_hook", at_once)
    gateway.invalidate = 1
    configured = load_settings(discord_guild_id=int(GUILD_ID), discord_shard_count=1)
    await online(make_client(world.app, configured, world.clock, guild_ready_timeout=0.05))
    assert len(gateway.identify) == 2  # the second IDENTIFY reached this same fake
    body = await answer(fake, gateway, slash(USERS["sam"], "sam", "help"))
    assert body["type"] == 4


async def test_a_configured_gateway_url_is_dialled_without_asking_the_api(
    fake: FakeDiscord, gateway: FakeGateway, online: Online, world: World
) -> None:
    own = gateway.url
    fake.gateway_url = "ws://127.0.0.1:9/"  # what the API would name: not to be used
    configured = load_settings(discord_guild_id=int(GUILD_ID), discord_gateway_url=own)
    await online(make_client(world.app, configured, world.clock, guild_ready_timeout=0.05))
    assert len(gateway.identify) == 1
    assert not fake.find("GET", "/gateway/bot")
