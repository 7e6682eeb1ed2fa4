"""Volunteer profiles and the counts matching needs about them."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.matching import Postings, posting_keys
from bot.domain.models import (
    ACTIVE_ASK,
    AskStatus,
    RequestFields,
    VolunteerProfile,
    VolunteerStats,
    Window,
)
from bot.storage import counters
from bot.storage.counters import NO_SHOW_DAYS, RECENT_DAYS
from bot.storage.inserts import insert_or_update
from bot.storage.schema import (
    asks,
    introductions,
    members,
    no_shows,
    requests,
    volunteer_keys,
    volunteers,
)


def month_start(now: datetime, timezone: str) -> datetime:
    """The start of `now`'s calendar month in `timezone`, as an aware datetime."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


class ProfileCache:
    """Kept for the callers that hand one to every scope. Matching no longer caches profiles
    in the process: it reads the database's index of postings (`volunteer_keys`), kept in
    step with every profile change in the same transaction, so a change made by any process
    is seen by the next command, and nothing is loaded at start."""


async def _index(conn: AsyncConnection, profile: VolunteerProfile, community_id: int) -> None:
    """Replace the volunteer's postings with those of `profile` (none once they left). The
    member's load row is taken first (see `counters`' locks), and left to be recounted."""
    await counters.touched(conn, profile.member_id)
    await conn.execute(
        sa.delete(volunteer_keys).where(volunteer_keys.c.member_id == profile.member_id)
    )
    if profile.active:
        load = await counters.current(conn, profile.member_id)
        await conn.execute(
            sa.insert(volunteer_keys),
            [
                {
                    "community_id": community_id,
                    "key": key,
                    "member_id": profile.member_id,
                    "load": load,
                }
                for key in sorted(posting_keys(profile))
            ],
        )


async def save_profile(
    conn: AsyncConnection, profile: VolunteerProfile, community_id: int, now: datetime
) -> None:
    values: dict[str, Any] = {
        "community_id": community_id,
        "role": profile.role,
        "organisation": profile.organisation,
        "topics": list(profile.topics),
        "affiliations": list(profile.affiliations),
        "timezone": profile.timezone,
        "languages": list(profile.languages),
        "formats": list(profile.formats),
        "minutes": profile.minutes,
        "monthly_capacity": profile.monthly_capacity,
        "windows": [
            [w.weekday, w.start.isoformat("minutes"), w.end.isoformat("minutes")]
            for w in profile.windows
        ],
        "paused_until": profile.paused_until,
        "active": profile.active,
        "updated_at": now,
    }
    # One statement, so a concurrent save of the same member's profile can't fail on the key.
    await insert_or_update(
        conn,
        volunteers,
        {"member_id": profile.member_id, **values},
        ("member_id",),
        on_insert={"joined_at": now},
    )
    await _index(conn, profile, community_id)


async def remove_profile(conn: AsyncConnection, member_id: int, community_id: int) -> None:
    await counters.touched(conn, member_id)  # the lock order of `counters`
    await conn.execute(sa.delete(volunteer_keys).where(volunteer_keys.c.member_id == member_id))
    await conn.execute(sa.delete(volunteers).where(volunteers.c.member_id == member_id))


def _select_profiles() -> sa.Select[Any]:
    return sa.select(volunteers, members.c.user_id, members.c.display_name).join(
        members, members.c.id == volunteers.c.member_id
    )


async def get_profile(conn: AsyncConnection, member_id: int) -> VolunteerProfile | None:
    row = (
        await conn.execute(_select_profiles().where(volunteers.c.member_id == member_id))
    ).first()
    return _profile(row) if row else None


async def set_pause(
    conn: AsyncConnection, member_id: int, until: datetime | None, now: datetime
) -> None:
    await conn.execute(
        sa.update(volunteers)
        .where(volunteers.c.member_id == member_id)
        .values(paused_until=until, updated_at=now)
    )


async def pool(
    conn: AsyncConnection,
    cache: ProfileCache,
    community_id: int,
    fields: RequestFields,
    seeker_id: int,
    request_id: int,
    now: datetime,
) -> list[VolunteerStats]:
    """Every active volunteer of the community, with their counts for this request: what the
    reference `matching.rank` scores in full (tests compare the shortlist with it)."""
    del cache, fields
    ids = [
        r[0]
        for r in await conn.execute(
            sa.select(volunteers.c.member_id)
            .where(volunteers.c.community_id == community_id, volunteers.c.active.is_(True))
            .order_by(volunteers.c.member_id)
        )
    ]
    context = await request_context(conn, community_id, seeker_id, request_id)
    stats: list[VolunteerStats] = []
    for start in range(0, len(ids), 500):
        stats += await stats_of(conn, ids[start : start + 500], context, now)
    return stats


