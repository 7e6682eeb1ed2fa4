"""Thank-you notes (R12): one per introduction, from the seeker to the volunteer."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.schema import thanks


async def record(
    conn: AsyncConnection,
    introduction_id: int,
    from_id: int,
    to_id: int,
    text: str,
    now: datetime,
) -> bool:
    """Store the note unless this introduction was thanked already; True if it was stored."""
    if await exists(conn, introduction_id):
        return False
    try:
        async with conn.begin_nested():  # a concurrent submit may get there first
            await conn.execute(
                sa.insert(thanks).values(
                    introduction_id=introduction_id,
                    from_id=from_id,
                    to_id=to_id,
                    text=text,
                    created_at=now,
                )
            )
    except IntegrityError:
        return False
    return True


async def exists(conn: AsyncConnection, introduction_id: int) -> bool:
    query = sa.select(thanks.c.id).where(thanks.c.introduction_id == introduction_id)
    return (await conn.execute(query)).first() is not None
