"""Moving an adjustable clock runs every job that falls due on the way, at its own due time
and in order, including jobs that earlier ones schedule within the span."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import FakeClock, OffsetClock, SystemClock
from bot.commands import CommunityRef
from bot.domain.community import CommunitySettings
from bot.jobs import JobRunner
from bot.services.context import Scope
from bot.storage import jobs as job_store
from bot.storage.database import Database, sqlite_url
from bot.storage.jobs import Job
from bot.storage.members import get_or_create_community
from tests.support import COMMUNITY

START = datetime(2026, 1, 5, 9, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(sqlite_url(tmp_path / "jobs.db"))
    await database.migrate()
    async with database.transaction() as conn:
        community = await get_or_create_community(conn, COMMUNITY, CommunitySettings(), START)
        for hours in (5, 1, 3):
            await job_store.schedule(conn, community.id, "tick", hours, START + hours * HOUR, START)
    yield database
    await database.dispose()


class Ticking:
    """Real time as a test sees it: a little later every time it is read."""

    def __init__(self) -> None:
        self.at = START

    def now(self) -> datetime:
        self.at += timedelta(milliseconds=1)
        return self.at


async def test_advance_runs_each_job_at_its_due_time_in_order(db: Database) -> None:
    clock = FakeClock(START)
    ran: list[tuple[str, datetime]] = []

    async def tick(scope: Scope, job: Job) -> None:
        ran.append((job.target, scope.now))
        if job.target == "3":  # schedules a job inside the span: it runs too, at its time
            due = scope.now + HOUR
            await job_store.schedule(scope.conn, job.community_id, "tick", "4", due, scope.now)

    runner = JobRunner(db, clock, {"tick": tick})
    assert await runner.advance(6 * HOUR) == 4
    assert ran == [(t, START + int(t) * HOUR) for t in ("1", "3", "4", "5")]
    assert clock.now() == START + 6 * HOUR


async def test_advance_on_real_time_moved_forward(db: Database) -> None:
    clock = OffsetClock(Ticking())
    ran: list[str] = []

    async def tick(scope: Scope, job: Job) -> None:
        ran.append(job.target)

    runner = JobRunner(db, clock, {"tick": tick})
    await runner.advance(5 * HOUR)  # the last job is due at the very end: no step back
    assert ran == ["1", "3", "5"]
    assert START + 5 * HOUR <= clock.now() < START + 5 * HOUR + timedelta(seconds=1)


async def test_real_time_cannot_be_skipped(db: Database) -> None:
    runner = JobRunner(db, SystemClock(), {})
    with pytest.raises(TypeError):
        await runner.advance(HOUR)


async def test_cancel_drops_only_the_pending_jobs_of_those_kinds(db: Database) -> None:
    async with db.transaction() as conn:
        await job_store.cancel(conn, ("tick", "other"), 3)
        await job_store.cancel(conn, ("other",), 1)
    async with db.read() as conn:
        due = await job_store.due(conn, START + 6 * HOUR, 10)
    assert [kind for _, kind in due] == ["tick", "tick"]
    assert len(due) == 2  # ticks 1 and 5 remain


async def test_preparations_run_again_only_when_a_prepared_job_ran_or_a_community_came(
    db: Database,
) -> None:
    clock = FakeClock(START)
    prepared: list[datetime] = []

    async def prepare(conn: AsyncConnection, now: datetime) -> None:
        prepared.append(now)

    async def tick(scope: Scope, job: Job) -> None:
        return None

    runner = JobRunner(
        db, clock, {"tick": tick}, prepare=(prepare,), prepared_kinds=frozenset({"tick"})
    )
    await runner.run_due()
    await runner.run_due()
    assert prepared == [START]  # nothing changed: not again
    clock.advance(HOUR)
    await runner.run_due()  # a "tick" ran: its successor may be missing now
    assert prepared == [START]
    await runner.run_due()
    await runner.run_due()
    assert prepared == [START, START + HOUR]
    async with db.transaction() as conn:
        another = CommunityRef("console", "another", "Another community")
        await get_or_create_community(conn, another, CommunitySettings(), START)
    await runner.run_due()  # a new community: it needs its jobs
    assert prepared == [START, START + HOUR, START + HOUR]


async def test_without_prepared_kinds_the_preparations_run_every_round(db: Database) -> None:
    clock = FakeClock(START)
    prepared: list[datetime] = []

    async def prepare(conn: AsyncConnection, now: datetime) -> None:
        prepared.append(now)

    runner = JobRunner(db, clock, {}, prepare=(prepare,))
    await runner.run_due()
    await runner.run_due()
    assert prepared == [START, START]
