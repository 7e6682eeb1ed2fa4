"""Two worker OS processes race over the same due jobs on one SQLite file: every job runs
exactly once, its effects and its outbox message committed with its claim."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.clock import FakeClock
from bot.domain.community import CommunitySettings
from bot.jobs import JobRunner
from bot.services.context import Scope
from bot.storage import jobs as job_store
from bot.storage.database import Database, sqlite_url
from bot.storage.jobs import Job
from bot.storage.members import get_or_create_community
from bot.storage.schema import jobs, outbox
from bot.views import Message
from tests.support import COMMUNITY

JOBS = 200
KIND = "test.record"
DUE = datetime(2026, 1, 5, 9, tzinfo=UTC)
RUNS = sa.table("job_runs", sa.column("job_id"), sa.column("pid"))


async def record(scope: Scope, job: Job) -> None:
    """The test's job: one row in a table and one message, in the job's transaction."""
    await scope.conn.execute(sa.insert(RUNS).values(job_id=job.id, pid=os.getpid()))
    await scope.to_channel("test", Message(text=f"job {job.target} ran"))


def _worker(path: str, barrier: Barrier, results: Any) -> None:
    """One worker process (spawned): its own Database on the file, then run every due job."""

    async def main() -> int:
        db = Database(sqlite_url(Path(path)))
        try:
            clock = FakeClock(DUE + timedelta(minutes=1))
            runner = JobRunner(db, clock, {KIND: record})
            barrier.wait(timeout=60)  # start together
            return await runner.run_due(limit=25)
        finally:
            await db.dispose()

    try:
        results.put(("ok", asyncio.run(main())))
    except BaseException as exc:
        results.put(("error", repr(exc)))


async def prepare(path: Path) -> None:
    db = Database(sqlite_url(path))
    try:
        await db.migrate()
        async with db.transaction() as conn:
            await conn.execute(sa.text("CREATE TABLE job_runs (job_id INTEGER, pid INTEGER)"))
            community = await get_or_create_community(conn, COMMUNITY, CommunitySettings(), DUE)
            for i in range(JOBS):
                await job_store.schedule(conn, community.id, KIND, i, DUE, DUE)
    finally:
        await db.dispose()


async def tally(path: Path) -> dict[str, object]:
    db = Database(sqlite_url(path))
    try:
        async with db.transaction() as conn:

            async def scalar(query: sa.Select[Any]) -> object:
                return (await conn.execute(query)).scalar_one()

            return {
                "runs": await scalar(sa.select(sa.func.count()).select_from(RUNS)),
                "distinct jobs": await scalar(sa.select(sa.func.count(sa.distinct(RUNS.c.job_id)))),
                "messages": await scalar(sa.select(sa.func.count()).select_from(outbox)),
                "done once": await scalar(
                    sa.select(sa.func.count()).where(
                        jobs.c.status == "done", jobs.c.attempts == 1, jobs.c.last_error.is_(None)
                    )
                ),
            }
    finally:
        await db.dispose()


async def test_two_worker_processes_run_every_job_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    await prepare(path)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    workers = [
        context.Process(target=_worker, args=(str(path), barrier, results)) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    loop = asyncio.get_running_loop()
    outcomes = [await loop.run_in_executor(None, results.get, True, 60) for _ in workers]
    for worker in workers:
        await loop.run_in_executor(None, worker.join, 30)
    assert [w.exitcode for w in workers] == [0, 0]
    assert all(status == "ok" for status, _ in outcomes), outcomes
    assert sum(ran for _, ran in outcomes) == JOBS
    assert await tally(path) == {
        "runs": JOBS,
        "distinct jobs": JOBS,
        "messages": JOBS,
        "done once": JOBS,
    }
