"""Stored loads under concurrency and bulk loads: refreshes never deadlock on PostgreSQL,
and `recount` rebuilds the postings and loads from the base tables alone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import CommunityRef
from bot.domain.community import CommunitySettings
from bot.domain.models import AskStatus, RequestFields, RequestStatus, VolunteerProfile
from bot.storage import counters
from bot.storage import members as member_store
from bot.storage import requests as store
from bot.storage import volunteers as volunteer_store
from bot.storage.database import Database
from bot.storage.schema import volunteer_keys, volunteer_loads

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
FIELDS = RequestFields(
    topic="law",
    why="I want to learn how this work is done day to day.",
    questions=("What is a typical week?",),
    minutes=30,
    format="video",
    time_frame_days=14,
)


async def _chat(conn: AsyncConnection, community_id: int, seeker: int, volunteer: int) -> None:
    """An introduction of `volunteer` a day ago (their load goes up by one)."""
    when = NOW - timedelta(days=1)
    chat_id = await store.insert_request(
        conn, community_id, seeker, FIELDS, None, RequestStatus.CLOSED, (), when
    )
    ask_id = await store.insert_ask(conn, chat_id, volunteer, AskStatus.ACCEPTED, (), when)
    chat, ask = await store.get_request(conn, chat_id), await store.get_ask(conn, ask_id)
    assert chat is not None and ask is not None
    await store.insert_introduction(conn, chat, ask, when)


async def _community(db: Database, name: str = "c") -> tuple[int, int, list[int]]:
    """A community with a seeker and two volunteers, each with one introduction."""
    async with db.engine.begin() as conn:
        ref = CommunityRef("console", name)
        community, community_place = await member_store.get_or_create_place(
            conn, ref, CommunitySettings(), NOW
        )
        seeker = await member_store.ensure_member(
            conn,
            community.id,
            community_place.id,
            "Useeker",
            "Seeker",
            NOW,
        )
        ids = []
        for n in range(2):
            member = await member_store.ensure_member(
                conn,
                community.id,
                community_place.id,
                f"U{n}",
                f"V{n}",
                NOW,
            )
            profile = VolunteerProfile(member.id, member.user_id, "V", "Engineer", "", ("law",))
            await volunteer_store.save_profile(conn, profile, community.id, NOW)
            await _chat(conn, community.id, seeker.id, member.id)
            ids.append(member.id)
    return community.id, seeker.id, ids


async def _stored(conn: AsyncConnection) -> tuple[dict[int, int], dict[int, set[int]]]:
    loads = dict(
        (await conn.execute(sa.select(volunteer_loads.c.member_id, volunteer_loads.c.load))).all()
    )
    postings: dict[int, set[int]] = {}
    for member_id, load in await conn.execute(
        sa.select(volunteer_keys.c.member_id, volunteer_keys.c.load)
    ):
        postings.setdefault(member_id, set()).add(load)
    return loads, postings


async def _until_one_waits(db: Database) -> None:
    """Until a transaction waits for a lock (the edit, behind the refresh)."""
    query = sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
    async with db.engine.connect() as watcher:
        while not (await watcher.execute(query)).scalar_one():
            await watcher.rollback()


@pytest.fixture
async def postgres_db(database_url: str) -> Database:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: its transactions can't deadlock")
    db = Database(database_url)
    await db.migrate()
    yield db  # type: ignore[misc]
    await db.dispose()


async def test_refreshes_crossing_each_others_events_do_not_deadlock(
    postgres_db: Database,
) -> None:
    """Each of two transactions has an event of one volunteer (its row held) and refreshes:
    neither waits for the other's row, and the loads come out right once both commit."""
    db = postgres_db
    community_id, seeker, (x, y) = await _community(db)
    async with db.engine.connect() as a, db.engine.connect() as b:
        ta, tb = await a.begin(), await b.begin()
        await _chat(a, community_id, seeker, x)
        await _chat(b, community_id, seeker, y)
        await asyncio.wait_for(
            asyncio.gather(counters.refresh(a, NOW), counters.refresh(b, NOW)), timeout=10
        )
        await ta.commit()
        await tb.commit()
    async with db.engine.begin() as conn:
        await counters.refresh(conn, NOW)
        loads, postings = await _stored(conn)
    assert (loads[x], loads[y]) == (2, 2)
    assert postings == {x: {2}, y: {2}}


