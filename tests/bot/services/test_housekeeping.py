"""Daily housekeeping drops cached replies and finished deliveries after 30 days, nothing else."""

from __future__ import annotations

from datetime import timedelta

from tests.bot.services.test_asks import ask_priya
from tests.support import World, count, replay_of


async def test_old_cached_replies_and_sent_messages_are_dropped_after_30_days(
    world: World,
) -> None:
    await ask_priya(world)
    replies, sent = await count(world, "processed_commands"), await count(world, "outbox")
    assert replies > 0 and sent > 0
    await world.travel(timedelta(days=2))
    assert await count(world, "processed_commands") == replies  # still within 30 days
    recent = await world.say("sam", "/infochat status", key="recent")

    await world.travel(timedelta(days=29))
    # Only what is older than 30 days went; today's reply still answers its key.
    assert await count(world, "processed_commands") == 1
    assert replay_of(await world.say("sam", "/infochat status", key="recent"), recent)
    assert await count(world, "outbox", status="pending") == 0
    assert await count(world, "requests") == 1 and await count(world, "asks") >= 1
    await world.app.job_runner().run_due()  # the next round schedules the next day's
    assert await count(world, "jobs", kind="housekeeping", status="pending") == 1
