"""Daily housekeeping: what is kept only for a while is dropped when its time is up.

Cached replies to commands (they answer a retried delivery, which comes within minutes) and
finished outbox deliveries (a record of what was sent, which names members) are kept for
`RETENTION`. State that matters (requests, introductions, the ledger, jobs that must never
run twice) is never touched here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.jobs import JobHandler
from bot.services.context import Scope
from bot.storage import jobs
from bot.storage.digest import all_communities, pending_targets
from bot.storage.jobs import Job
from bot.storage.schema import outbox, processed_commands

KIND = "housekeeping"
RETENTION = timedelta(days=30)
DAY = timedelta(days=1)


async def schedule_next(conn: AsyncConnection, community_id: int, now: datetime) -> None:
    due = now + DAY
    await jobs.schedule(conn, community_id, KIND, community_id, due, now, due.date().isoformat())


async def ensure_housekeeping(conn: AsyncConnection, now: datetime) -> None:
    """Every community has its next daily round scheduled (idempotent)."""
    pending = await pending_targets(conn, KIND)
    for community in await all_communities(conn):
        if str(community.id) not in pending:
            await schedule_next(conn, community.id, now)


async def run(scope: Scope, job: Job) -> None:
    """Drop what has expired, then schedule tomorrow's round (from now: after downtime, one
    round catches up)."""
    cutoff = scope.now - RETENTION
    cid = scope.community.id
    await scope.conn.execute(
        sa.delete(processed_commands).where(
            processed_commands.c.community_id == cid, processed_commands.c.created_at < cutoff
        )
    )
    await scope.conn.execute(
        sa.delete(outbox).where(
            outbox.c.community_id == cid,
            outbox.c.status.in_(("sent", "failed")),
            outbox.c.created_at < cutoff,
        )
    )
    await schedule_next(scope.conn, cid, scope.now)


JOBS: dict[str, JobHandler] = {KIND: run}
