"""The migrations build exactly the schema the code uses, on each engine, are safe to run
twice, and keep the meaning of rows written before them."""

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command as alembic
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.commands import Actor, Command, CommunityRef
from bot.storage import idempotency
from bot.storage.database import Database, sqlite_url
from bot.storage.migrate import alembic_config
from bot.storage.schema import metadata
from bot.views import Reply
from tests.support import replay_of


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


async def test_idempotency_records_made_before_keys_were_per_member_keep_their_reply(
    database_url: str,
) -> None:
    db = Database(database_url)
    if not db.is_sqlite:  # the fresh PostgreSQL database is migrated already
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda c: alembic.downgrade(alembic_config(c), "0002"))
    old = Reply.say("the first reply")
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda c: alembic.upgrade(alembic_config(c), "0002"))
            await conn.execute(
                sa.text(
                    "INSERT INTO communities (id, platform, external_id, name, settings, "
                    "volunteers_version, created_at) "
                    "VALUES (7, 'slack', 'T1', 'one', '{}', '', '2026-11-30 10:00:00')"
                )
            )
            await conn.execute(
                sa.insert(metadata.tables["processed_commands"]).values(
                    key="k1",
                    community_id=7,
                    user_id="U1",
                    action="help",
                    reply=old.model_dump(mode="json"),
                    created_at=datetime(2026, 11, 30, 10, tzinfo=UTC),
                )
            )
        await db.migrate()
        async with db.transaction() as conn:
            one, two = CommunityRef("slack", "T1"), CommunityRef("slack", "T2")
            kept = await idempotency.lookup(conn, Command(Actor(one, "U1", "U"), "x", "k1"))
            assert kept is not None and replay_of(kept, old)
            assert await idempotency.lookup(conn, Command(Actor(one, "U2", "U"), "x", "k1")) is None
            assert await idempotency.lookup(conn, Command(Actor(two, "U1", "U"), "x", "k1")) is None
    finally:
        await db.dispose()


async def test_schema_revisions_say_whether_the_database_is_at_the_newest_migration(
    database_url: str, tmp_path: Path
) -> None:
    fresh = Database(sqlite_url(tmp_path / "fresh.db"))
    db = Database(database_url)
    try:
        current, head = await fresh.schema_revisions()
        assert current is None
        assert head is not None
        await db.migrate()
        assert await db.schema_revisions() == (head, head)
    finally:
        await fresh.dispose()
        await db.dispose()
