"""Runs due jobs (reminders, expiries, follow-ups, digests) exactly once each.

Each job is claimed and carried out in one transaction: the claim, the state changes and
the outbox messages commit together. Two processes on one database never both run a job,
and after a restart whatever fell due while the bot was down runs once, late (a job that
would be stale by then, like an old week's digest, decides that for itself).

A clock that can be moved (the demo's `wait`, tests) is moved by `advance`: every job that
falls due on the way runs at its own due time, in order, as if the bot had been running.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import AdjustableClock, Clock
from bot.commands import CommunityRef
from bot.domain.community import CommunitySettings
from bot.domain.ranking import Ranking
from bot.metrics import Metrics
from bot.services.context import Scope
from bot.storage import jobs as store
from bot.storage.database import Database
from bot.storage.members import Community
from bot.storage.schema import communities

log = logging.getLogger(__name__)

JobHandler = Callable[[Scope, store.Job], Awaitable[None]]
# Runs in its own transaction before each round, e.g. to give every community its next digest.
Preparation = Callable[[AsyncConnection, datetime], Awaitable[None]]
# Read-only work a job does before it is claimed, in a snapshot beside the writer (e.g.
# computing a digest): its result reaches the handler as `Scope.prepared`.
JobSnapshot = Callable[[AsyncConnection, store.Job, datetime], Awaitable[object]]
MAX_ATTEMPTS = 5
RETRY = timedelta(minutes=5)


class JobRunner:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        handlers: Mapping[str, JobHandler],
        on_commit: Callable[[], None] | None = None,
        prepare: Sequence[Preparation] = (),
        snapshots: Mapping[str, JobSnapshot] | None = None,
        *,
        metrics: Metrics | None = None,
        ranking: Ranking | None = None,
        prepared_kinds: frozenset[str] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.handlers = handlers
        self.on_commit = on_commit
        self.prepare = prepare
        self.snapshots = snapshots or {}
        self.metrics = metrics  # None: nothing is counted
        self.ranking = ranking  # None: infochat's matching orders candidates
        # The kinds of job the preparations keep scheduled, one per community: once they
        # ran, they have nothing more to do until a job of these kinds ran (or failed) or a
        # community was added. None: unknown, they run before every round.
        self.prepared_kinds = prepared_kinds
        self._prepared_for: int | None = None  # communities when they last ran, if still so

    async def run_due(self, limit: int = 200) -> int:
        """Run every job due now (jobs a run schedules for now run too); returns how many ran."""
        ran = 0
        # The communities' rows, read once per round: no job changes a community's settings.
        known: dict[int, Community] = {}
        unchecked = bool(self.prepare)  # whether the preparations may have work to do
        while True:
            async with self.db.transaction() as conn:
                count = await self._unprepared(conn) if unchecked else None
                found = await store.due(conn, self.clock.now(), limit) if count is None else []
            unchecked = False
            if count is not None:  # prepare first, then read what is due
                await self._prepare(count)
                continue
            if not found:
                return ran
            progressed = False
            for job_id, kind in found:
                if await self._run(job_id, kind, known):
                    ran += 1
                    progressed = True
            if not progressed:
                return ran

    async def advance(self, delta: timedelta) -> int:
        """Move the clock forward by `delta`, stopping at each due time on the way to run what
        falls due then (including jobs scheduled by earlier ones); returns how many ran.

        Preparations run before the clock moves and at every stop, so jobs they schedule
        inside the span (a weekly digest, the next daily round) happen at their time too.
        """
        clock = self.clock
        if not isinstance(clock, AdjustableClock):
            raise TypeError("only an adjustable clock can be moved forward")
        if delta < timedelta(0):
            raise ValueError("time only moves forward")
        until = clock.now() + delta
        ran = await self.run_due()
        while True:
            async with self.db.transaction() as conn:
                due = await store.next_due_between(conn, clock.now(), until)
            if due is None:
                break
            clock.advance(max(due - clock.now(), timedelta(0)))  # real time moves on too
            ran += await self.run_due()
        clock.advance(max(until - clock.now(), timedelta(0)))
        return ran + await self.run_due()

    async def _unprepared(self, conn: AsyncConnection) -> int | None:
        """The number of communities (-1 when not counted) if the preparations are to run
        before this round; None when they have nothing to do (see `prepared_kinds`)."""
        if self.prepared_kinds is None:
            return -1
        count = await _count_communities(conn)
        return None if count == self._prepared_for else count

    async def _prepare(self, count: int) -> None:
        try:
            async with self.db.transaction() as conn:
                for step in self.prepare:
                    await step(conn, self.clock.now())
        except Exception:  # never let it hold up the jobs already due
            log.exception("jobs: preparing the round failed; running due jobs anyway")
            return
        self._prepared_for = count if count >= 0 else None

    async def _snapshot(self, job_id: int, kind: str, now: datetime) -> object:
        """The job's read-only work, done beside the writer before it is claimed."""
        if kind not in self.snapshots:
            return None
        async with self.db.read() as conn:
            job = await store.pending(conn, job_id, self.snapshots.keys())
            if job is None:
                return None
            return await self.snapshots[job.kind](conn, job, now)

    async def _run(self, job_id: int, kind: str, known: dict[int, Community]) -> bool:
        now = self.clock.now()
        if self.prepared_kinds is not None and kind in self.prepared_kinds:
            self._prepared_for = None  # run or failed, it needs a successor: prepare again
        try:
            prepared = await self._snapshot(job_id, kind, now)
            async with self.db.transaction() as conn:
                job = await store.claim(conn, job_id, now)
                if job is None:
                    return False  # another process ran it
                handler = self.handlers.get(job.kind)
                if handler is None:
                    log.error("jobs: no handler for %s (job %s); dropped", job.kind, job.id)
                    return False
                community = known.get(job.community_id)
                if community is None:
                    community = known[job.community_id] = await _community(conn, job.community_id)
                scope = Scope(conn, now, community, prepared=prepared, ranking=self.ranking)
                await handler(scope, job)
                await scope.flush()
                kind, due_at = job.kind, job.due_at
        except Exception as exc:
            log.exception("jobs: job %s failed; will retry", job_id)
            async with self.db.transaction() as conn:
                attempts = (
                    await conn.execute(
                        sa.select(store.jobs.c.attempts).where(store.jobs.c.id == job_id)
                    )
                ).scalar_one()
                await store.postpone(
                    conn,
                    job_id,
                    now + RETRY * (attempts + 1),
                    repr(exc),
                    give_up=attempts + 1 >= MAX_ATTEMPTS,
                )
            return False
        if self.metrics is not None:  # lag on the injected clock: how late it ran, as run
            self.metrics.job(kind, (now - due_at).total_seconds())
        if self.on_commit is not None:
            self.on_commit()
        return True

    async def run_forever(self, poll_seconds: float = 30.0) -> None:
        while True:
            try:
                await self.run_due()
            except Exception:
                log.exception("jobs: round failed; retrying")
            await asyncio.sleep(poll_seconds)


async def _community(conn: AsyncConnection, community_id: int) -> Community:
    row = (await conn.execute(sa.select(communities).where(communities.c.id == community_id))).one()
    return Community(
        row.id,
        CommunityRef(row.platform, row.external_id, row.name),
        CommunitySettings.stored(row.settings),
    )


async def _count_communities(conn: AsyncConnection) -> int:
    return (await conn.execute(sa.select(sa.func.count()).select_from(communities))).scalar_one()
