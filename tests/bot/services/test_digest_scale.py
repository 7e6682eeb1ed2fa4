"""Digests, the ledger and the moderators' queue at community scale: the same number of SQL
statements whatever the community's size, bounded lists, and a digest computed beside the
writer so members' commands don't wait for it."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from bot.domain.ledger import fold
from bot.services import digest as digest_service
from bot.storage import ledger as ledger_store
from bot.storage.jobs import schedule_many
from bot.storage.schema import asks, introductions, jobs, members, requests, volunteers
from tests.support import World

DAY = timedelta(days=1)
_ids = itertools.count(1000)


@contextmanager
def statements(world: World) -> Iterator[list[str]]:
    """The SQL statements run while inside."""
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(args[2])

    event.listen(world.db.engine.sync_engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(world.db.engine.sync_engine, "before_cursor_execute", note)


async def grow(world: World, n: int) -> None:
    """Add `n` volunteers, each of whom gave a chat in the last week to a new member (a third
    of them opted into recognition; every other one had been helped by the one before just
    earlier), and `n` open requests on `n` // 3 topics, each waiting for approval."""
    now = world.clock.now()
    ids = [next(_ids) for _ in range(4 * n)]
    givers, seekers = ids[:n], ids[n : 2 * n]
    request_ids, ask_ids = ids[2 * n : 3 * n], ids[3 * n :]
    when = [now - DAY - timedelta(minutes=i) for i in range(n)]

    def member(i: int, public: bool = False) -> dict[str, Any]:
        return {
            "id": i,
            "community_id": 1,
            "place_id": 1,
            "user_id": f"u{i}",
            "display_name": f"Member {i}",
            "public_recognition": public,
            "created_at": now - 90 * DAY,
        }

    def request(i: int, seeker: int, status: str, at: datetime, topic: str) -> dict[str, Any]:
        return {
            "id": i,
            "community_id": 1,
            "seeker_id": seeker,
            "status": status,
            "topic": topic,
            "why": "Seeded at scale.",
            "questions": [],
            "minutes": 15,
            "format": "video",
            "time_frame_days": 14,
            "affiliations": [],
            "warnings": [],
            "created_at": at,
            "submitted_at": at,
        }

    def ask(i: int, request_id: int, volunteer: int, status: str) -> dict[str, Any]:
        return {
            "id": i,
            "request_id": request_id,
            "volunteer_id": volunteer,
            "status": status,
            "reasons": [],
            "created_at": now - 2 * DAY,
        }

    async with world.db.transaction() as conn:
        await conn.execute(
            sa.insert(members),
            [member(g, public=k % 3 == 0) for k, g in enumerate(givers)]
            + [member(s) for s in seekers],
        )
        await conn.execute(
            sa.insert(volunteers),
            [
                {
                    "member_id": g,
                    "community_id": 1,
                    "role": "Engineer",
                    "organisation": "Acme",
                    "topics": ["data engineering"],
                    "affiliations": [],
                    "timezone": "Europe/Berlin" if k % 2 else "America/New_York",
                    "languages": ["English"],
                    "formats": ["video"],
                    "minutes": 30,
                    "monthly_capacity": 4,
                    "windows": [],
                    "active": True,
                    "joined_at": now - 3 * DAY,
                    "updated_at": now - 3 * DAY,
                }
                for k, g in enumerate(givers)
            ],
        )
        # Chats: giver k helped seeker k; giver k was helped by giver k - 1 a minute before.
        done = [(request_ids[k], seekers[k], givers[k], when[k], "completed") for k in range(n)] + [
            (None, givers[k], givers[k - 1], when[k] - timedelta(seconds=30), "")
            for k in range(1, n, 2)
        ]
        rows = [(next(_ids) if r is None else r, s, g, at) for r, s, g, at, _ in done]
        await conn.execute(
            sa.insert(requests),
            [request(r, s, "completed", at - 3 * DAY, "data engineering") for r, s, _, at in rows]
            + [
                request(next(_ids), s, "open", now - DAY, f"topic {k % max(1, n // 3)}")
                for k, s in enumerate(seekers)
            ],
        )
        await conn.execute(sa.insert(asks), [ask(r, r, g, "accepted") for r, _, g, _ in rows])
        await conn.execute(
            sa.insert(introductions),
            [
                {
                    "id": r,
                    "community_id": 1,
                    "request_id": r,
                    "ask_id": r,
                    "seeker_id": s,
                    "volunteer_id": g,
                    "minutes": 15,
                    "status": "completed",
                    "created_at": at - DAY,
                    "seeker_confirmed": True,
                    "completed_at": at,
                }
                for r, s, g, at in rows
            ],
        )
        open_ids = (
            await conn.execute(
                sa.select(requests.c.id)
                .where(requests.c.status == "open", requests.c.seeker_id.in_(seekers))
                .order_by(requests.c.id)
            )
        ).scalars()
        await conn.execute(
            sa.insert(asks),
            [
                ask(a, r, givers[k], "proposed")
                for k, (a, r) in enumerate(zip(ask_ids, open_ids, strict=True))
            ],
        )


