"""The migrations build exactly the schema the code uses, on each engine, and are safe to
run twice."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.storage.database import Database
from bot.storage.schema import metadata


async def test_migrated_schema_matches_the_code(database_url: str) -> None:
    db = Database(database_url)
    await db.migrate()
    await db.migrate()  # idempotent

    def diff(conn: sa.Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))

    try:
        async with db.engine.connect() as conn:
            assert await conn.run_sync(diff) == []
            if db.is_sqlite:
                journal = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar_one()
                timeout = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()
                assert journal == "wal"
                assert timeout > 0
    finally:
        await db.dispose()
