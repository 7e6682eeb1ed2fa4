"""Get-or-create without a race: insert a row unless its unique key exists, in one statement.

A read-then-insert lets two concurrent transactions both see nothing and both insert; on
PostgreSQL the second then fails on the unique constraint. `INSERT … ON CONFLICT DO NOTHING`
waits for a concurrent insert of the same key to commit and then skips the row instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

ROWS_PER_INSERT = 1_000  # SQLite allows 32,766 parameters a statement, PostgreSQL 65,535

_DIALECT_INSERT: dict[str, Callable[[sa.Table], sqlite.Insert | postgresql.Insert]] = {
    "sqlite": sqlite.insert,
    "postgresql": postgresql.insert,
}


def _insert(conn: AsyncConnection, table: sa.Table) -> sqlite.Insert | postgresql.Insert:
    return _DIALECT_INSERT[conn.dialect.name](table)


async def insert_missing(
    conn: AsyncConnection, table: sa.Table, values: Mapping[str, Any], key: Sequence[str]
) -> bool:
    """Insert `values` unless a row with the same unique `key` columns exists; True if added."""
    statement = _insert(conn, table).values(**values).on_conflict_do_nothing(index_elements=key)
    return (await conn.execute(statement)).rowcount == 1


async def insert_missing_rows(
    conn: AsyncConnection, table: sa.Table, rows: Sequence[Mapping[str, Any]], key: Sequence[str]
) -> None:
    """`insert_missing` for many rows, `ROWS_PER_INSERT` to a statement (the engines bound
    the parameters of one statement)."""
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = [dict(row) for row in rows[start : start + ROWS_PER_INSERT]]
        statement = _insert(conn, table).values(chunk).on_conflict_do_nothing(index_elements=key)
        await conn.execute(statement)


async def insert_missing_returning(
    conn: AsyncConnection,
    table: sa.Table,
    values: Mapping[str, Any],
    key: Sequence[str],
    column: sa.Column[Any],
) -> Any:
    """`insert_missing` that gives the new row's `column` (e.g. its id), or None if a row with
    the same `key` existed: one statement instead of an insert and a read."""
    statement = (
        _insert(conn, table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=key)
        .returning(column)
    )
    return (await conn.execute(statement)).scalar_one_or_none()


async def insert_or_update(
    conn: AsyncConnection,
    table: sa.Table,
    values: Mapping[str, Any],
    key: Sequence[str],
    on_insert: Mapping[str, Any] | None = None,
) -> None:
    """Insert the row, or update the existing row with the same unique `key` columns to
    `values`; `on_insert` columns are set only on a new row."""
    update = {name: value for name, value in values.items() if name not in key}
    statement = _insert(conn, table).values(**values, **(on_insert or {}))
    await conn.execute(statement.on_conflict_do_update(index_elements=key, set_=update))
