"""The facts weekly digests are made of, and who asked for a personal weekly DM.

Each fact is one set-based query, restricted by community and time so it reads through an
index: a digest costs the same number of statements whatever the community's size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import CommunityRef
from bot.domain.community import CommunitySettings
from bot.domain.digest import Recognition
from bot.domain.followup import IntroductionStatus
from bot.domain.models import ACTIVE_ASK, RequestStatus
from bot.storage.ledger import chat_at, chats_between
from bot.storage.members import Community
from bot.storage.schema import (
    UTCDateTime,
    asks,
    communities,
    introductions,
    jobs,
    members,
    places,
    requests,
    volunteers,
)
from bot.storage.volunteers import month_start

NAMES_SHOWN = 10  # givers a digest names at most; the rest are counted


@dataclass(frozen=True)
class OpenRequest:
    """What a volunteer may see of an open request: never who asked."""

    id: int
    seeker_id: int
    topic: str
    minutes: int
    format: str
    submitted_at: datetime


async def all_communities(conn: AsyncConnection) -> list[Community]:
    """Communities with a place (one whose places all joined another has none left)."""
    lives = sa.exists().where(places.c.community_id == communities.c.id)
    rows = await conn.execute(sa.select(communities).where(lives).order_by(communities.c.id))
    return [_community(r) for r in rows]


async def community(conn: AsyncConnection, community_id: int) -> Community | None:
    row = (
        await conn.execute(sa.select(communities).where(communities.c.id == community_id))
    ).first()
    return _community(row) if row else None


async def community_of(conn: AsyncConnection, ref: CommunityRef) -> Community | None:
    """The community a place belongs to, seen from that place."""
    row = (
        await conn.execute(
            sa.select(communities.c.id, communities.c.settings)
            .join(places, places.c.community_id == communities.c.id)
            .where(places.c.platform == ref.platform, places.c.external_id == ref.external_id)
        )
    ).first()
    return Community(row.id, ref, CommunitySettings.stored(row.settings)) if row else None


def _community(row: Any) -> Community:
    return Community(
        row.id,
        CommunityRef(row.platform, row.external_id, row.name),
        CommunitySettings.stored(row.settings),
    )


async def pending_targets(conn: AsyncConnection, kind: str, target: int | None = None) -> set[str]:
    """Targets with a pending job of `kind` (only `target`, when given)."""
    query = sa.select(jobs.c.target).where(jobs.c.kind == kind, jobs.c.status == "pending")
    if target is not None:
        query = query.where(jobs.c.target == str(target))
    return {r.target for r in await conn.execute(query)}


async def next_due(conn: AsyncConnection, kind: str, target: int) -> datetime | None:
    result = await conn.execute(
        sa.select(sa.func.min(jobs.c.due_at)).where(
            jobs.c.kind == kind, jobs.c.target == str(target), jobs.c.status == "pending"
        )
    )
    due: datetime | None = result.scalar_one()
    return due


async def completed_between(
    conn: AsyncConnection, community_id: int, start: datetime, end: datetime
) -> int:
    result = await conn.execute(
        sa.select(sa.func.count()).where(chats_between(community_id, start, end))
    )
    return int(result.scalar_one())


async def recognition(
    conn: AsyncConnection,
    community_id: int,
    start: datetime,
    end: datetime,
    *,
    paid_forward: bool = False,
    shown: int = NAMES_SHOWN,
) -> Recognition:
    """The givers of [start, end) (only those who had been helped before, with
    `paid_forward`): the first `shown` names of those who opted in, and how many others."""
    cond = chats_between(community_id, start, end)
    if paid_forward:
        received = introductions.alias("received")
        cond = sa.and_(
            cond,
            # The giver is a member of this community: their chats received are found by
            # ix_introductions_received alone (no community_id, which is not in it).
            sa.exists().where(
                received.c.seeker_id == introductions.c.volunteer_id,
                received.c.status == IntroductionStatus.COMPLETED.value,
                chat_at(received) < chat_at(),
            ),
        )
    givers = sa.select(introductions.c.volunteer_id).where(cond)
    public = sa.case((members.c.public_recognition.is_(True), 1), else_=0)
    # One pass: the first names (those who opted in first), each row with the totals.
    rows = (
        await conn.execute(
            sa.select(
                members.c.display_name,
                public.label("public"),
                sa.func.count().over().label("everyone"),
                sa.func.sum(public).over().label("named"),
            )
            .where(members.c.id.in_(givers))
            .order_by(public.desc(), members.c.display_name, members.c.id)
            .limit(shown)
        )
    ).all()
    if not rows:
        return Recognition()
    everyone, public_count = int(rows[0].everyone), int(rows[0].named)
    named = tuple(sorted(r.display_name for r in rows if r.public))
    return Recognition(named, everyone - public_count, public_count - len(named))


async def chats_per_week(
    conn: AsyncConnection, community_id: int, edges: Sequence[datetime]
) -> list[int]:
    """Completed chats in each [edges[i], edges[i + 1])."""
    at = chat_at()
    return await _per_bucket(conn, at, edges, chats_between(community_id, edges[0], edges[-1]))


async def requests_per_week(
    conn: AsyncConnection, community_id: int, edges: Sequence[datetime]
) -> list[int]:
    """Requests submitted in each [edges[i], edges[i + 1]): one count of an index range per
    week, all in one statement (nothing is evaluated per request)."""
    at = requests.c.submitted_at
    weeks = [
        sa.select(sa.func.count())
        .where(requests.c.community_id == community_id, at >= start, at < end)
        .scalar_subquery()
        for start, end in pairwise(edges)
    ]
    row = (await conn.execute(sa.select(*weeks))).one()
    return [int(n) for n in row]


async def _per_bucket(
    conn: AsyncConnection,
    at: sa.ColumnElement[datetime],
    edges: Sequence[datetime],
    where: sa.ColumnElement[bool],
) -> list[int]:
    """Counts per [edges[i], edges[i + 1]) of the rows `where` selects, by `at` (found by
    halving the edges: a few comparisons per row)."""

    def bucket(low: int, high: int) -> sa.ColumnElement[int]:
        if high - low == 1:
            return sa.literal(low)
        middle = (low + high) // 2
        return sa.case((at < edges[middle], bucket(low, middle)), else_=bucket(middle, high))

    found = bucket(0, len(edges) - 1).label("bucket")
    rows = await conn.execute(sa.select(found, sa.func.count()).where(where).group_by(found))
    counts = [0] * (len(edges) - 1)
    for i, n in rows:
        if 0 <= i < len(counts):
            counts[i] = n
    return counts


async def new_volunteers(
    conn: AsyncConnection, community_id: int, start: datetime, end: datetime
) -> int:
    result = await conn.execute(
        sa.select(sa.func.count()).where(
            volunteers.c.community_id == community_id,
            volunteers.c.active.is_(True),
            volunteers.c.joined_at >= start,
            volunteers.c.joined_at < end,
        )
    )
    return int(result.scalar_one())


async def waiting_topics(conn: AsyncConnection, community_id: int) -> list[tuple[str, int]]:
    """Open requests counted per topic as written."""
    rows = await conn.execute(
        sa.select(requests.c.topic, sa.func.count())
        .where(
            requests.c.community_id == community_id,
            requests.c.status == RequestStatus.OPEN.value,
        )
        .group_by(requests.c.topic)
    )
    return [(topic, int(n)) for topic, n in rows]


async def open_requests(conn: AsyncConnection, community_id: int) -> list[OpenRequest]:
    rows = await conn.execute(
        sa.select(
            requests.c.id,
            requests.c.seeker_id,
            requests.c.topic,
            requests.c.minutes,
            requests.c.format,
            # coalesce() keeps the column's type: an aware UTC datetime comes back.
            sa.func.coalesce(requests.c.submitted_at, requests.c.created_at).label("since"),
        )
        .where(
            requests.c.community_id == community_id,
            requests.c.status == RequestStatus.OPEN.value,
        )
        .order_by(requests.c.id)
    )
    return [OpenRequest(r.id, r.seeker_id, r.topic, r.minutes, r.format, r.since) for r in rows]


async def capacity_left(conn: AsyncConnection, community_id: int, now: datetime) -> tuple[int, int]:
    """Chats still available this month (each volunteer's own calendar month) across active,
    unpaused volunteers, and how many of them have room: what counts against capacity
    (`volunteers.load`) for all of them at once. Each volunteer's introductions this month
    and asks waiting are counted from their own index entries (a few each), so the cost
    follows the volunteers, not the history."""
    zones = await conn.execute(
        sa.select(volunteers.c.timezone).where(volunteers.c.community_id == community_id).distinct()
    )
    starts = {zone: month_start(now, zone) for (zone,) in zones}
    if not starts:
        return 0, 0
    own_start = sa.case(
        {zone: sa.literal(start, UTCDateTime()) for zone, start in starts.items()},
        value=volunteers.c.timezone,
        else_=sa.literal(min(starts.values()), UTCDateTime()),
    )
    used = (
        sa.select(sa.func.count())
        .where(
            introductions.c.volunteer_id == volunteers.c.member_id,
            introductions.c.created_at >= own_start,
        )
        .scalar_subquery()
    )
    waiting = (
        sa.select(sa.func.count())
        .where(
            asks.c.status.in_([s.value for s in ACTIVE_ASK]),
            asks.c.volunteer_id == volunteers.c.member_id,
        )
        .scalar_subquery()
    )
    # OFFSET 0 keeps the engines from copying the subqueries into each use of `left`.
    each = (
        sa.select((volunteers.c.monthly_capacity - used - waiting).label("left"))
        .where(
            volunteers.c.community_id == community_id,
            volunteers.c.active.is_(True),
            sa.or_(volunteers.c.paused_until.is_(None), volunteers.c.paused_until <= now),
        )
        .offset(0)
        .subquery()
    )
    row = (
        await conn.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(sa.case((each.c.left > 0, each.c.left), else_=0)), 0),
                sa.func.coalesce(sa.func.sum(sa.case((each.c.left > 0, 1), else_=0)), 0),
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def weekly_subscribers(conn: AsyncConnection, community_id: int) -> list[int]:
    """Active volunteers who opted into the personal weekly DM."""
    rows = await conn.execute(
        sa.select(volunteers.c.member_id)
        .join(members, members.c.id == volunteers.c.member_id)
        .where(
            volunteers.c.community_id == community_id,
            volunteers.c.active.is_(True),
            members.c.weekly_digest.is_(True),
        )
        .order_by(volunteers.c.member_id)
    )
    return [r.member_id for r in rows]


async def wants_weekly(conn: AsyncConnection, member_id: int) -> bool:
    result = await conn.execute(sa.select(members.c.weekly_digest).where(members.c.id == member_id))
    return bool(result.scalar_one_or_none())


async def set_weekly_digest(conn: AsyncConnection, member_id: int, on: bool) -> None:
    await conn.execute(sa.update(members).where(members.c.id == member_id).values(weekly_digest=on))
