"""Volunteer profiles and the counts matching needs about them."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.matching import posting_keys
from bot.domain.models import (
    ACTIVE_ASK,
    AskStatus,
    VolunteerProfile,
    VolunteerStats,
    Window,
)
from bot.storage import counters
from bot.storage.counters import ASKS_DAYS, NO_CHAT, NO_SHOW_DAYS, RECENT_DAYS
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


async def reindex(conn: AsyncConnection, profile: VolunteerProfile, community_id: int) -> None:
    """The profile's postings written anew (after it moved to another member row)."""
    await _index(conn, profile, community_id)


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
        "contact": profile.contact,
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
    intro_times, missed, outstanding, asked = await _counts_of(conn, ids, now)
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
                asks_recently=asked[member_id],
            )
        )
    return stats


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
) -> tuple[dict[int, list[datetime]], Counter[int], Counter[int], Counter[int]]:
    """In one query, for these volunteers only (indexed reads): their introductions of the
    last 90 days, the no-shows reported against them in the last 60 days (no-shows of
    seekers don't count), their asks waiting on a moderator or on them, and their asks of the
    last 60 days that didn't become an introduction."""
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
    no_chat = sa.select(sa.literal("l"), asks.c.volunteer_id, asks.c.decided_at).where(
        asks.c.volunteer_id.in_(volunteer_ids),
        asks.c.status.in_(NO_CHAT),
        asks.c.decided_at >= now - timedelta(days=ASKS_DAYS),
    )
    times: dict[int, list[datetime]] = defaultdict(list)
    counted: dict[str, Counter[int]] = {"n": Counter(), "a": Counter(), "l": Counter()}
    query = sa.union_all(intros, missed, waiting, no_chat)
    for kind, member_id, when in await conn.execute(query):
        if kind == "i":
            times[member_id].append(when)
        else:
            counted[kind][member_id] += 1
    return times, counted["n"], counted["a"], counted["l"]


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
        contact=row.contact,
    )
