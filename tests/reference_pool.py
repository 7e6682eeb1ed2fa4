"""The whole volunteer pool of a community, as the reference ranking (`matching.rank`) scores
it: what tests compare matching's shortlist with."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.models import VolunteerStats
from bot.storage import schema, volunteers


async def pool(
    conn: AsyncConnection,
    community_id: int,
    seeker_id: int,
    request_id: int,
    now: datetime,
) -> list[VolunteerStats]:
    """Every active volunteer of the community, with their counts for this request: what the
    reference `matching.rank` scores in full (tests compare the shortlist with it)."""
    ids = [
        r[0]
        for r in await conn.execute(
            sa.select(schema.volunteers.c.member_id)
            .where(
                schema.volunteers.c.community_id == community_id,
                schema.volunteers.c.active.is_(True),
            )
            .order_by(schema.volunteers.c.member_id)
        )
    ]
    context = await volunteers.request_context(conn, community_id, seeker_id, request_id)
    stats: list[VolunteerStats] = []
    for start in range(0, len(ids), 500):
        stats += await volunteers.stats_of(conn, ids[start : start + 500], context, now)
    return stats
