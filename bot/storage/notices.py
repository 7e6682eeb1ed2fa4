"""Notes shown to a member once: whether they have been shown yet."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.inserts import insert_missing
from bot.storage.schema import notices


async def first_time(conn: AsyncConnection, member_id: int, kind: str, now: datetime) -> bool:
    """Record that the member is shown `kind` now; True only the first time.

    Insert-or-nothing, without a lock: this runs after a command's own work, so waiting
    for the member's row here could deadlock with a concurrent command of theirs.
    """
    values = {"member_id": member_id, "kind": kind, "created_at": now}
    return await insert_missing(conn, notices, values, key=("member_id", "kind"))