@pytest.fixture
async def community(world: World) -> World:
    world.moderators.add("mo")
    assert (await world.say("mo", "/infochat help")).ok
    return world


async def cost(world: World, action: str) -> tuple[int, Any]:
    with statements(world) as seen:
        reply = await world.act("mo", action)
    assert reply.ok, reply.messages
    return len(seen), reply


@pytest.mark.parametrize(
    "action", ["mod.digest", "mod.queue", "mod.ledger", "mod.health", "mod.export"]
)
async def test_the_same_statements_at_any_community_size(community: World, action: str) -> None:
    await grow(community, 4)
    await cost(community, action)  # the first digest keeps the help chains folded
    small, _ = await cost(community, action)
    await grow(community, 60)
    large, _ = await cost(community, action)
    assert small == large


async def test_a_large_digest_names_ten_givers_and_counts_the_rest(community: World) -> None:
    await grow(community, 60)
    _, reply = await cost(community, "mod.digest")
    lines = {line.label: line.value for line in reply.messages[1].lines}
    assert reply.messages[1].text.startswith("90 chats completed this week")
    thanked = lines["Thank you to"]
    named, more = thanked.split(" and ")
    assert len(named.split(", ")) == 10 and more == "50 more"
    paid_forward = lines["Paid it forward (helped, then helped someone)"]
    assert paid_forward.endswith(" and 20 more who prefer to stay unnamed")
    assert len(paid_forward.split(", ")) == 10
    assert lines["Requests waiting"].endswith("and 36 more requests in 12 other topics")
    assert lines["Longest help chain"].startswith("2 chats")


async def test_the_queue_shows_the_oldest_approvals_and_how_many_wait(community: World) -> None:
    await grow(community, 30)
    _, reply = await cost(community, "mod.queue")
    assert len(reply.messages) == 21
    assert [m.buttons[0].target for m in reply.messages[:20]] == sorted(
        (m.buttons[0].target for m in reply.messages[:20]), key=int
    )
    assert "oldest 20 of 30 introductions waiting" in reply.messages[-1].text


