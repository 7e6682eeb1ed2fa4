"""A simulation's database: a new SQLite file that is thrown away after the run, and the
writes the driver watches on it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bot.storage import jobs as job_store
from bot.storage.database import Database, sqlite_url
from bot.storage.schema import outbox


def throwaway_database(path: Path) -> Database:
    """The database of one run at `path`, which must not exist yet."""
    if path.exists():
        raise FileExistsError(f"{path} exists: a run starts from an empty database")
    db = Database(sqlite_url(path))
    _without_fsync(db)
    return db


def on_writes(db: Database, written: Callable[[str], None]) -> None:
    """Call `written(table)` whenever a statement inserts into, updates or deletes from the
    outbox or the jobs table. Every message is enqueued due at once and the inbox never
    fails a delivery, so the outbox has nothing due unless one was inserted since the last
    drain; the next due job can only change when the jobs table does."""
    prefixes = {
        f"{verb} {table.name} ": table.name
        for table in (outbox, job_store.jobs)
        for verb in ("INSERT INTO", "UPDATE", "DELETE FROM")
    }

    @event.listens_for(db.engine.sync_engine, "after_cursor_execute")
    def _after(
        _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        if statement[:1] in "IUD":
            for prefix, table in prefixes.items():
                if statement.startswith(prefix):
                    written(table)


def _without_fsync(db: Database) -> None:
    """A simulation's database is thrown away: its commits need not survive a power cut, so
    they skip the fsync the core asks for (set after the core's own settings)."""

    @event.listens_for(db.engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()
