"""`infochat run` with Slack (HTTP mode) and Discord settings: both platforms in one process
against the local fakes, each message through its own platform, one platform's failure
retried with backoff while the other serves."""

from __future__ import annotations

import asyncio
import json
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa

pytest.importorskip("discord")
pytest.importorskip("slack_bolt")


from adapters.discord import replies
from adapters.runtime import Options, run_platforms
from bot.config import Settings, load_settings
from bot.outbox import enqueue
from bot.storage.database import Database
from bot.storage.schema import communities
from bot.views import Destination, Message
from tests.adapters.discord.payloads import GUILD_ID, slash
from tests.adapters.discord.session import CALLBACK, USERS
from tests.adapters.runtime_fakes import Fakes, fakes
from tests.adapters.slack.harness import TEAM


@pytest.fixture(autouse=True)
def answer_without_deferring(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in the Discord tests: answer directly, however busy the machine is."""
    monkeypatch.setattr(replies, "DEFER_AFTER", 60.0)


@pytest.fixture
async def both() -> AsyncIterator[Fakes]:
    async with fakes() as running:
        yield running


class Sleeps:
    """The supervisor's backoff, recorded and skipped."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


@contextlib.asynccontextmanager
async def running(settings: Settings, options: Options) -> AsyncIterator[asyncio.Task[int]]:
    options.ready = asyncio.Event()
    options.stop = asyncio.Event()
    options.discord.setdefault("guild_ready_timeout", 0.05)
    task = asyncio.create_task(run_platforms(settings, options))
    try:
        await asyncio.wait_for(options.ready.wait(), 10)
        yield task
    finally:
        options.stop.set()
        assert await asyncio.wait_for(task, 20) == 0


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def until(condition: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Poll a condition of another server (no event to wait on) for up to `within` s."""

    async def poll() -> None:
        while True:
            if await condition():
                return
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), within)


async def ready(fakes: Fakes) -> bool:
    status, _ = await get(f"http://127.0.0.1:{fakes.ops_port}/readyz")
    return status == 200


async def community_id(db: Database, platform: str, external_id: str) -> int:
    async with db.transaction() as conn:
        return int(
            (
                await conn.execute(
                    sa.select(communities.c.id).where(
                        communities.c.platform == platform,
                        communities.c.external_id == external_id,
                    )
                )
            ).scalar_one()
        )


async def test_slack_and_discord_serve_at_once_and_each_message_goes_through_its_platform(
    both: Fakes, tmp_path: Path
) -> None:
    settings = load_settings(**both.settings(tmp_path))
    assert settings.platforms == ("slack", "discord")
    options = Options()
    async with running(settings, options):
        await until(lambda: ready(both))  # both platforms connected
        assert await both.command("USAM", "help", "t1") == 200
        (answer,) = await both.slack.wait_for("response")
        assert "help" in str(answer.params).lower()

        await both.gateway.push("INTERACTION_CREATE", slash(USERS["sam"], "sam", "help"))
        (callback,) = await both.discord.wait_for("POST", CALLBACK.format(id=r"\d+"))
        assert callback.body["type"] == 4

        (shared,) = options.services
        now = datetime.now(UTC)
        slack_id = await community_id(shared.db, "slack", TEAM)
        discord_id = await community_id(shared.db, "discord", GUILD_ID)
        async with shared.db.transaction() as conn:
            member = Destination(kind="member", user_ids=("USAM",))
            await enqueue(conn, slack_id, member, Message(text="Hello from Slack"), now)
            member = Destination(kind="member", user_ids=(USERS["sam"],))
            await enqueue(conn, discord_id, member, Message(text="Hello from Discord"), now)
        assert await both.command("UANA", "help", "t2") == 200  # its commit wakes the worker
        (posted,) = await both.slack.wait_for("chat.postMessage")
        assert "Hello from Slack" in str(posted.params)
        sent = await both.discord.wait_for("POST", r"/channels/\d+/messages")
        (message,) = sent
        assert "Hello from Discord" in json.dumps(message.body)
        assert "Hello from Discord" not in str([c.params for c in both.slack.calls])