@dataclass(frozen=True)
class RequestContext:
    """What exclusions need about the request itself: its community, who declined its seeker
    and when, and who was asked for it already."""

    community_id: int
    declined: dict[int, datetime]
    asked: frozenset[int]


async def request_context(
    conn: AsyncConnection, community_id: int, seeker_id: int, request_id: int
) -> RequestContext:
    """One query: when each volunteer last declined the seeker, and who was asked already.

    The seeker's declined asks are read through their requests (asks by request and status),
    and the latest per volunteer kept here: a GROUP BY in SQL would lead SQLite to walk every
    declined ask of the database along the (status, volunteer) index instead."""
    declined = sa.select(sa.literal("d"), asks.c.volunteer_id, asks.c.decided_at).where(
        asks.c.request_id.in_(sa.select(requests.c.id).where(requests.c.seeker_id == seeker_id)),
        asks.c.status == AskStatus.DECLINED.value,
    )
    asked = sa.select(sa.literal("a"), asks.c.volunteer_id, asks.c.decided_at).where(
        asks.c.request_id == request_id
    )
    last: dict[int, datetime] = {}
    already: set[int] = set()
    for kind, volunteer_id, when in await conn.execute(sa.union_all(declined, asked)):
        if kind == "a":
            already.add(volunteer_id)
        elif when is not None and (volunteer_id not in last or when > last[volunteer_id]):
            last[volunteer_id] = when
    return RequestContext(community_id, declined=last, asked=frozenset(already))


async def stats_of(
    conn: AsyncConnection, member_ids: Sequence[int], context: RequestContext, now: datetime
) -> list[VolunteerStats]:
    """These volunteers of the request's community (a small batch), with their counts for
    the request, in the given order; primary-key and indexed reads only."""
    if not member_ids:
        return []
    ids = list(member_ids)
    rows = await conn.execute(
        _select_profiles().where(
            volunteers.c.member_id.in_(ids), volunteers.c.community_id == context.community_id
        )
    )
    profiles = {p.member_id: p for p in map(_profile, rows)}
    intro_times, missed, outstanding = await _counts_of(conn, ids, now)
    starts: dict[str, datetime] = {}
    stats = []
    for member_id in ids:
        p = profiles.get(member_id)
        if p is None:
            continue
        times = intro_times.get(member_id, [])
        start = starts.get(p.timezone) or starts.setdefault(
            p.timezone, month_start(now, p.timezone)
        )
        stats.append(
            VolunteerStats(
                profile=p,
                used_this_month=sum(1 for t in times if t >= start),
                outstanding=outstanding[member_id],
                given_recently=len(times),
                last_declined_seeker_at=context.declined.get(member_id),
                asked_for_request=member_id in context.asked,
                no_shows_recently=missed[member_id],
            )
        )
    return stats


async def shortlist(
    conn: AsyncConnection, community_id: int, postings: Postings, *, near: bool, first: int
) -> AsyncGenerator[list[int], None]:
    """Volunteers who fit the request directly (or, with `near`, by an adjacent topic) in
    matching's order, page by page: score tier (a combination of postings) first, then load,
    then member id. Loads are the postings' copies (`counters.refresh` first)."""
    tiers = _tiers(community_id, postings, near)
    if len(tiers) == 2 and await _fewer(conn, community_id, postings):
        tiers[0] = _sharing(community_id, min(postings.affiliations), postings.topic)
    for query in tiers:
        offset, size = 0, first
        while True:
            page = [r[0] for r in await conn.execute(query.offset(offset).limit(size))]
            if page:
                yield page
            if len(page) < size:
                break
            offset += len(page)
            size = min(size * 4, 4096)


async def _fewer(conn: AsyncConnection, community_id: int, postings: Postings) -> bool:
    """Whether fewer volunteers list the request's affiliation than its topic (counted up to
    a cap, on the index), so the top tier is read from the affiliation's posting."""
    k = volunteer_keys

    def size(key: str) -> sa.ScalarSelect[Any]:
        capped = (
            sa.select(k.c.member_id)
            .where(k.c.community_id == community_id, k.c.key == key)
            .limit(_CAP)
            .subquery()
        )
        return sa.select(sa.func.count()).select_from(capped).scalar_subquery()

    row = (
        await conn.execute(sa.select(size(postings.topic), size(min(postings.affiliations))))
    ).one()
    return bool(row[1] < row[0])


_CAP = 2000


