"""SQLAlchemy's aiosqlite driver, with one trip to the database thread per statement.

aiosqlite runs every call on its connection's own thread, and each call is a hand-over from
the event loop to that thread and back (a queue, a thread wake-up, a loop wake-up). The stock
adapter makes four for a SELECT (create a cursor, execute, fetch the rows, close the cursor)
and three for any other statement. Here one function does all of that on the database thread,
so a statement is one hand-over: a command of twenty statements saves some sixty.

A connection can also be told to run its statements in place, on the event loop, with no
hand-over at all (`in_place`): `database.py` does so inside a write transaction once `BEGIN
IMMEDIATE` has taken the file, when no statement can wait for a lock (in WAL mode nothing
holds up the one writer) and each runs in well under a millisecond; the waits, `BEGIN
IMMEDIATE` (for the file) and `COMMIT` (for the disk), stay on the thread.

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
            outcome: _Outcome
            if self._adapt_connection.in_place:  # type: ignore[attr-defined]
                outcome = _run(connection._conn, operation, parameters, many)
            else:
                outcome = await connection._execute(
                    _run, connection._conn, operation, parameters, many
                )
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows or ())


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("in_place",)
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.in_place = False  # run statements on the event loop (see the module's note)


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
