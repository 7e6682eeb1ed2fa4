"""The SQLite driver: how often a transaction hands work to the database thread, and that a
write transaction still waits for a file another program holds."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
import sqlalchemy as sa

from bot.storage.database import Database, sqlite_url
from tests.bot.storage.test_database import until

pytestmark = pytest.mark.usefixtures("hand_overs")

HANDED: list[str] = []  # what went to the database thread, by function name


@pytest.fixture
def hand_overs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    original = aiosqlite.Connection._execute

    async def noted(conn: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        statement = args[1] if len(args) > 1 and isinstance(args[1], str) else ""
        HANDED.append(f"{getattr(fn, '__name__', fn)} {statement}".strip())
        return await original(conn, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", noted)
    HANDED.clear()
    yield HANDED
    HANDED.clear()


async def fill(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))


async def test_a_write_transaction_hands_over_only_its_commit(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path / "hops.db"))
    try:
        await fill(db)
        HANDED.clear()
        async with db.transaction() as conn:
            inserted = await conn.execute(
                sa.text("INSERT INTO t (v) VALUES ('a'), ('b') RETURNING id")
            )
            assert [row.id for row in inserted] == [1, 2]
            changed = await conn.execute(sa.text("UPDATE t SET v = 'c'"))
            assert changed.rowcount == 2
            rows = (await conn.execute(sa.text("SELECT v FROM t ORDER BY id"))).all()
            assert [row.v for row in rows] == ["c", "c"]
        assert HANDED == ["commit"]
    finally:
        await db.dispose()


async def test_a_read_hands_over_each_statement_once(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path / "reads.db"))
    try:
        await fill(db)
        async with db.read() as conn:
            HANDED.clear()
            assert (await conn.execute(sa.text("SELECT count(*) FROM t"))).scalar_one() == 0
            assert HANDED == ["_run BEGIN", "_run SELECT count(*) FROM t"]
    finally:
        await db.dispose()


async def test_a_write_waits_on_the_thread_while_another_program_holds_the_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "busy.db"
    db = Database(sqlite_url(path))
    other = sqlite3.connect(path, isolation_level=None)
    try:
        await fill(db)
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO t (v) VALUES ('theirs')")

        async def mine() -> list[str]:
            async with db.transaction() as conn:
                await conn.execute(sa.text("INSERT INTO t (v) VALUES ('mine')"))
                return [r.v for r in await conn.execute(sa.text("SELECT v FROM t ORDER BY id"))]

        HANDED.clear()
        writing = asyncio.create_task(mine())
        await until(lambda: "_run BEGIN IMMEDIATE" in HANDED)  # waiting on the thread
        assert not writing.done()
        other.execute("COMMIT")
        assert await writing == ["theirs", "mine"]
    finally:
        other.close()
        await db.dispose()


async def test_the_writing_connection_runs_statements_in_place_only_while_it_writes(
    tmp_path: Path,
) -> None:
    db = Database(sqlite_url(tmp_path / "pool.db"))
    try:
        await fill(db)
        await db._close_writer()  # as after a transaction in doubt: back to the pool
        async with db.read() as conn:
            raw: Any = (await conn.get_raw_connection()).dbapi_connection
            assert raw.in_place is False
            HANDED.clear()
            await conn.execute(sa.text("SELECT 1"))
            assert HANDED[-1:] == ["_run SELECT 1"]
    finally:
        await db.dispose()