def _sharing(community_id: int, driver: str, other: str) -> sa.Select[Any]:
    """Volunteers with both postings, read along `driver`'s in (load, member id) order (a
    volunteer's postings all carry the same load, so either posting gives the same order)."""
    k = volunteer_keys
    return (
        sa.select(k.c.member_id)
        .where(k.c.community_id == community_id, k.c.key == driver, _has(community_id, other))
        .order_by(k.c.load, k.c.member_id)
    )


def _tiers(community_id: int, postings: Postings, near: bool) -> list[sa.Select[Any]]:
    """Queries that together list the candidates in order, one per score tier when the tiers
    are simple (a topic, at most one affiliation: the usual request), else one for all."""
    k = volunteer_keys
    if postings.person:
        if near:
            return []
        return [
            sa.select(k.c.member_id).where(
                k.c.community_id == community_id, k.c.key == postings.person
            )
        ]
    if near or not postings.topic:
        return [_all_tiers(community_id, postings, near)]
    if postings.role or postings.organisation or len(postings.affiliations) > 1:
        return _around_topic(community_id, postings)
    topic = sa.select(k.c.member_id).where(
        k.c.community_id == community_id, k.c.key == postings.topic
    )
    topic = topic.order_by(k.c.load, k.c.member_id)
    if not postings.affiliations:
        return [topic]
    (affiliation,) = postings.affiliations
    return [
        _sharing(community_id, postings.topic, affiliation),
        topic.where(~_has(community_id, affiliation)),
    ]


def _has(community_id: int, key: str) -> sa.Exists:
    """Whether the volunteer of the outer query's posting also has posting `key`."""
    k = volunteer_keys
    other = k.alias()
    return (
        sa.select(other.c.member_id)
        .where(
            other.c.community_id == community_id,
            other.c.key == key,
            other.c.member_id == k.c.member_id,
        )
        .exists()
    )


def _around_topic(community_id: int, postings: Postings) -> list[sa.Select[Any]]:
    """The tiers of a request with a topic and a role, an organisation or affiliations,
    without reading the whole topic's posting: most who list the topic share nothing else
    with the request (score tier 5), and are read along the topic's posting in (load,
    member id) order, page by page. The others (a whole role or organisation, or an
    affiliation) are counted from those smaller postings, in one grouped query, and come
    before them (a higher tier) or after (a role or organisation alone: tier 3)."""
    k = volunteer_keys

    def hits(keys: frozenset[str]) -> sa.ColumnElement[Any]:
        if not keys:
            return sa.literal(0)
        return sa.func.sum(sa.case((k.c.key.in_(sorted(keys)), 1), else_=0))

    others = postings.role | postings.organisation | postings.affiliations
    inner = (
        sa.select(
            k.c.member_id.label("member_id"),
            sa.func.max(k.c.load).label("load"),
            sa.case((_has(community_id, postings.topic), 1), else_=0).label("t"),
            hits(postings.role).label("r"),
            hits(postings.organisation).label("o"),
            hits(postings.affiliations).label("a"),
        )
        .where(k.c.community_id == community_id, k.c.key.in_(sorted(others)))
        .group_by(k.c.member_id)
        .subquery()
    )
    role = inner.c.r == len(postings.role) if postings.role else sa.false()
    organisation = inner.c.o == len(postings.organisation) if postings.organisation else sa.false()
    fits = sa.or_(inner.c.t > 0, role, organisation)
    special = sa.or_(role, organisation, inner.c.a > 0)  # never tier 5
    boost = (
        inner.c.t * 5
        + sa.case((role, 3), else_=0)
        + sa.case((organisation, 3), else_=0)
        + inner.c.a * 10
    )
    ranked = (
        sa.select(inner.c.member_id)
        .where(fits, special)
        .order_by(boost.desc(), inner.c.load, inner.c.member_id)
    )

    def every(keys: frozenset[str]) -> sa.ColumnElement[bool]:
        return sa.and_(*(_has(community_id, key) for key in sorted(keys)))

    plain = [~_has(community_id, key) for key in sorted(postings.affiliations)]
    if postings.role:
        plain.append(~every(postings.role))
    if postings.organisation:
        plain.append(~every(postings.organisation))
    topic_only = (
        sa.select(k.c.member_id)
        .where(k.c.community_id == community_id, k.c.key == postings.topic, *plain)
        .order_by(k.c.load, k.c.member_id)
    )
    return [ranked.where(boost > 5), topic_only, ranked.where(boost < 5)]


