"""Introductions after the chat (R12): who confirmed it, completion, private no-show reports.

Every change is conditional on the state it expects, so a repeated or concurrent click
changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.followup import IntroductionStatus
from bot.storage import counters
from bot.storage.inserts import insert_missing
from bot.storage.schema import introductions, no_shows


@dataclass(frozen=True)
class Introduction:
    id: int
    community_id: int
    request_id: int
    seeker_id: int
    volunteer_id: int
    minutes: int
    status: IntroductionStatus
    created_at: datetime
    slot_start: datetime | None
    seeker_confirmed: bool
    volunteer_confirmed: bool
    completed_at: datetime | None

    def confirmed_by(self, member_id: int) -> bool:
        if member_id == self.seeker_id:
            return self.seeker_confirmed
        return member_id == self.volunteer_id and self.volunteer_confirmed

    def other(self, member_id: int) -> int:
        return self.volunteer_id if member_id == self.seeker_id else self.seeker_id


async def get_introduction(conn: AsyncConnection, introduction_id: int) -> Introduction | None:
    row = (
        await conn.execute(sa.select(introductions).where(introductions.c.id == introduction_id))
    ).first()
    return _introduction(row) if row else None


async def confirm(conn: AsyncConnection, intro: Introduction, member_id: int) -> bool:
    """Record that `member_id` (the seeker or the volunteer) says the chat happened; once."""
    column = (
        introductions.c.seeker_confirmed
        if member_id == intro.seeker_id
        else introductions.c.volunteer_confirmed
    )
    result = await conn.execute(
        sa.update(introductions)
        .where(introductions.c.id == intro.id, column.is_(False))
        .values({column: True})
    )
    return result.rowcount == 1


async def complete(conn: AsyncConnection, introduction_id: int, now: datetime) -> bool:
    """The first confirmation completes the chat; True only that once."""
    result = await conn.execute(
        sa.update(introductions)
        .where(introductions.c.id == introduction_id, introductions.c.completed_at.is_(None))
        .values(status=IntroductionStatus.COMPLETED.value, completed_at=now)
    )
    return result.rowcount == 1


async def mark_not_happened(conn: AsyncConnection, introduction_id: int) -> bool:
    result = await conn.execute(
        sa.update(introductions)
        .where(
            introductions.c.id == introduction_id,
            introductions.c.status == IntroductionStatus.INTRODUCED.value,
        )
        .values(status=IntroductionStatus.NOT_HAPPENED.value)
    )
    return result.rowcount == 1


async def reporters(conn: AsyncConnection, introduction_id: int) -> set[int]:
    """Who said this chat didn't happen."""
    rows = await conn.execute(
        sa.select(no_shows.c.reporter_id).where(no_shows.c.introduction_id == introduction_id)
    )
    return {r.reporter_id for r in rows}


async def report_no_show(
    conn: AsyncConnection, intro: Introduction, reporter_id: int, now: datetime
) -> bool:
    """A private record that the other member didn't turn up (never shown publicly); False
    if this reporter made it already."""
    values = {
        "introduction_id": intro.id,
        "reporter_id": reporter_id,
        "member_id": intro.other(reporter_id),
        "created_at": now,
    }
    if not await insert_missing(conn, no_shows, values, ("introduction_id", "reporter_id")):
        return False
    await counters.touched(conn, intro.other(reporter_id))
    return True


async def withdraw_no_show(conn: AsyncConnection, introduction_id: int, reporter_id: int) -> None:
    """The reporter says the chat happened after all: their report goes."""
    removed = await conn.execute(
        sa.delete(no_shows)
        .where(no_shows.c.introduction_id == introduction_id, no_shows.c.reporter_id == reporter_id)
        .returning(no_shows.c.member_id)
    )
    for (member_id,) in removed.all():
        await counters.touched(conn, member_id)


async def completed_as_seeker(conn: AsyncConnection, member_id: int) -> int:
    result = await conn.execute(
        sa.select(sa.func.count()).where(
            introductions.c.seeker_id == member_id,
            introductions.c.status == IntroductionStatus.COMPLETED.value,
        )
    )
    return int(result.scalar_one())


async def latest_completed_as_seeker(conn: AsyncConnection, member_id: int) -> Introduction | None:
    row = (
        await conn.execute(
            sa.select(introductions)
            .where(
                introductions.c.seeker_id == member_id,
                introductions.c.status == IntroductionStatus.COMPLETED.value,
            )
            .order_by(introductions.c.completed_at.desc(), introductions.c.id.desc())
            .limit(1)
        )
    ).first()
    return _introduction(row) if row else None


def _introduction(row: Any) -> Introduction:
    return Introduction(
        id=row.id,
        community_id=row.community_id,
        request_id=row.request_id,
        seeker_id=row.seeker_id,
        volunteer_id=row.volunteer_id,
        minutes=row.minutes,
        status=IntroductionStatus(row.status),
        created_at=row.created_at,
        slot_start=row.slot_start,
        seeker_confirmed=row.seeker_confirmed,
        volunteer_confirmed=row.volunteer_confirmed,
        completed_at=row.completed_at,
    )
