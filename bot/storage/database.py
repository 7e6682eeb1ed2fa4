"""The one way the core talks to its database: `async with db.transaction() as conn`.

SQLite specifics live here and only here: WAL, a busy timeout, durable commits, writes that
begin IMMEDIATE (so two processes on one file serialise instead of failing half-way), and
write turns (`write_turns`): coroutines queue in the process and processes queue on a file
lock, so the single writer is handed on at once instead of being polled for (a process
keeps the file for a short run of its queued transactions, then lets a waiting one in). Each process
writes through one connection kept for the purpose, so a write turn never waits for the
connection pool (which readers share) and no pool reset runs while the turn is held; once
its `BEGIN IMMEDIATE` holds the file, its statements run on the event loop instead of being
handed to the driver's thread one by one (`sqlite_driver`). Services only see a SQLAlchemy
`AsyncConnection`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.storage.sqlite_driver import BEGIN_IMMEDIATE, OneHopConnection, OneHopDBAPI
from bot.storage.write_turns import FileLock, WriteTurns

BUSY_TIMEOUT_MS = 10_000
STREAK = 5  # transactions a process may write in a row while another process waits
READ_ONLY = "infochat_read_only"


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite and self.url.database not in (None, "", ":memory:"):
            Path(self.url.database or "").parent.mkdir(parents=True, exist_ok=True)
        if self.is_sqlite and self.url.get_driver_name() == "aiosqlite":
            kwargs["module"] = OneHopDBAPI()  # one trip to the database thread per statement
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        self._turns = WriteTurns(self._let_other_processes_in) if self.is_sqlite else None
        self._file_lock = _file_lock(self.url.database) if self.is_sqlite else None
        self._holding = False  # this process holds the file lock
        self._streak = 0  # transactions in a row since it took it
        self._writer: AsyncConnection | None = None
        self._writer_raw: OneHopConnection | None = None
        if self.is_sqlite:
            _configure_sqlite(self.engine)

    @contextlib.asynccontextmanager
    async def transaction(self, *, priority: bool = False) -> AsyncIterator[AsyncConnection]:
        """One atomic unit of work: commits on success, rolls back on any exception.

        `priority` is for short bookkeeping transactions that others wait on (a delivery's
        claim and outcome): on SQLite they go ahead of the commands queued in this process.
        """
        if self._turns is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._turns.turn(priority=priority):
            await self._take_from_other_processes()
            try:
                conn = await self._writer_connection()
                try:
                    async with conn.begin():
                        yield conn
                except BaseException:
                    if conn.invalidated or conn.in_transaction():
                        await self._close_writer()  # never reuse a connection in doubt
                    raise
            finally:
                self._streak += 1
                if self._streak >= STREAK:
                    self._let_other_processes_in()

    @property
    def queued_writers(self) -> int:
        """Transactions of this process waiting for their turn to write (SQLite)."""
        return 0 if self._turns is None else self._turns.waiting

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only snapshot that neither waits for nor holds up writers (WAL readers run
        beside the writer), e.g. for suggestions while a member types."""
        async with self.engine.connect() as conn:
            yield await conn.execution_options(**{READ_ONLY: True})

    async def migrate(self) -> None:
        """Bring the schema to the newest migration (Alembic), idempotently."""
        from bot.storage.migrate import upgrade  # Alembic is only loaded when migrating

        async with self.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                # A migration that rebuilds a table other tables refer to (SQLite alters
                # tables by copying them) must not have the old table's rows checked as it
                # is dropped; the rows keep their ids, so every reference stays true.
                await conn.run_sync(_foreign_keys, on=False)
            try:
                await conn.run_sync(upgrade)
                await conn.commit()
            finally:
                if sqlite:
                    await conn.run_sync(_foreign_keys, on=True)

    async def schema_revisions(self) -> tuple[str | None, str | None]:
        """(the database's schema revision or None, the newest revision): equal when migrated."""
        from bot.storage.migrate import revisions  # Alembic is only loaded when asked

        async with self.read() as conn:
            return await conn.run_sync(revisions)

    async def dispose(self) -> None:
        self._let_other_processes_in()
        await self._close_writer()
        if self._file_lock is not None:
            self._file_lock.close()
        await self.engine.dispose()

    async def _take_from_other_processes(self) -> None:
        """The file lock is kept from one transaction to the next while this process has
        writers queued, for up to `STREAK` transactions: handing it to another process costs
        a wake-up, and a waiting process still gets in after a bounded run."""
        if self._file_lock is not None and not self._holding:
            await self._file_lock.acquire()
            self._holding = True
            self._streak = 0

    def _let_other_processes_in(self) -> None:
        if self._file_lock is not None and self._holding:
            self._file_lock.release()
        self._holding = False

    async def _writer_connection(self) -> AsyncConnection:
        if self._writer is None:
            self._writer = await self.engine.connect()
            # Its statements run on the event loop once it holds the file (`sqlite_driver`).
            raw: object = (await self._writer.get_raw_connection()).dbapi_connection
            if isinstance(raw, OneHopConnection):
                raw.in_place = True
                self._writer_raw = raw
        return self._writer

    async def _close_writer(self) -> None:
        if self._writer_raw is not None:  # back in the pool it is a reader like any other
            self._writer_raw.in_place = False
            self._writer_raw = None
        writer, self._writer = self._writer, None
        if writer is not None:
            await writer.close()


def _file_lock(database: str | None) -> FileLock | None:
    """Processes on one SQLite file take turns through a lock file beside it (an in-memory
    database belongs to one connection, so it has none)."""
    if database in (None, "", ":memory:") or str(database).startswith("file:"):
        return None
    path = Path(database or "")
    return FileLock(
        path.with_name(path.name + "-write.lock"),
        path.with_name(path.name + "-write.next"),
        timeout=BUSY_TIMEOUT_MS / 1000,
    )


def _foreign_keys(conn: Connection, *, on: bool) -> None:
    """Outside any transaction (SQLite ignores the pragma inside one)."""
    cursor = conn.connection.cursor()
    cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    cursor.close()


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed state change (and the messages it causes) survives a power cut.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else BEGIN_IMMEDIATE)
