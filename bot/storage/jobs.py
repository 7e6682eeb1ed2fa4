"""Due jobs: scheduled once per (kind, period, target), run once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.inserts import insert_missing, insert_missing_rows
from bot.storage.schema import jobs

__all__ = [
    "Job",
    "cancel",
    "claim",
    "due",
    "jobs",
    "next_due_between",
    "overdue",
    "pending",
    "postpone",
    "schedule",
    "schedule_many",
]


@dataclass(frozen=True)
class Job:
    id: int
    community_id: int
    kind: str
    period: str
    target: str
    due_at: datetime
    attempts: int


def _row(
    community_id: int, kind: str, period: str, target: str | int, due_at: datetime, now: datetime
) -> dict[str, Any]:
    return {
        "community_id": community_id,
        "kind": kind,
        "period": period,
        "target": str(target),
        "due_at": due_at,
        "status": "pending",
        "attempts": 0,
        "created_at": now,
    }


async def schedule(
    conn: AsyncConnection,
    community_id: int,
    kind: str,
    target: str | int,
    due_at: datetime,
    now: datetime,
    period: str = "",
) -> bool:
    """Add the job unless (kind, period, target) exists already; True if it was added."""
    values = _row(community_id, kind, period, target, due_at, now)
    return await insert_missing(conn, jobs, values, key=("kind", "period", "target"))


async def schedule_many(
    conn: AsyncConnection,
    community_id: int,
    kind: str,
    targets: Iterable[str | int],
    due_at: datetime,
    now: datetime,
    period: str = "",
) -> None:
    """`schedule` for many targets in one statement."""
    rows = [_row(community_id, kind, period, target, due_at, now) for target in targets]
    await insert_missing_rows(conn, jobs, rows, key=("kind", "period", "target"))


async def cancel(
    conn: AsyncConnection, kinds: Iterable[str], target: str | int, period: str = ""
) -> None:
    """Delete the pending jobs (kind, period, target) of `kinds`: the thing they would act on
    has moved past them (an ask answered, a request closed), so the runner needn't wake for
    them only to find nothing to do. Through the (kind, period, target) unique index."""
    await conn.execute(
        sa.delete(jobs).where(
            jobs.c.kind.in_(sorted(kinds)),
            jobs.c.period == period,
            jobs.c.target == str(target),
            jobs.c.status == "pending",
        )
    )


async def due(conn: AsyncConnection, now: datetime, limit: int) -> list[tuple[int, str]]:
    """(id, kind) of the pending jobs due at `now`, the earliest first."""
    rows = await conn.execute(
        sa.select(jobs.c.id, jobs.c.kind)
        .where(jobs.c.status == "pending", jobs.c.due_at <= now)
        .order_by(jobs.c.due_at, jobs.c.id)
        .limit(limit)
    )
    return [(row.id, row.kind) for row in rows]


async def next_due_between(
    conn: AsyncConnection, after: datetime, until: datetime
) -> datetime | None:
    """The earliest due time of a pending job in (after, until], if any."""
    return (
        await conn.execute(
            sa.select(jobs.c.due_at)
            .where(jobs.c.status == "pending", jobs.c.due_at > after, jobs.c.due_at <= until)
            .order_by(jobs.c.due_at)
            .limit(1)
        )
    ).scalar_one_or_none()


async def overdue(conn: AsyncConnection, kind: str, target: str | int, now: datetime) -> bool:
    """Whether a pending job (kind, target) is already due at `now`."""
    found = await conn.execute(
        sa.select(jobs.c.id)
        .where(
            jobs.c.kind == kind,
            jobs.c.target == str(target),
            jobs.c.status == "pending",
            jobs.c.due_at <= now,
        )
        .limit(1)
    )
    return found.first() is not None


async def pending(conn: AsyncConnection, job_id: int, kinds: Iterable[str]) -> Job | None:
    """The job if it is still pending and of one of `kinds` (read only: nothing is claimed)."""
    row = (
        await conn.execute(
            sa.select(jobs).where(
                jobs.c.id == job_id, jobs.c.status == "pending", jobs.c.kind.in_(sorted(kinds))
            )
        )
    ).first()
    if row is None:
        return None
    return Job(row.id, row.community_id, row.kind, row.period, row.target, row.due_at, row.attempts)


async def claim(conn: AsyncConnection, job_id: int, now: datetime) -> Job | None:
    """Mark the job done, if still pending, in the caller's transaction: the job's effects
    commit with the mark, so it runs once even when two processes race for it."""
    row = (
        await conn.execute(
            sa.update(jobs)
            .where(jobs.c.id == job_id, jobs.c.status == "pending")
            .values(status="done", done_at=now, attempts=jobs.c.attempts + 1)
            .returning(
                jobs.c.id,
                jobs.c.community_id,
                jobs.c.kind,
                jobs.c.period,
                jobs.c.target,
                jobs.c.due_at,
                jobs.c.attempts,
            )
        )
    ).first()
    if row is None:
        return None
    return Job(row.id, row.community_id, row.kind, row.period, row.target, row.due_at, row.attempts)


async def postpone(
    conn: AsyncConnection, job_id: int, due_at: datetime, error: str, *, give_up: bool
) -> None:
    await conn.execute(
        sa.update(jobs)
        .where(jobs.c.id == job_id, jobs.c.status == "pending")
        .values(
            due_at=due_at,
            attempts=jobs.c.attempts + 1,
            last_error=error[:500],
            status="failed" if give_up else "pending",
        )
    )
