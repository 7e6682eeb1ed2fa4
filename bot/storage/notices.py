"""Notes shown to a member once: whether they have been shown yet."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.members import lock_member
from bot.storage.schema import notices


async def first_time(conn: AsyncConnection, member_id: int, kind: str, now: datetime) -> bool:
    """Record that the member is shown `kind` now; True only the first time.

    The member's row lock serialises their concurrent commands (PostgreSQL), so two first
    commands at once can't both insert.
    """
    await lock_member(conn, member_id)
    shown = await conn.execute(
        sa.select(notices.c.kind).where(notices.c.member_id == member_id, notices.c.kind == kind)
    )
    if shown.first() is not None:
        return False
    await conn.execute(sa.insert(notices).values(member_id=member_id, kind=kind, created_at=now))
    return True