def _all_tiers(community_id: int, postings: Postings, near: bool) -> sa.Select[Any]:
    """Every candidate's score tier from the postings they share with the request, in one
    grouped query (role and organisation fit only when all their words are shared)."""
    k = volunteer_keys

    def hits(keys: frozenset[str]) -> sa.ColumnElement[Any]:
        if not keys:
            return sa.literal(0)
        return sa.func.sum(sa.case((k.c.key.in_(sorted(keys)), 1), else_=0))

    topic = frozenset({postings.topic}) - {""}
    fit_keys = postings.near if near else (postings.role | postings.organisation | topic)
    inner = (
        sa.select(
            k.c.member_id.label("member_id"),
            sa.func.max(k.c.load).label("load"),
            hits(topic).label("t"),
            hits(postings.role).label("r"),
            hits(postings.organisation).label("o"),
            hits(postings.affiliations).label("a"),
            hits(postings.near).label("n"),
        )
        .where(
            k.c.community_id == community_id, k.c.key.in_(sorted(fit_keys | postings.affiliations))
        )
        .group_by(k.c.member_id)
        .subquery()
    )
    role = inner.c.r == len(postings.role) if postings.role else sa.false()
    organisation = inner.c.o == len(postings.organisation) if postings.organisation else sa.false()
    if near:
        fits: sa.ColumnElement[bool] = inner.c.n > 0
        boost = inner.c.a * 10
    else:
        fits = sa.or_(inner.c.t > 0, role, organisation)
        boost = (
            inner.c.t * 5
            + sa.case((role, 3), else_=0)
            + sa.case((organisation, 3), else_=0)
            + inner.c.a * 10
        )
    if not fit_keys:
        fits = sa.false()
    return (
        sa.select(inner.c.member_id)
        .where(fits)
        .order_by(boost.desc(), inner.c.load, inner.c.member_id)
    )


async def load(conn: AsyncConnection, member_id: int, timezone: str, now: datetime) -> int:
    """Introductions this calendar month plus asks waiting: what counts against capacity."""
    start = month_start(now, timezone)
    used = (
        await conn.execute(
            sa.select(sa.func.count()).where(
                introductions.c.volunteer_id == member_id, introductions.c.created_at >= start
            )
        )
    ).scalar_one()
    waiting = (
        await conn.execute(
            sa.select(sa.func.count()).where(
                asks.c.volunteer_id == member_id, asks.c.status.in_([s.value for s in ACTIVE_ASK])
            )
        )
    ).scalar_one()
    return int(used) + int(waiting)


async def _counts_of(
    conn: AsyncConnection, volunteer_ids: list[int], now: datetime
) -> tuple[dict[int, list[datetime]], Counter[int], Counter[int]]:
    """In one query, for these volunteers only (indexed reads): their introductions of the
    last 90 days, the no-shows reported against them in the last 60 days (no-shows of
    seekers don't count), and their asks waiting on a moderator or on them."""
    intros = sa.select(
        sa.literal("i"), introductions.c.volunteer_id, introductions.c.created_at
    ).where(
        introductions.c.volunteer_id.in_(volunteer_ids),
        introductions.c.created_at >= now - timedelta(days=RECENT_DAYS),
    )
    missed = (
        sa.select(sa.literal("n"), no_shows.c.member_id, no_shows.c.created_at)
        .join(introductions, introductions.c.id == no_shows.c.introduction_id)
        .where(
            no_shows.c.member_id.in_(volunteer_ids),
            no_shows.c.member_id == introductions.c.volunteer_id,
            no_shows.c.created_at >= now - timedelta(days=NO_SHOW_DAYS),
        )
    )
    waiting = sa.select(sa.literal("a"), asks.c.volunteer_id, asks.c.created_at).where(
        asks.c.volunteer_id.in_(volunteer_ids),
        asks.c.status.in_([s.value for s in ACTIVE_ASK]),
    )
    times: dict[int, list[datetime]] = defaultdict(list)
    no_show_count: Counter[int] = Counter()
    outstanding: Counter[int] = Counter()
    for kind, member_id, when in await conn.execute(sa.union_all(intros, missed, waiting)):
        if kind == "i":
            times[member_id].append(when)
        elif kind == "n":
            no_show_count[member_id] += 1
        else:
            outstanding[member_id] += 1
    return times, no_show_count, outstanding


def _profile(row: Any) -> VolunteerProfile:
    return VolunteerProfile(
        member_id=row.member_id,
        user_id=row.user_id,
        display_name=row.display_name,
        role=row.role,
        organisation=row.organisation,
        topics=tuple(row.topics),
        affiliations=tuple(row.affiliations),
        timezone=row.timezone,
        languages=tuple(row.languages),
        formats=tuple(row.formats),
        minutes=row.minutes,
        monthly_capacity=row.monthly_capacity,
        windows=tuple(
            Window(int(d), time.fromisoformat(s), time.fromisoformat(e)) for d, s, e in row.windows
        ),
        paused_until=row.paused_until,
        active=row.active,
    )
