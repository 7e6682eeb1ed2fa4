"""What a delivery worker writes while it holds a lease on outbox rows.

Every statement names the lease's token: a worker whose lease lapsed (and was taken over by
another) can neither record an outcome, extend, nor release what is no longer its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.schema import outbox


def _held(token: str) -> tuple[sa.ColumnElement[bool], ...]:
    return (outbox.c.lease_token == token, outbox.c.status == "pending")


async def mark_started(conn: AsyncConnection, row_id: int, token: str, now: datetime) -> bool:
    """Written before the send: if the outcome is never recorded (a crash, a lapsed lease),
    the next claim knows the platform may already have the message. False when the row is
    no longer leased under `token`: it must not be sent."""
    result = await conn.execute(
        sa.update(outbox).where(outbox.c.id == row_id, *_held(token)).values(started_at=now)
    )
    return result.rowcount == 1


async def record(
    conn: AsyncConnection, row_id: int, token: str, values: Mapping[str, object]
) -> bool:
    """The outcome of an attempt, ending the lease; False when the lease is no longer ours."""
    result = await conn.execute(
        sa.update(outbox)
        .where(outbox.c.id == row_id, *_held(token))
        .values(**values, claimed_until=None, lease_token=None, started_at=None)
    )
    return result.rowcount == 1


async def extend(conn: AsyncConnection, token: str, until: datetime) -> int:
    """Move the lease's end; how many rows it still holds."""
    result = await conn.execute(sa.update(outbox).where(*_held(token)).values(claimed_until=until))
    return int(result.rowcount)


async def release(conn: AsyncConnection, token: str, in_flight: int | None) -> None:
    """Give back every row still leased under `token`, to be claimed again at once. Rows
    never sent don't count as an attempt; the one whose send was interrupted (`in_flight`)
    does, and the next attempt checks whether it reached the platform."""
    free = {"claimed_until": None, "lease_token": None, "started_at": None}
    if in_flight is not None:
        await conn.execute(
            sa.update(outbox)
            .where(outbox.c.id == in_flight, *_held(token))
            .values(**free, in_doubt=True)
        )
    await conn.execute(
        sa.update(outbox).where(*_held(token)).values(**free, attempts=outbox.c.attempts - 1)
    )


async def backlog(conn: AsyncConnection, now: datetime) -> tuple[int, float]:
    """How many messages are pending, and how long (seconds) the one due the longest has
    been due (0 when none is): for readiness and the outbox gauges. Both are served by the
    (status, next_attempt_at) index: a count over it and its first entry."""
    pending = (
        await conn.execute(sa.select(sa.func.count()).where(outbox.c.status == "pending"))
    ).scalar_one()
    oldest = (
        await conn.execute(
            sa.select(sa.func.min(outbox.c.next_attempt_at)).where(
                outbox.c.status == "pending", outbox.c.next_attempt_at <= now
            )
        )
    ).scalar_one()
    age = 0.0 if oldest is None else max(0.0, (now - _aware(oldest)).total_seconds())
    return int(pending), age


def _aware(moment: datetime) -> datetime:
    """A min() over a UTC column may come back naive on SQLite (no column type to apply)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
