"""Bulk writing of seeded rows into the schema the migrations create: the columns each table
gets, in order, and a writer per engine (`executemany` on SQLite, `COPY` on PostgreSQL) that
stores the values as the core would (times from epoch seconds, JSON encoded once)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import make_url

MEMBER_COLUMNS = (
    "id", "community_id", "place_id", "user_id", "display_name", "is_moderator",
    "public_recognition", "weekly_digest", "created_at",
)  # fmt: skip
VOLUNTEER_COLUMNS = (
    "member_id", "community_id", "role", "organisation", "topics", "affiliations", "timezone",
    "languages", "formats", "minutes", "monthly_capacity", "windows", "paused_until", "active",
    "joined_at", "updated_at",
)  # fmt: skip
REQUEST_COLUMNS = (
    "id", "community_id", "seeker_id", "status", "topic", "why", "questions", "minutes",
    "format", "time_frame_days", "target_role", "target_org", "target_member_id",
    "affiliations", "warnings", "timezone", "windows", "created_at", "submitted_at",
    "closed_at", "close_reason",
)  # fmt: skip
ASK_COLUMNS = (
    "id", "request_id", "volunteer_id", "status", "reasons", "suggested_by_ask_id", "note",
    "created_at", "asked_at", "decided_at", "approved_by", "deny_reason", "reminded_at",
)  # fmt: skip
INTRODUCTION_COLUMNS = (
    "id", "community_id", "request_id", "ask_id", "seeker_id", "volunteer_id", "minutes",
    "status", "created_at", "slots", "slot_start", "seeker_confirmed", "volunteer_confirmed",
    "completed_at",
)  # fmt: skip
THANKS_COLUMNS = ("id", "introduction_id", "from_id", "to_id", "text", "created_at")

COLUMNS = {
    "requests": REQUEST_COLUMNS,
    "asks": ASK_COLUMNS,
    "introductions": INTRODUCTION_COLUMNS,
    "thanks": THANKS_COLUMNS,
}


BULK_TABLES = ("members", "volunteers", "requests", "asks", "introductions", "thanks")


# ---- writing: the same rows, encoded as each engine stores them ----


TIME_COLUMNS = frozenset(
    {"created_at", "joined_at", "updated_at", "paused_until", "submitted_at", "closed_at",
     "asked_at", "decided_at", "reminded_at", "slot_start", "completed_at"}
)  # fmt: skip
# SQLAlchemy's SQLite DATETIME storage format (always with microseconds) from epoch seconds.
SQLITE_TIME = "strftime('%Y-%m-%d %H:%M:%S.000000', ?, 'unixepoch')"


def _aware(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _encoder(
    columns: Sequence[str], time: Callable[[int | None], Any]
) -> Callable[[tuple[Any, ...]], Any]:
    """Turns a generated row into what the driver takes: times (whole seconds) as the engine
    stores them; JSON columns are generated as JSON text already."""
    convert = [i for i, column in enumerate(columns) if column in TIME_COLUMNS]

    def encode(row: tuple[Any, ...]) -> tuple[Any, ...]:
        values = list(row)
        for i in convert:
            values[i] = time(values[i])
        return tuple(values)

    return encode


class SqliteWriter:
    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        # A throwaway file: no journal while loading (the core's WAL is back at the end).
        self.conn.execute("PRAGMA journal_mode=MEMORY")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA foreign_keys=OFF")
        self.conn.execute("PRAGMA cache_size=-262144")
        self.conn.execute("BEGIN IMMEDIATE")
        # Secondary indexes are built once after the load (faster than row by row), from the
        # very statements the migrations created them with.
        self.indexes = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({', '.join(repr(t) for t in BULK_TABLES)})"
        ).fetchall()
        for name, _ in self.indexes:
            self.conn.execute(f'DROP INDEX "{name}"')

    async def write(
        self, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
    ) -> int:
        # Times go in as whole seconds and SQLite itself writes them in SQLAlchemy's format.
        marks = ", ".join(SQLITE_TIME if c in TIME_COLUMNS else "?" for c in columns)
        encoded = rows if isinstance(rows, list) else list(rows)
        self.conn.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", encoded
        )
        return len(encoded)

    async def finish(self) -> None:
        for _, sql in self.indexes:
            self.conn.execute(sql)
        self.conn.execute("COMMIT")
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.close()


class PostgresWriter:
    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.tables: set[str] = set()
        self.transaction = conn.transaction()

    @classmethod
    async def open(cls, url: str) -> PostgresWriter:
        import asyncpg

        parsed = make_url(url)
        conn = await asyncpg.connect(
            user=parsed.username, password=parsed.password, host=parsed.host,
            port=parsed.port, database=parsed.database,
        )  # fmt: skip
        writer = cls(conn)
        await writer.transaction.start()
        return writer

    async def write(
        self, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
    ) -> int:
        encoded = list(map(_encoder(columns, _aware), rows))
        await self.conn.copy_records_to_table(table, records=encoded, columns=list(columns))
        self.tables.add(table)
        return len(encoded)

    async def finish(self) -> None:
        for table in sorted(self.tables - {"volunteers"}):
            await self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        await self.transaction.commit()
        for table in sorted(self.tables):
            await self.conn.execute(f"ANALYZE {table}")  # as autovacuum would after a load
        await self.conn.close()
