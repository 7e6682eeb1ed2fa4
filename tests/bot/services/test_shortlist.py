"""Matching from the index and the counters gives the same candidates as the reference
`matching.rank` over the whole pool, on random communities."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from itertools import count

import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.app import Infochat
from bot.commands import CommunityRef
from bot.domain import matching
from bot.domain.community import CommunitySettings
from bot.domain.models import (
    AskStatus,
    MatchResult,
    RequestFields,
    RequestStatus,
    VolunteerProfile,
    Window,
)
from bot.services import flow
from bot.services.context import Scope
from bot.storage import counters
from bot.storage import members as member_store
from bot.storage import requests as store
from bot.storage import volunteers as volunteer_store
from bot.storage.database import Database
from bot.storage.schema import no_shows
from tests import reference_pool
from tests.support import GOOD_REQUEST, World, join_all, text_of

TOPICS = (
    "data engineering",
    "Data Science",
    "machine learning",
    "ML",
    "python",
    "python data",
    "UX design",
    "product design",
    "devops",
    "security",
    "software engineering",
    "marketing",
    "law",
)
ROLES = ("Data engineer", "Senior Data Scientist", "Designer", "Engineer", "")
ORGS = ("Acme", "Acme Corp", "Globex", "")
AFFILIATIONS = ("University of Toronto", "Women in Tech", "MIT", "université de Montréal")
ZONES = ("UTC", "Pacific/Kiritimati", "America/Adak", "Europe/Berlin")
# Around the windows' edges: 60 days (no-shows), 90 days (introductions), a month.
AGES = (0, 1, 29, 31, 59, 60, 61, 89, 90, 91, 120)
STARTS = (
    datetime(2026, 3, 1, 0, 30, tzinfo=UTC),
    datetime(2026, 2, 28, 23, 30, tzinfo=UTC),
    datetime(2026, 3, 1, 11, 0, tzinfo=UTC),
    datetime(2026, 7, 15, 12, 0, tzinfo=UTC),
)
_communities = count()


def _windows(rnd: random.Random, most: int) -> tuple[Window, ...]:
    """Weekly windows on the hour or half hour, some past midnight, some several hours."""
    windows = []
    for _ in range(rnd.randint(0, most)):
        start = rnd.randrange(48) * 30
        end = (start + rnd.choice((30, 60, 120, 240, 600))) % (24 * 60)
        windows.append(
            Window(rnd.randrange(7), time(start // 60, start % 60), time(end // 60, end % 60))
        )
    return tuple(windows)


def _profile(rnd: random.Random, member_id: int, user_id: str, now: datetime) -> VolunteerProfile:
    return VolunteerProfile(
        member_id=member_id,
        user_id=user_id,
        display_name=user_id,
        role=rnd.choice(ROLES),
        organisation=rnd.choice(ORGS),
        topics=tuple(rnd.sample(TOPICS, rnd.randint(1, 3))),
        affiliations=tuple(rnd.sample(AFFILIATIONS, rnd.randint(0, 2))),
        timezone=rnd.choice(ZONES),
        formats=rnd.choice((("video",), ("phone",), ("video", "phone"), ())),
        minutes=rnd.choice((15, 30, 60)),
        monthly_capacity=rnd.choice((1, 2, 3, 5)),
        paused_until=rnd.choice(
            (None, None, None, now - timedelta(hours=1), now + timedelta(days=1))
        ),
        active=rnd.random() > 0.1,
        windows=_windows(rnd, 4),
    )


def _fields(rnd: random.Random, users: list[str]) -> RequestFields:
    return RequestFields(
        topic=rnd.choice((*TOPICS, "quantum basket weaving", "data", "")),
        why="I want to learn how this work is done day to day.",
        questions=("What is a typical week?",),
        minutes=rnd.choice((15, 30, 45)),
        format=rnd.choice(("video", "phone")),
        time_frame_days=rnd.choice((1, 3, 14, 14, 30)),
        target_role=rnd.choice(("", "", "data scientist", "engineer", "Designer")),
        target_org=rnd.choice(("", "", "Acme", "globex")),
        target_user_id=rnd.choice(("",) * 8 + tuple(users[:2]) + ("Uother",)),
        affiliations=tuple(rnd.sample(AFFILIATIONS, rnd.randint(0, 2))),
        timezone=rnd.choice(ZONES),
        windows=rnd.choice(((), _windows(rnd, 3), _windows(rnd, 6))),
    )


def _seen(result: MatchResult) -> list[tuple[int, float, tuple[str, ...], bool, bool]]:
    return [
        (c.volunteer.member_id, c.score, c.reasons, c.adjacent, c.common_time)
        for c in result.candidates
    ]


async def _check(db: Database, rnd: random.Random, *, keep: bool = False) -> None:
    now = rnd.choice(STARTS) + timedelta(minutes=rnd.randint(-90, 90))
    community_settings = CommunitySettings()
    async with db.engine.connect() as conn, conn.begin() as transaction:
        ref = CommunityRef("console", f"c{next(_communities)}-{rnd.random()}")
        community, community_place = await member_store.get_or_create_place(
            conn, ref, community_settings, now
        )
        seeker = await member_store.ensure_member(
            conn,
            community.id,
            community_place.id,
            "Useeker",
            "Seeker",
            now,
        )
        other = await member_store.ensure_member(
            conn,
            community.id,
            community_place.id,
            "Uother",
            "Other",
            now,
        )
        ids, users = [], []
        for n in range(rnd.randint(0, 30)):
            member = await member_store.ensure_member(
                conn,
                community.id,
                community_place.id,
                f"U{n}",
                f"V{n}",
                now,
            )
            profile = _profile(rnd, member.id, member.user_id, now)
            await volunteer_store.save_profile(conn, profile, community.id, now)
            if rnd.random() < 0.3:  # an edit: the index follows it
                profile = _profile(rnd, member.id, member.user_id, now)
                await volunteer_store.save_profile(conn, profile, community.id, now)
            ids.append(member.id)
            users.append(member.user_id)
        fields = _fields(rnd, users)
        target = await member_store.find_member(
            conn,
            community_place.id,
            fields.target_user_id,
        )
        made = now - timedelta(days=rnd.choice((0, 0, 2, 40)))  # some frames have run out
        request_id = await store.insert_request(
            conn,
            community.id,
            seeker.id,
            fields,
            target.id if target else None,
            RequestStatus.OPEN,
            (),
            made,
        )
        past = await store.insert_request(
            conn, community.id, seeker.id, fields, None, RequestStatus.CLOSED, (), now
        )
        elsewhere = await store.insert_request(
            conn, community.id, other.id, fields, None, RequestStatus.OPEN, (), now
        )
        for volunteer_id in ids:
            for _ in range(rnd.choice((0, 0, 1, 2, 4))):  # introductions and no-shows
                when = now - timedelta(days=rnd.choice(AGES), minutes=rnd.choice((-1, 0, 1)))
                when = min(when, now)
                chat_id = await store.insert_request(
                    conn, community.id, seeker.id, fields, None, RequestStatus.CLOSED, (), when
                )
                chat = await store.get_request(conn, chat_id)
                ask_id = await store.insert_ask(
                    conn, chat_id, volunteer_id, AskStatus.ACCEPTED, (), when
                )
                ask = await store.get_ask(conn, ask_id)
                assert ask is not None and chat is not None
                intro = await store.insert_introduction(conn, chat, ask, when)
                if rnd.random() < 0.4:
                    missed = rnd.choice((volunteer_id, seeker.id))  # a seeker's no-show: no weight
                    reporter = seeker.id if missed == volunteer_id else volunteer_id
                    shown = min(now, when + timedelta(days=rnd.choice((0, 1, 30))))
                    await conn.execute(
                        sa.insert(no_shows).values(
                            introduction_id=intro,
                            reporter_id=reporter,
                            member_id=missed,
                            created_at=shown,
                        )
                    )
                    await counters.touched(conn, missed)
            roll = rnd.random()
            if roll < 0.15:  # waiting on someone else's request
                status = rnd.choice((AskStatus.ASKED, AskStatus.PROPOSED, AskStatus.EXPIRED))
                await store.insert_ask(conn, elsewhere, volunteer_id, status, (), now)
            elif roll < 0.3:  # declined this seeker, inside or outside the cool-down
                ask_id = await store.insert_ask(conn, past, volunteer_id, AskStatus.ASKED, (), now)
                days = rnd.choice((1, 89, 91))
                await store.transition_ask(
                    conn, ask_id, AskStatus.DECLINED, now - timedelta(days=days)
                )
            elif roll < 0.4:  # already asked for this request
                status = rnd.choice((AskStatus.DECLINED, AskStatus.NOT_NOW, AskStatus.WITHDRAWN))
                await store.insert_ask(conn, request_id, volunteer_id, status, (), now)
        # A volunteer of another community who fits the request in every way: never listed.
        ref = CommunityRef("console", f"other{next(_communities)}-{rnd.random()}")
        other_community, other_community_place = await member_store.get_or_create_place(
            conn, ref, community_settings, now
        )
        stranger = await member_store.ensure_member(
            conn,
            other_community.id,
            other_community_place.id,
            "U0",
            "S",
            now,
        )
        fitting = VolunteerProfile(
            stranger.id,
            "U0",
            "S",
            fields.target_role,
            fields.target_org,
            (fields.topic or "law",),
            fields.affiliations,
        )
        await volunteer_store.save_profile(conn, fitting, other_community.id, now)
        ids_and_stranger = [*ids, stranger.id]
        # Stored loads last refreshed a while ago: some have slid out of their windows since.
        await counters.refresh(conn, now - timedelta(days=rnd.choice((0, 1, 3))))
        request = await store.get_request(conn, request_id)
        assert request is not None and request.fields == fields

        pool = await reference_pool.pool(conn, community.id, seeker.id, request_id, now)
        expected = matching.rank(fields, seeker.id, pool, now, community_settings, created_at=made)
        scope = Scope(conn, now, community)
        for limit in (1, 3, None):
            got = await flow.rank(scope, request, limit)
            assert _seen(got) == _seen(expected)[:limit]
            assert got.widened == (expected.widened if got.candidates else False)
        best = await flow.rank(scope, request, 1)
        listed = {c.volunteer.member_id: c for c in expected.candidates}
        for volunteer_id in ids_and_stranger:
            found = await flow.candidate(scope, request, volunteer_id, best)
            assert found == listed.get(volunteer_id)
        await (transaction.commit() if keep else transaction.rollback())


@settings(
    max_examples=40,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),  # shrinking a database is slow
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rnd=st.randoms(use_true_random=False))
async def test_the_shortlist_ranks_like_the_whole_pool(
    database_url: str, rnd: random.Random
) -> None:
    db = Database(database_url)
    await db.migrate()
    try:
        await _check(db, rnd)
    finally:
        await db.dispose()


async def test_the_one_free_when_the_seeker_is_is_found_past_the_first_page(
    database_url: str,
) -> None:
    """Among many equal fits, the last one read is the only one free when the seeker is:
    the shortlist reads on until it finds them, and suggests them first."""
    db = Database(database_url)
    await db.migrate()
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
    monday, tuesday = Window(0, time(8), time(9)), Window(1, time(18), time(20))
    try:
        async with db.engine.begin() as conn:
            ref = CommunityRef("console", "time")
            community, community_place = await member_store.get_or_create_place(
                conn, ref, CommunitySettings(), now
            )
            seeker = await member_store.ensure_member(
                conn,
                community.id,
                community_place.id,
                "Useeker",
                "S",
                now,
            )
            ids = []
            for n in range(40):
                member = await member_store.ensure_member(
                    conn,
                    community.id,
                    community_place.id,
                    f"U{n}",
                    "V",
                    now,
                )
                profile = VolunteerProfile(
                    member.id,
                    member.user_id,
                    "V",
                    role="",
                    organisation="",
                    topics=("python",),
                    windows=(tuesday if n == 39 else monday,),
                )
                await volunteer_store.save_profile(conn, profile, community.id, now)
                ids.append(member.id)
            fields = replace(
                _fields(random.Random(0), []),
                topic="python",
                target_user_id="",
                target_role="",
                target_org="",
                affiliations=(),
                format="video",
                minutes=30,
                time_frame_days=14,
                timezone="UTC",
                windows=(Window(1, time(17), time(21)),),
            )
            request_id = await store.insert_request(
                conn, community.id, seeker.id, fields, None, RequestStatus.OPEN, (), now
            )
            request = await store.get_request(conn, request_id)
            assert request is not None
            scope = Scope(conn, now, community)
            best = await flow.rank(scope, request, 1)
            everyone = await flow.rank(scope, request)
        assert [c.volunteer.member_id for c in best.candidates] == [ids[39]]
        assert best.candidates[0].reasons == (
            "works in python",
            "you're both free Tuesday evenings",
        )
        assert [c.volunteer.member_id for c in everyone.candidates] == [ids[39], *ids[:39]]
        assert everyone.candidates[1].reasons == ("works in python", "no common time yet")
    finally:
        await db.dispose()


async def test_loads_are_recounted_from_history(database_url: str) -> None:
    """`recount` rebuilds from the base tables what the events kept: the same postings and
    loads, and nothing stale."""
    db = Database(database_url)
    await db.migrate()
    try:
        for seed in range(3):
            await _check(db, random.Random(seed), keep=True)
        now = max(STARTS) + timedelta(days=5)  # later than every event
        postings = "SELECT community_id, key, member_id, load FROM volunteer_keys"
        async with db.engine.begin() as conn:
            await counters.refresh(conn, now)
            kept = (await conn.execute(sa.text("SELECT * FROM volunteer_loads"))).all()
            kept_postings = set((await conn.execute(sa.text(postings))).all())
            # As a bulk loader leaves it: the base tables only.
            await conn.execute(sa.text("DELETE FROM volunteer_keys"))
            await conn.execute(sa.text("DELETE FROM volunteer_loads"))
            await counters.recount(conn, now)
            counted = (await conn.execute(sa.text("SELECT * FROM volunteer_loads"))).all()
            counted_postings = set((await conn.execute(sa.text(postings))).all())
        assert {r[0]: r[1] for r in kept if r[1]} == {r[0]: r[1] for r in counted}
        assert kept_postings == counted_postings and kept_postings
    finally:
        await db.dispose()


async def test_a_profile_changed_by_another_process_is_seen_by_the_next_request(
    world: World,
) -> None:
    await join_all(world)
    elsewhere = replace(world, app=Infochat(world.db, world.clock))  # another process
    first = await elsewhere.say("sam", GOOD_REQUEST)
    assert "Priya" in text_of(first.messages[0])
    await world.say("priya", '/infochat volunteer edit topics="law"')
    second = await elsewhere.say("ana", GOOD_REQUEST)
    assert "Priya" not in text_of(second.messages[0])
    assert "Chen" in text_of(second.messages[0])  # widened to an adjacent topic
