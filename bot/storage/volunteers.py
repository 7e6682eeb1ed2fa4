"""Volunteer profiles and the counts matching needs about them."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, time, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.matching import profile_keys, request_keys
from bot.domain.models import (
    ACTIVE_ASK,
    AskStatus,
    RequestFields,
    VolunteerProfile,
    VolunteerStats,
    Window,
)
from bot.storage.inserts import insert_or_update
from bot.storage.schema import (
    asks,
    communities,
    introductions,
    members,
    no_shows,
    requests,
    volunteers,
)

RECENT_DAYS = 90
NO_SHOW_DAYS = 60  # a reported no-show lowers matching priority this long (R12)


def month_start(now: datetime, timezone: str) -> datetime:
    """The start of `now`'s calendar month in `timezone`, as an aware datetime."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


class ProfileCache:
    """Parsed profiles per community, indexed for matching, reused while the community's
    volunteer version holds.

    Any change to a profile writes a new random version in the same transaction, so a change
    made by another process (or rolled back in this one) is never served stale: a version
    token is never reused.
    """

    def __init__(self) -> None:
        self._entries: dict[int, tuple[str, _Indexed]] = {}

    async def candidates(
        self, conn: AsyncConnection, community_id: int, fields: RequestFields
    ) -> list[VolunteerProfile]:
        """Active volunteers who share at least one matching key with the request."""
        index = await self._index(conn, community_id)
        found: dict[int, VolunteerProfile] = {}
        for key in request_keys(fields):
            for profile in index.get(key, ()):
                found[profile.member_id] = profile
        return sorted(found.values(), key=lambda p: p.member_id)

    async def _index(self, conn: AsyncConnection, community_id: int) -> _Indexed:
        version = (
            await conn.execute(
                sa.select(communities.c.volunteers_version).where(communities.c.id == community_id)
            )
        ).scalar_one()
        entry = self._entries.get(community_id)
        if entry is not None and entry[0] == version and version:
            return entry[1]
        rows = await conn.execute(
            _select_profiles().where(
                volunteers.c.community_id == community_id, volunteers.c.active.is_(True)
            )
        )
        index: _Indexed = defaultdict(list)
        for row in rows:
            profile = _profile(row)
            for key in profile_keys(profile):
                index[key].append(profile)
        self._entries[community_id] = (version, index)
        return index


_Indexed = dict[str, list[VolunteerProfile]]


async def _bump(conn: AsyncConnection, community_id: int) -> None:
    await conn.execute(
        sa.update(communities)
        .where(communities.c.id == community_id)
        .values(volunteers_version=uuid4().hex)
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
    await _bump(conn, community_id)


async def remove_profile(conn: AsyncConnection, member_id: int, community_id: int) -> None:
    await conn.execute(sa.delete(volunteers).where(volunteers.c.member_id == member_id))
    await _bump(conn, community_id)


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
    result = await conn.execute(
        sa.update(volunteers)
        .where(volunteers.c.member_id == member_id)
        .values(paused_until=until, updated_at=now)
        .returning(volunteers.c.community_id)
    )
    for (community_id,) in result.all():
        await _bump(conn, community_id)


async def pool(
    conn: AsyncConnection,
    cache: ProfileCache,
    community_id: int,
    fields: RequestFields,
    seeker_id: int,
    request_id: int,
    now: datetime,
) -> list[VolunteerStats]:
    """Every active, unpaused volunteer of the community, with their counts for this request."""
    profiles = [
        p
        for p in await cache.candidates(conn, community_id, fields)
        if p.paused_until is None or p.paused_until <= now
    ]
    intro_times = await _introductions_since(
        conn, [p.member_id for p in profiles], now - timedelta(days=RECENT_DAYS)
    )
    outstanding = await _outstanding(conn, community_id)
    declined = await _declined_seeker(conn, seeker_id)
    missed = await _no_shows_since(conn, community_id, now - timedelta(days=NO_SHOW_DAYS))
    asked = {
        r.volunteer_id
        for r in await conn.execute(
            sa.select(asks.c.volunteer_id).where(asks.c.request_id == request_id)
        )
    }
    starts: dict[str, datetime] = {}
    stats = []
    for p in profiles:
        times = intro_times.get(p.member_id, [])
        start = starts.get(p.timezone) or starts.setdefault(
            p.timezone, month_start(now, p.timezone)
        )
        stats.append(
            VolunteerStats(
                profile=p,
                used_this_month=sum(1 for t in times if t >= start),
                outstanding=outstanding[p.member_id],
                given_recently=len(times),
                last_declined_seeker_at=declined.get(p.member_id),
                asked_for_request=p.member_id in asked,
                no_shows_recently=missed[p.member_id],
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


async def _introductions_since(
    conn: AsyncConnection, volunteer_ids: list[int], since: datetime
) -> dict[int, list[datetime]]:
    """Recent introductions of these volunteers only (the index on volunteer_id, created_at)."""
    if not volunteer_ids:
        return {}
    rows = await conn.execute(
        sa.select(introductions.c.volunteer_id, introductions.c.created_at).where(
            introductions.c.volunteer_id.in_(volunteer_ids), introductions.c.created_at >= since
        )
    )
    times: dict[int, list[datetime]] = defaultdict(list)
    for r in rows:
        times[r.volunteer_id].append(r.created_at)
    return times


async def _outstanding(conn: AsyncConnection, community_id: int) -> Counter[int]:
    rows = await conn.execute(
        sa.select(asks.c.volunteer_id, sa.func.count())
        .join(requests, requests.c.id == asks.c.request_id)
        .where(
            requests.c.community_id == community_id,
            asks.c.status.in_([s.value for s in ACTIVE_ASK]),
        )
        .group_by(asks.c.volunteer_id)
    )
    return Counter({r[0]: int(r[1]) for r in rows})


async def _no_shows_since(
    conn: AsyncConnection, community_id: int, since: datetime
) -> Counter[int]:
    """Chats volunteers missed, as their seekers reported (no-shows of seekers don't count)."""
    rows = await conn.execute(
        sa.select(no_shows.c.member_id, sa.func.count())
        .join(introductions, introductions.c.id == no_shows.c.introduction_id)
        .where(
            introductions.c.community_id == community_id,
            no_shows.c.member_id == introductions.c.volunteer_id,
            no_shows.c.created_at >= since,
        )
        .group_by(no_shows.c.member_id)
    )
    return Counter({r[0]: int(r[1]) for r in rows})


async def _declined_seeker(conn: AsyncConnection, seeker_id: int) -> dict[int, datetime]:
    rows = await conn.execute(
        sa.select(asks.c.volunteer_id, sa.func.max(asks.c.decided_at))
        .join(requests, requests.c.id == asks.c.request_id)
        .where(requests.c.seeker_id == seeker_id, asks.c.status == AskStatus.DECLINED.value)
        .group_by(asks.c.volunteer_id)
    )
    # max() keeps the column's type, so `when` comes back as an aware UTC datetime.
    return {volunteer_id: when for volunteer_id, when in rows if when is not None}


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
