"""SQLAlchemy's aiosqlite driver, with one trip to the database thread per statement.

aiosqlite runs every call on its connection's own thread, and each call is a hand-over from
the event loop to that thread and back (a queue, a thread wake-up, a loop wake-up). The stock
adapter makes four for a SELECT (create a cursor, execute, fetch the rows, close the cursor)
and three for any other statement. Here one function does all of that on the database thread,
so a statement is one hand-over: a command of twenty statements saves some sixty.

A process's writing connection goes further (`in_place`, set by `database.py`): its
`BEGIN IMMEDIATE` is first tried on the event loop without waiting, and once it holds the
file every statement of the transaction runs there too, with no hand-over at all: in WAL
mode nothing can hold up the one writer, and each statement takes well under a millisecond.
What may wait stays on the thread: a `BEGIN IMMEDIATE` that finds the file busy (another
program; infochat's own processes take turns before they begin, see `write_turns`) waits
there with the busy timeout, and `COMMIT` waits there for the disk.

Nothing else changes: the same `sqlite3` connection, the same errors, the same pragmas and
transactions (`database.py`).
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

_Outcome = tuple[Any, list[Any] | None, int, int | None]


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """On the database thread: the whole life of one cursor."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose statement runs, is fetched and is closed in one call on the thread."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:  # no trip to make a cursor
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._arraysize = 1
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        return  # the sqlite3 cursor is closed already; the rows are kept here

    def close(self) -> None:
        self._rows.clear()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._run(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        await self._run(operation, seq_of_parameters, many=True)

    async def _run(self, operation: Any, parameters: Any, *, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            connection: Any = self._connection  # aiosqlite's, whose `_execute` is untyped
            raw: sqlite3.Connection = connection._conn
            outcome: _Outcome | None = None
            if self._adapt_connection.in_place:  # type: ignore[attr-defined]
                if raw.in_transaction:
                    outcome = _run(raw, operation, parameters, many)
                elif operation == BEGIN_IMMEDIATE and _begin_at_once(raw):
                    outcome = (None, None, -1, None)
            if outcome is None:
                outcome = await connection._execute(_run, raw, operation, parameters, many)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows or ())


BEGIN_IMMEDIATE = "BEGIN IMMEDIATE"
_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def _begin_at_once(conn: sqlite3.Connection) -> bool:
    """`BEGIN IMMEDIATE` if the file is free now; False (nothing begun) if it would wait."""
    (timeout,) = conn.execute("PRAGMA busy_timeout").fetchone()
    conn.execute("PRAGMA busy_timeout=0")
    try:
        conn.execute(BEGIN_IMMEDIATE)
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode not in _BUSY:
            raise
        return False
    finally:
        conn.execute(f"PRAGMA busy_timeout={int(timeout)}")
    return True


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("in_place",)
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.in_place = False  # a writing connection (see the module's note)


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """Pass as `create_async_engine(..., module=OneHopDBAPI())` for `sqlite+aiosqlite`."""

    def __init__(self, aiosqlite_module: ModuleType = aiosqlite, sqlite: ModuleType = sqlite3):
        super().__init__(aiosqlite_module, sqlite)

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        creator = kw.pop("async_creator_fn", None)
        connection = creator(*arg, **kw) if creator else self.aiosqlite.connect(*arg, **kw)
        if not creator:
            connection._thread.daemon = True  # as SQLAlchemy's own driver does
        return OneHopConnection(self, await_(connection))
