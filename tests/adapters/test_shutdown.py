"""SIGTERM to a real `infochat run` (Slack in HTTP mode and Discord, against the fakes in
this process) in the middle of work: commands acknowledged, deliveries in flight on a slow
Slack. It exits 0; every acknowledged command has its effect; every outbox message is sent
or still pending (none lost, none failed)."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa

pytest.importorskip("discord")
pytest.importorskip("slack_bolt")

from bot.outbox import enqueue
from bot.storage.database import Database, sqlite_url
from bot.storage.schema import communities, outbox, processed_commands
from bot.views import Destination, Message
from tests.adapters.discord.payloads import GUILD_ID, slash
from tests.adapters.discord.session import CALLBACK, USERS
from tests.adapters.process import Process, environment, infochat_run
from tests.adapters.runtime_fakes import Fakes, fakes, free_port
from tests.adapters.slack.harness import TEAM

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def both() -> AsyncIterator[Fakes]:
    async with fakes() as running:
        yield running


async def readyz(port: int) -> int:
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/readyz") as response,
        ):
            return response.status
    except aiohttp.ClientError:
        return 0


async def wait_ready(port: int, bot: Process, within: float) -> None:
    """Poll the subprocess's /readyz (a subprocess: nothing to wait on but its answers)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while await readyz(port) != 200:
        assert bot.process.returncode is None, f"infochat run exited early:\n{bot.output}"
        assert loop.time() < deadline, "infochat run wasn't ready in time"
        await asyncio.sleep(0.1)


async def stop(bot: Process) -> str:
    """SIGTERM, then its log once it has exited."""
    bot.process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(bot.process.wait(), 60)
    return bot.output


async def enqueue_for(db: Database, platform: str, external_id: str, users: list[str]) -> None:
    async with db.transaction() as conn:
        community = (
            await conn.execute(
                sa.select(communities.c.id).where(
                    communities.c.platform == platform, communities.c.external_id == external_id
                )
            )
        ).scalar_one()
        now = datetime.now(UTC)
        for i, user in enumerate(users):
            member = Destination(kind="member", user_ids=(user,))
            await enqueue(conn, community, member, Message(text=f"news {i} for {user}"), now)


@pytest.mark.parametrize(("grace", "all_sent"), [("10", True), ("0.5", False)])
async def test_sigterm_in_the_middle_of_work_loses_nothing_and_exits_0(
    both: Fakes, tmp_path: Path, grace: str, all_sent: bool
) -> None:
    """With 10 s of grace the 10 messages (0.4 s each on the slow Slack) are all sent before
    it exits; with 0.5 s the rest stays pending for the next start."""
    env = environment(tmp_path / "data") | both.env(tmp_path / "data")
    env["INFOCHAT_LOG_LEVEL"] = "WARNING"
    env["INFOCHAT_SHUTDOWN_GRACE"] = grace
    both.slack.delays["chat.postMessage"] = 0.4  # a slow Slack: deliveries stay in flight
    db = Database(sqlite_url(tmp_path / "data" / "infochat.db"))
    async with infochat_run(ROOT, env) as bot:
        await wait_ready(both.ops_port, bot, 60)
        # Both communities exist once someone used the bot on each platform.
        assert await both.command("USAM", "help", "t0") == 200
        await both.slack.wait_for("response", within=10)  # handled after the ack
        await both.gateway.push("INTERACTION_CREATE", slash(USERS["sam"], "sam", "help"))
        await both.discord.wait_for("POST", CALLBACK.format(id=r"\d+"), within=10)
        slack_users = [f"UM{i}" for i in range(8)]
        await enqueue_for(db, "slack", TEAM, slack_users)
        await enqueue_for(db, "discord", GUILD_ID, [USERS["priya"], USERS["bob"]])

        # Commands, each acknowledged; their commits wake the worker.
        acked = [
            user
            for user, status in zip(
                slack_users,
                await asyncio.gather(
                    *(both.command(user, "status", f"s{user}") for user in slack_users)
                ),
                strict=True,
            )
            if status == 200
        ]
        assert acked == slack_users
        await both.slack.wait_for("chat.postMessage", within=10)  # deliveries under way
        log = await stop(bot)
    assert bot.process.returncode == 0, log
    assert "infochat: stopping" in log and "infochat: stopped" in log
    assert "xoxb-fake-runtime-token" not in log and "fake-discord-runtime-token" not in log

    try:
        async with db.read() as conn:
            done = set(
                (
                    await conn.execute(
                        sa.select(processed_commands.c.user_id).where(
                            processed_commands.c.user_id.in_(acked)
                        )
                    )
                ).scalars()
            )
            rows = (await conn.execute(sa.select(outbox.c.id, outbox.c.status))).all()
    finally:
        await db.dispose()
    assert done == set(acked)  # every acknowledged command has its effect
    statuses = {status for _, status in rows}
    assert statuses <= {"sent", "pending"}, rows  # none failed
    assert ("pending" not in statuses) is all_sent
    assert len(rows) >= 10
    sent = {row_id for row_id, status in rows if status == "sent"}
    reached = set()
    for call in both.slack.of("chat.postMessage"):
        metadata = call.params.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if metadata:
            reached.add(int(metadata["event_payload"]["delivery_id"]))
    slack_sent = {row_id for row_id in sent if row_id in reached}
    assert slack_sent, "some deliveries finished before the stop"
    # Every message marked sent reached its platform (Slack's carry their row id).
    discord_posts = len(both.discord.find("POST", r"/channels/\d+/messages"))
    assert len(sent - reached) <= discord_posts


async def test_the_console_answers_health_probes_and_exits_0_on_sigterm(tmp_path: Path) -> None:
    """The console waits for a line (its reads block its event loop); the operations server
    answers all the same, and SIGTERM ends it with status 0."""
    port = free_port()
    env = environment(tmp_path / "data", ops_address=f"127.0.0.1:{port}")
    async with infochat_run(ROOT, env, stdin=asyncio.subprocess.PIPE) as console:
        await wait_ready(port, console, 60)
        log = await stop(console)
    assert console.process.returncode == 0, log