async def test_a_profile_edit_during_a_refresh_keeps_its_postings_in_step(
    postgres_db: Database,
) -> None:
    """A refresh holds a volunteer's row; their profile edit waits for it, then leaves the
    row to be recounted, so the new postings get the right load."""
    db = postgres_db
    community_id, seeker, (x, _) = await _community(db)
    async with db.engine.connect() as a, db.engine.connect() as c:
        ta = await a.begin()
        await _chat(a, community_id, seeker, x)
        await counters.refresh(a, NOW)  # holds x's row
        tc = await c.begin()
        profile = VolunteerProfile(x, "U0", "V", "Designer", "", ("law", "design"))
        edit = asyncio.create_task(volunteer_store.save_profile(c, profile, community_id, NOW))
        await _until_one_waits(db)
        await ta.commit()
        await asyncio.wait_for(edit, timeout=10)
        await tc.commit()
    async with db.engine.begin() as conn:
        await counters.refresh(conn, NOW)
        loads, postings = await _stored(conn)
    assert loads[x] == 2
    assert postings[x] == {2}


async def test_recount_rebuilds_one_community_from_its_base_tables(database_url: str) -> None:
    """A bulk load writes members, profiles and history only: `recount` gives the community
    the postings and loads the events would have kept, and leaves other communities be."""
    db = Database(database_url)
    await db.migrate()
    try:
        community_id, _, (x, y) = await _community(db, "bulk")
        _, _, (other, _) = await _community(db, "other")
        async with db.engine.begin() as conn:
            await counters.refresh(conn, NOW)
            kept = await _stored(conn)
            await conn.execute(
                sa.delete(volunteer_keys).where(volunteer_keys.c.community_id == community_id)
            )
            await conn.execute(
                sa.delete(volunteer_loads).where(volunteer_loads.c.member_id.in_((x, y)))
            )
            await counters.recount(conn, NOW, community_id)
            assert await _stored(conn) == kept
            await counters.recount(conn, NOW, community_id)  # again: the same
            loads, postings = await _stored(conn)
        assert (loads, postings) == kept
        assert loads[x] == loads[other] == 1 and postings[x] == {1}
    finally:
        await db.dispose()


async def test_a_refresh_at_an_earlier_moment_leaves_the_stored_loads_right(
    database_url: str,
) -> None:
    """Processes' clocks differ: a refresh at an earlier `now` than the last one may store
    a count that is higher later on, but it is stored with the moment it stops holding, so
    the next refresh at the later `now` recounts it."""
    db = Database(database_url)
    await db.migrate()
    try:
        community_id, seeker, (x, _) = await _community(db)
        async with db.engine.begin() as conn:
            old = NOW - timedelta(days=counters.RECENT_DAYS - 10)  # leaves in 10 days
            chat_id = await store.insert_request(
                conn, community_id, seeker, FIELDS, None, RequestStatus.CLOSED, (), old
            )
            ask_id = await store.insert_ask(conn, chat_id, x, AskStatus.ACCEPTED, (), old)
            chat, ask = await store.get_request(conn, chat_id), await store.get_ask(conn, ask_id)
            assert chat is not None and ask is not None
            await store.insert_introduction(conn, chat, ask, old)
            later = NOW + timedelta(days=20)
            await counters.refresh(conn, later)
            assert (await _stored(conn))[0][x] == 1
            await counters.touched(conn, x)  # an event, then a refresh by a clock behind
            await counters.refresh(conn, NOW)
            assert (await _stored(conn))[0][x] == 2  # both still count at NOW
            await counters.refresh(conn, NOW - timedelta(days=30))  # or a test's
            await counters.refresh(conn, later)
            loads, postings = await _stored(conn)
        assert loads[x] == 1 and postings[x] == {1}
    finally:
        await db.dispose()