async def test_a_member_is_not_blocked_while_a_digest_computes(
    community: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await grow(community, 10)
    started, resume = asyncio.Event(), asyncio.Event()
    compute = digest_service.compute

    async def paused(*args: Any) -> Any:
        started.set()
        await resume.wait()
        return await compute(*args)

    monkeypatch.setattr(digest_service, "compute", paused)
    preview = asyncio.create_task(community.act("mo", "mod.digest"))
    await started.wait()
    # The digest is computing: a member's command (a write) goes through meanwhile.
    other = await asyncio.wait_for(community.say("sam", "/infochat me recognition=on"), 30)
    assert other.ok, other.messages
    assert not preview.done()
    resume.set()
    reply = await preview
    assert reply.ok and "Chats completed" in {line.label for line in reply.messages[1].lines}


async def test_the_weekly_digest_computes_before_it_takes_the_write_lock(
    community: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await grow(community, 10)
    await community.travel(timedelta(0))  # the community's first digest job is scheduled
    started, resume = asyncio.Event(), asyncio.Event()
    compute = digest_service.compute

    async def paused(*args: Any) -> Any:
        started.set()
        await resume.wait()
        return await compute(*args)

    monkeypatch.setattr(digest_service, "compute", paused)
    runner = asyncio.create_task(community.travel(7 * DAY))
    await started.wait()
    other = await asyncio.wait_for(community.say("sam", "/infochat me recognition=on"), 30)
    assert other.ok, other.messages
    resume.set()
    await runner
    (digest,) = community.channel("digest")
    assert digest.title == "This week in Test community"


async def chat(world: World, giver: int, receiver: int, at: datetime, confirmed: datetime) -> None:
    async with world.db.transaction() as conn:
        request_id = next(_ids)
        await conn.execute(
            sa.insert(requests).values(
                id=request_id,
                community_id=1,
                seeker_id=receiver,
                status="completed",
                topic="data engineering",
                why="Seeded.",
                questions=[],
                minutes=15,
                format="video",
                time_frame_days=14,
                affiliations=[],
                warnings=[],
                created_at=at - DAY,
            )
        )
        await conn.execute(
            sa.insert(asks).values(
                id=request_id,
                request_id=request_id,
                volunteer_id=giver,
                status="accepted",
                reasons=[],
                created_at=at - DAY,
            )
        )
        await conn.execute(
            sa.insert(introductions).values(
                id=request_id,
                community_id=1,
                request_id=request_id,
                ask_id=request_id,
                seeker_id=receiver,
                volunteer_id=giver,
                minutes=15,
                status="completed",
                created_at=at - DAY,
                slot_start=at,
                completed_at=confirmed,
            )
        )


async def longest(world: World) -> str:
    _, reply = await cost(world, "mod.digest")
    return {line.label: line.value for line in reply.messages[1].lines}["Longest help chain"]


async def test_help_chains_are_kept_folded_and_fold_again_after_a_late_confirmation(
    community: World,
) -> None:
    await grow(community, 2)
    now = community.clock.now()
    a, b, c, d = (next(_ids) for _ in range(4))
    async with community.db.transaction() as conn:
        await conn.execute(
            sa.insert(members),
            [
                {"id": m, "community_id": 1, "place_id": 1, "user_id": f"u{m}", "display_name": f"M{m}",
                 "created_at": now - 400 * DAY}
                for m in (a, b, c, d)
            ],
        )  # fmt: skip
    # Long ago: a → b → c, a chain of two chats.
    await chat(community, a, b, now - 200 * DAY, now - 200 * DAY)
    await chat(community, b, c, now - 100 * DAY, now - 100 * DAY)
    assert (await longest(community)).startswith("2 chats")
    assert (await longest(community)).startswith("2 chats")  # from the folded chains
    # A chat of long ago, confirmed only now: c → d after b → c makes it three.
    await chat(community, c, d, now - 90 * DAY, now - DAY)
    assert (await longest(community)).startswith("3 chats")
    # And a recent one (since the folded chains): d → a makes it four.
    await chat(community, d, a, now - 2 * DAY, now - 2 * DAY)
    assert (await longest(community)).startswith("4 chats")
    community.clock.advance(30 * DAY)  # the folded chains move on
    assert (await longest(community)).startswith("4 chats")


async def test_thousands_of_weekly_subscribers_are_queued_in_a_few_inserts(
    community: World,
) -> None:
    n = 4_500  # more rows than one statement may carry parameters for
    now = community.clock.now()
    async with community.db.transaction() as conn:
        await conn.execute(
            sa.insert(members),
            [
                {"id": 10**6 + i, "community_id": 1, "place_id": 1, "user_id": f"w{i}",
                 "display_name": f"W{i}", "weekly_digest": True, "created_at": now}
                for i in range(n)
            ],
        )  # fmt: skip
        await conn.execute(
            sa.insert(volunteers),
            [
                {"member_id": 10**6 + i, "community_id": 1, "role": "Engineer",
                 "organisation": "Acme", "topics": ["data engineering"], "affiliations": [],
                 "timezone": "UTC", "languages": ["English"], "formats": ["video"],
                 "minutes": 30, "monthly_capacity": 4, "windows": [], "active": True,
                 "joined_at": now, "updated_at": now}
                for i in range(n)
            ],
        )  # fmt: skip
        await schedule_many(conn, 1, "digest.personal", range(10**6, 10**6 + n), now, now, "w")
        await schedule_many(conn, 1, "digest.personal", range(10**6, 10**6 + n), now, now, "w")
        queued = await conn.execute(
            sa.select(sa.func.count()).where(jobs.c.kind == "digest.personal")
        )
        assert queued.scalar_one() == n  # once each, however often queued


async def test_folding_a_long_history_in_batches_gives_what_folding_it_whole_gives(
    community: World,
) -> None:
    now = community.clock.now()
    people = [next(_ids) for _ in range(6)]
    async with community.db.transaction() as conn:
        await conn.execute(
            sa.insert(members),
            [
                {"id": m, "community_id": 1, "place_id": 1, "user_id": f"u{m}", "display_name": f"M{m}",
                 "created_at": now - 400 * DAY}
                for m in people
            ],
        )  # fmt: skip
    a, b, c, d, e, f = people
    # b → c at the same moment as a → b does not follow it; the others chain on.
    for giver, receiver, days in ((a, b, 50), (b, c, 50), (c, d, 40), (d, e, 30), (e, f, 20)):
        await chat(community, giver, receiver, now - days * DAY, now - days * DAY)
    async with community.db.read() as conn:
        whole = fold(None, await ledger_store.chat_links(conn, 1, None, now), now)
        for size in (1, 2, 3, 100):
            assert await digest_service.fold_history(conn, 1, None, None, now, size) == whole
    assert whole.longest == 4
