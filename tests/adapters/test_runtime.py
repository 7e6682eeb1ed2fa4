"""`infochat run` with Slack (HTTP mode) and Discord settings: both platforms in one process
against the local fakes, each message through its own platform, one platform's failure
retried with backoff while the other serves."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa

pytest.importorskip("discord")
pytest.importorskip("slack_bolt")


from prometheus_client.parser import text_string_to_metric_families

from adapters.discord import replies
from adapters.runtime import Options, run_platforms
from bot.config import Settings, load_settings
from bot.outbox import enqueue
from bot.storage.database import Database
from bot.storage.schema import communities, outbox
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
    """The supervisor's backoff: each delay recorded, then held until `release` is set."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.release = asyncio.Event()
        self.changed = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.changed.set()
        await self.release.wait()


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


async def platform_up(fakes: Fakes, name: str) -> bool:
    _, body = await get(f"http://127.0.0.1:{fakes.ops_port}/readyz")
    return bool(json.loads(body)[f"platform:{name}"]["ok"])


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

        # Each community's first-meeting checklist carries its own platform's checks, as
        # `/infochat mod setup` does.
        async def checklists() -> dict[int, str]:
            async with shared.db.read() as conn:
                rows = await conn.execute(sa.select(outbox.c.community_id, outbox.c.message))
                found: dict[int, str] = {}
                for row in rows:
                    if (row.message.get("title") or "").startswith("On "):
                        found[row.community_id] = row.message["text"]
                return found

        await shared.core.job_runner().run_due()  # what the runner's next poll does
        await until(lambda: _both_in(checklists(), {slack_id, discord_id}))
        lines = await checklists()
        assert "#moderators exists and the app is in it" in lines[slack_id]
        assert "the moderator role" in lines[discord_id]

        status, text = await get(f"http://127.0.0.1:{both.ops_port}/metrics")
        assert status == 200
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }
        helped = samples[("infochat_commands_total", (("action", "help"), ("outcome", "ok")))]
        assert helped == 3
        for platform in ("slack", "discord"):
            key = ("infochat_deliveries_total", (("outcome", "sent"), ("platform", platform)))
            assert samples[key] >= 1


async def _both_in(found: Awaitable[dict[int, str]], wanted: set[int]) -> bool:
    return wanted <= (await found).keys()


async def test_a_refused_discord_token_is_retried_with_backoff_while_slack_serves(
    both: Fakes, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    refused = {"message": "401: Unauthorized", "code": 0}
    both.discord.fail("GET", "/users/@me", 401, refused, times=2)
    settings = load_settings(**both.settings(tmp_path))
    sleeps = Sleeps()
    options = Options(sleep=sleeps)
    async with running(settings, options):
        await asyncio.wait_for(sleeps.changed.wait(), 10)  # Discord failed once, waits
        await until(lambda: platform_up(both, "slack"))
        assert await both.command("USAM", "help", "t1") == 200  # Slack serves meanwhile
        (answer,) = await both.slack.wait_for("response")
        assert "help" in str(answer.params).lower()
        status, body = await get(f"http://127.0.0.1:{both.ops_port}/readyz")
        readiness = json.loads(body)
        assert status == 503 and readiness["failed"] == ["platform:discord"]
        assert "refused the token" in readiness["platform:discord"]["error"]
        assert readiness["platform:slack"]["ok"]

        sleeps.release.set()  # the second attempt is refused too, the third connects
        await until(lambda: ready(both))
        assert len(sleeps.delays) == 2
        first, second = sleeps.delays
        assert 0.8 <= first <= 1.0 and 1.6 <= second <= 2.0  # 1 s doubling, jittered down
        assert len(both.discord.find("GET", "/users/@me")) == 3

        status, text = await get(f"http://127.0.0.1:{both.ops_port}/metrics")
        samples = {
            (s.name, s.labels.get("platform")): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }
        assert samples[("infochat_platform_connected", "discord")] == 1
        assert samples[("infochat_platform_reconnects_total", "discord")] == 1
        assert samples[("infochat_platform_connected", "slack")] == 1
    failures = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(failures) == 2
    assert failures[0].startswith("discord: not connected (DiscordStartError: Discord refused")
    assert "fake-discord-runtime-token" not in caplog.text


async def test_slack_refusing_the_token_is_retried_and_discord_is_not_held_up(
    both: Fakes, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    both.slack.fail("auth.test", ok=False, error="invalid_auth")
    settings = load_settings(**both.settings(tmp_path))
    sleeps = Sleeps()
    async with running(settings, Options(sleep=sleeps)):
        await asyncio.wait_for(sleeps.changed.wait(), 10)  # Slack refused once, waits
        await until(lambda: platform_up(both, "discord"))
        await both.gateway.push("INTERACTION_CREATE", slash(USERS["sam"], "sam", "help"))
        (callback,) = await both.discord.wait_for("POST", CALLBACK.format(id=r"\d+"))
        assert callback.body["type"] == 4
        sleeps.release.set()
        await until(lambda: ready(both))
        assert await both.command("USAM", "help", "t1") == 200
        await both.slack.wait_for("response")
    (failure,) = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert "slack: not connected (SlackStartError: " in failure and "invalid_auth" in failure
    assert "xoxb-fake-runtime-token" not in caplog.text
