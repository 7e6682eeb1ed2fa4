"""The facts weekly digests are made of, and who asked for a personal weekly DM."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import CommunityRef
from bot.domain.community import CommunitySettings
from bot.domain.digest import Person
from bot.domain.models import RequestStatus
from bot.storage.members import Community
from bot.storage.schema import communities, jobs, members, requests, volunteers
from bot.storage.volunteers import load


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
    rows = await conn.execute(sa.select(communities).order_by(communities.c.id))
    return [
        Community(
            r.id,
            CommunityRef(r.platform, r.external_id, r.name),
            CommunitySettings.stored(r.settings),
        )
        for r in rows
    ]


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


async def people(conn: AsyncConnection, member_ids: set[int]) -> dict[int, Person]:
    if not member_ids:
        return {}
    rows = await conn.execute(
        sa.select(members.c.id, members.c.display_name, members.c.public_recognition).where(
            members.c.id.in_(sorted(member_ids))
        )
    )
    return {r.id: Person(r.display_name, bool(r.public_recognition)) for r in rows}


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


async def submitted_since(
    conn: AsyncConnection, community_id: int, start: datetime, end: datetime
) -> list[datetime]:
    rows = await conn.execute(
        sa.select(requests.c.submitted_at).where(
            requests.c.community_id == community_id,
            requests.c.submitted_at >= start,
            requests.c.submitted_at < end,
        )
    )
    return [r.submitted_at for r in rows]


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
    unpaused volunteers, and how many of them have room."""
    rows = await conn.execute(
        sa.select(
            volunteers.c.member_id, volunteers.c.timezone, volunteers.c.monthly_capacity
        ).where(
            volunteers.c.community_id == community_id,
            volunteers.c.active.is_(True),
            sa.or_(volunteers.c.paused_until.is_(None), volunteers.c.paused_until <= now),
        )
    )
    total = with_room = 0
    for r in rows.all():
        left = max(0, r.monthly_capacity - await load(conn, r.member_id, r.timezone, now))
        total += left
        with_room += left > 0
    return total, with_room


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
