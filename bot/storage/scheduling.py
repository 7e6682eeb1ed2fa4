"""An introduction's proposed times and the one picked (R8). Each change is conditional on
nothing having been picked or declined yet, so a repeated or concurrent click changes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.followup import AFTER_INTRODUCTION
from bot.storage import jobs
from bot.storage.schema import introductions

FOLLOWUP_JOBS = ("followup",)  # `services.followups.KIND`


@dataclass(frozen=True)
class Scheduling:
    intro_id: int
    community_id: int
    request_id: int
    seeker_id: int
    volunteer_id: int
    minutes: int
    slots: tuple[datetime, ...]  # proposed starts, UTC; empty once "none of these fit"
    slot_start: datetime | None  # the one picked
    completed_at: datetime | None


async def get(conn: AsyncConnection, intro_id: int, *, lock: bool = False) -> Scheduling | None:
    query = sa.select(introductions).where(introductions.c.id == intro_id)
    if lock and conn.dialect.name != "sqlite":  # SQLite writers are serialised already
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return _scheduling(row) if row else None


async def set_slots(conn: AsyncConnection, intro_id: int, slots: Iterable[datetime]) -> None:
    await conn.execute(
        sa.update(introductions)
        .where(introductions.c.id == intro_id)
        .values(slots=[s.astimezone(UTC).isoformat() for s in slots])
    )


async def pick(conn: AsyncConnection, intro_id: int, start: datetime) -> bool:
    """Record the picked start; False if a time was picked already."""
    result = await conn.execute(
        sa.update(introductions)
        .where(introductions.c.id == intro_id, introductions.c.slot_start.is_(None))
        .values(slot_start=start)
    )
    if result.rowcount != 1:
        return False
    # The follow-up some days after the introduction now waits for the slot (AFTER_SLOT).
    await jobs.cancel(conn, FOLLOWUP_JOBS, intro_id, AFTER_INTRODUCTION)
    return True


async def none_fit(conn: AsyncConnection, intro_id: int) -> bool:
    """Withdraw the proposed times; False if a time was picked already."""
    result = await conn.execute(
        sa.update(introductions)
        .where(introductions.c.id == intro_id, introductions.c.slot_start.is_(None))
        .values(slots=[])
    )
    return result.rowcount == 1


def _scheduling(row: Any) -> Scheduling:
    return Scheduling(
        intro_id=row.id,
        community_id=row.community_id,
        request_id=row.request_id,
        seeker_id=row.seeker_id,
        volunteer_id=row.volunteer_id,
        minutes=row.minutes,
        slots=tuple(datetime.fromisoformat(s).astimezone(UTC) for s in row.slots),
        slot_start=row.slot_start,
        completed_at=row.completed_at,
    )
