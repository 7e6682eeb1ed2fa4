"""Exactly-once in effect on Slack: each message carries its outbox row in its metadata, and
a row retried after an unknown outcome (a crash after Slack accepted it, a lease that lapsed
during a slow send) is looked for in the conversation before it is sent again."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from adapters.slack.app import web_client
from adapters.slack.transport import EVENT_TYPE, HISTORY_LIMIT, SlackTransport
from bot.outbox import DeliveryWorker, RetryPolicy, enqueue
from bot.storage.database import Database, sqlite_url
from bot.storage.schema import outbox
from bot.views import Destination, Message
from tests.adapters.slack.harness import Slack
from tests.delivery import AcceptedThenStuck, never

HELLO = Message(text="Hello", title="Hi")
TO_SAM = Destination(kind="member", user_ids=("USAM",))
TO_MODS = Destination(kind="channel", channel="moderators")


def transport(slack: Slack) -> SlackTransport:
    """A transport of its own, as in another process: no memory of what was sent."""
    return SlackTransport(web_client("xoxb-test", f"{slack.fake.url}api/"))


async def queue(slack: Slack, destination: Destination) -> int:
    await slack.setup("USAM", "help")  # the community exists
    async with slack.core.db.transaction() as conn:
        await enqueue(conn, 1, destination, HELLO, slack.clock.now())
        return int((await conn.execute(sa.select(sa.func.max(outbox.c.id)))).scalar_one())


async def statuses(slack: Slack) -> list[str]:
    async with slack.core.db.transaction() as conn:
        return list((await conn.execute(sa.select(outbox.c.status))).scalars())


def posts(slack: Slack) -> list[dict[str, object]]:
    return [c.params for c in slack.fake.of("chat.postMessage")]


async def test_each_message_carries_its_row_and_a_first_attempt_reads_no_history(
    slack: Slack,
) -> None:
    row = await queue(slack, TO_SAM)
    assert await slack.worker.drain() == 1
    [post] = posts(slack)
    assert post["metadata"] == {"event_type": EVENT_TYPE, "event_payload": {"delivery_id": row}}
    assert not slack.fake.of("conversations.history")


@pytest.mark.parametrize(("destination", "conversation"), [(TO_SAM, "DUSAM"), (TO_MODS, "C0MODS")])
async def test_a_crash_after_slack_accepted_the_message_sends_nothing_twice(
    slack: Slack, tmp_path: Path, destination: Destination, conversation: str
) -> None:
    await queue(slack, destination)
    killed = AcceptedThenStuck(transport(slack))  # never released: the process died
    dead = asyncio.create_task(
        DeliveryWorker(slack.core.db, killed, slack.clock, heartbeat=never).drain()
    )
    await killed.accepted.wait()
    assert len(posts(slack)) == 1

    # The restarted process, once the dead one's lease has lapsed.
    db = Database(sqlite_url(tmp_path / "slack.db"))
    try:
        slack.clock.advance(RetryPolicy().lease + timedelta(seconds=1))
        assert await DeliveryWorker(db, transport(slack), slack.clock).drain() == 1
    finally:
        await db.dispose()
        dead.cancel()
    assert len(posts(slack)) == 1
    [look] = slack.fake.of("conversations.history")
    assert look.params["channel"] == conversation
    assert int(look.params["limit"]) == HISTORY_LIMIT
    assert look.params["include_all_metadata"] in ("1", "true", True)
    assert await statuses(slack) == ["sent"]


async def test_a_lease_that_lapses_during_a_slow_send_sends_nothing_twice(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    await queue(slack, TO_SAM)
    slow = AcceptedThenStuck(transport(slack))
    first = asyncio.create_task(
        DeliveryWorker(slack.core.db, slow, slack.clock, heartbeat=never).drain()
    )
    await slow.accepted.wait()  # Slack has it; the answer is slow to come back

    slack.clock.advance(RetryPolicy().lease + timedelta(seconds=1))
    with caplog.at_level(logging.WARNING):
        assert await DeliveryWorker(slack.core.db, transport(slack), slack.clock).drain() == 1
    slow.release.set()
    assert await first == 0  # its outcome is no longer its own to record
    assert len(posts(slack)) == 1
    assert "already in DUSAM" in caplog.text
    assert await statuses(slack) == ["sent"]


async def test_a_doubted_row_that_never_reached_slack_is_sent(slack: Slack) -> None:
    await queue(slack, TO_SAM)
    await began_earlier(slack)  # ...and the process died before Slack saw anything
    assert await DeliveryWorker(slack.core.db, transport(slack), slack.clock).drain() == 1
    assert len(slack.fake.of("conversations.history")) == 1
    assert len(posts(slack)) == 1


async def test_a_rate_limited_look_keeps_the_row_in_doubt(slack: Slack) -> None:
    await queue(slack, TO_SAM)
    await began_earlier(slack)
    slack.fake.fail("conversations.history", 429, {"Retry-After": "20"}, ok=False)
    worker = DeliveryWorker(slack.core.db, transport(slack), slack.clock)
    assert await worker.drain() == 0
    assert not posts(slack)
    slack.clock.advance(timedelta(seconds=20))
    assert await worker.drain() == 1
    assert len(slack.fake.of("conversations.history")) == 2  # looked again before sending
    assert len(posts(slack)) == 1


async def began_earlier(slack: Slack) -> None:
    """An earlier attempt's send began and its outcome was never recorded."""
    async with slack.core.db.transaction() as conn:
        await conn.execute(sa.update(outbox).values(started_at=slack.clock.now()))


async def test_a_server_error_leaves_the_retry_in_doubt_and_a_429_does_not(slack: Slack) -> None:
    await queue(slack, TO_SAM)
    slack.fake.fail("chat.postMessage", 500, ok=False, error="internal_error")
    worker = DeliveryWorker(slack.core.db, transport(slack), slack.clock)
    assert await worker.drain() == 0
    slack.clock.advance(timedelta(minutes=1))
    assert await worker.drain() == 1
    assert len(slack.fake.of("conversations.history")) == 1  # it may have been posted

    await queue(slack, TO_SAM)
    slack.fake.fail("chat.postMessage", 429, {"Retry-After": "1"}, ok=False, error="ratelimited")
    assert await worker.drain() == 0
    slack.clock.advance(timedelta(minutes=1))
    assert await worker.drain() == 1
    assert len(slack.fake.of("conversations.history")) == 1  # Slack said no: nothing to look for
