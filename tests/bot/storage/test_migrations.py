"""The migrations build exactly the schema the code uses, and are safe to run twice."""

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.storage.database import Database, sqlite_url
from bot.storage.schema import metadata


async def test_migrated_schema_matches_the_code(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path / "m.db"))
    await db.migrate()
    await db.migrate()  # idempotent

    def diff(conn: sa.Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []
        journal = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar_one()
        timeout = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()
    assert journal == "wal"
    assert timeout > 0
    await db.dispose()
