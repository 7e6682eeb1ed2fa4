"""Write turns on one SQLite file: who writes next, and what a turn never waits for."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import sqlalchemy as sa

from bot.storage.database import STREAK, Database, sqlite_url
from bot.storage.schema import outbox
from bot.views import Destination, Message
from tests.support import COMMUNITY, World, make_world


async def until(condition: Callable[[], bool]) -> None:
    """Let the loop and other threads run until `condition` holds (no clock involved)."""
    for _ in range(100_000):
        if condition():
            return
        await asyncio.sleep(0)
        await asyncio.to_thread(lambda: None)  # a round trip that lets waiting threads run
    raise AssertionError("the condition never held")


@contextlib.asynccontextmanager
async def holding(db: Database) -> AsyncIterator[asyncio.Event]:
    """A write transaction that stays open until the yielded event is set."""
    release = asyncio.Event()
    entered = asyncio.Event()

    async def hold() -> None:
        async with db.transaction():
            entered.set()
            await release.wait()

    task = asyncio.create_task(hold())
    await entered.wait()
    try:
        yield release
    finally:
        release.set()
        await task


async def write(db: Database, entered: list[str], name: str, *, priority: bool = False) -> None:
    async with db.transaction(priority=priority) as conn:
        entered.append(name)
        await conn.execute(sa.text("SELECT 1"))


async def test_a_priority_transaction_goes_before_the_queued_commands(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path / "priority.db"))
    entered: list[str] = []
    try:
        async with holding(db):
            writers = [asyncio.create_task(write(db, entered, f"command {i}")) for i in range(5)]
            await until(lambda: db.queued_writers == 5)
            worker = asyncio.create_task(write(db, entered, "delivery", priority=True))
            await until(lambda: db.queued_writers == 6)
        await asyncio.gather(*writers, worker)
        assert entered == ["delivery", *(f"command {i}" for i in range(5))]
    finally:
        await db.dispose()


async def test_the_delivery_worker_gets_a_turn_under_a_stream_of_writers(tmp_path: Path) -> None:
    world = await make_world(tmp_path / "stream.db")
    try:
        async with world.db.transaction() as conn:
            await conn.execute(sa.text("SELECT 1"))
        # A message is waiting; 20 commands queue for the writer, then the worker wakes.
        entered: list[str] = []
        sent_after: list[int] = []

        async def deliver(*_: object, **__: object) -> None:
            sent_after.append(len(entered))

        world.transport.deliver = deliver  # type: ignore[method-assign]
        await queue_message(world)
        async with holding(world.db):
            writers = [
                asyncio.create_task(write(world.db, entered, f"command {i}")) for i in range(20)
            ]
            await until(lambda: world.db.queued_writers == 20)
            drained = asyncio.create_task(world.worker.drain())
            await until(lambda: world.db.queued_writers == 21)
        assert await drained == 1
        await asyncio.gather(*writers)
        # Claimed and sent after at most one of the commands (the one that took the turn
        # while the send began), not after all twenty.
        assert len(sent_after) == 1 and sent_after[0] <= 1
        async with world.db.read() as conn:
            status = (await conn.execute(sa.select(outbox.c.status))).scalar_one()
        assert status == "sent"
    finally:
        await world.db.dispose()


async def queue_message(world: World) -> None:
    from bot.outbox import enqueue
    from bot.storage.members import get_or_create_community

    async with world.db.transaction() as conn:
        community = await get_or_create_community(
            conn, COMMUNITY, world.app.defaults, world.clock.now()
        )
        destination = Destination(kind="channel", channel="moderators")
        await enqueue(conn, community.id, destination, Message(text="hi"), world.clock.now())


async def test_a_write_turn_never_waits_for_the_readers_pool(tmp_path: Path) -> None:
    """Readers may want every pooled connection (slow reports, suggestions): the writer
    keeps its own connection, so a turn is never spent waiting for the pool."""
    db = Database(sqlite_url(tmp_path / "pool.db"))
    await db.migrate()
    done = asyncio.Event()
    reading = 0

    async def read() -> None:
        nonlocal reading
        async with db.read():
            reading += 1
            await done.wait()

    try:
        entered: list[str] = []
        await write(db, entered, "first")
        pool = db.engine.pool
        size = pool.size() + pool._max_overflow  # type: ignore[attr-defined]
        readers = [asyncio.create_task(read()) for _ in range(size)]
        await until(lambda: reading == size - 1)  # the last reader waits for the pool
        await write(db, entered, "while readers hold the pool")
        assert entered == ["first", "while readers hold the pool"]
        done.set()
        await asyncio.gather(*readers)
    finally:
        done.set()
        await db.dispose()


async def test_a_waiting_process_writes_after_a_bounded_run_of_the_holders_turns(
    tmp_path: Path,
) -> None:
    """Two processes on one file (two `Database`s): the holder keeps the file for at most
    `STREAK` transactions in a row while its commands queue, then the process that was
    waiting writes, before the holder's next queued command."""
    path = tmp_path / "turns.db"
    first, second = Database(sqlite_url(path)), Database(sqlite_url(path))
    await first.migrate()
    entered: list[str] = []
    gate = Path(f"{path}-write.next")
    try:
        async with holding(first):
            waiting = asyncio.create_task(write(second, entered, "other process"))
            await until(lambda: locked(gate))  # it waits in line for the file lock
            again = [
                asyncio.create_task(write(first, entered, f"holder {i}")) for i in range(STREAK)
            ]
            await until(lambda: first.queued_writers == STREAK)
        await asyncio.gather(waiting, *again)
        run = [f"holder {i}" for i in range(STREAK - 1)]  # the held transaction was the first
        assert entered == [*run, "other process", f"holder {STREAK - 1}"]
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_cancelled_waiter_gives_the_turn_back(tmp_path: Path) -> None:
    path = tmp_path / "cancel.db"
    first, second = Database(sqlite_url(path)), Database(sqlite_url(path))
    await first.migrate()
    entered: list[str] = []
    try:
        async with holding(first):
            waiting = asyncio.create_task(write(second, entered, "cancelled"))
            await until(lambda: locked(Path(f"{path}-write.next")))
            queued = asyncio.create_task(write(first, entered, "queued"))
            await until(lambda: first.queued_writers == 1)
            waiting.cancel()
            queued.cancel()
        await asyncio.gather(waiting, queued, return_exceptions=True)
        # Neither the process-local turn nor the file lock is kept by a cancelled waiter.
        await write(first, entered, "first")
        await write(second, entered, "second")
        assert entered == ["first", "second"]
    finally:
        await first.dispose()
        await second.dispose()


def locked(path: Path) -> bool:
    """Whether some process (or `Database`) holds the file lock on `path`."""
    import fcntl
    import os

    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the lock if this test took it
    return False
