"""Migration 0006 indexes the volunteers and counts the loads that existed before it."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command as alembic

from bot.storage.database import Database
from bot.storage.migrate import alembic_config


def _at(days_ago: float, sqlite: bool) -> datetime | str:
    when = datetime.now(UTC) - timedelta(days=days_ago)
    return when.replace(tzinfo=None).isoformat(sep=" ") if sqlite else when


async def test_existing_volunteers_are_indexed_and_their_loads_counted(database_url: str) -> None:
    db = Database(database_url)
    if not db.is_sqlite:  # the fresh PostgreSQL database is migrated already
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda c: alembic.downgrade(alembic_config(c), "0005"))
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda c: alembic.upgrade(alembic_config(c), "0005"))
            statements = [
                "INSERT INTO communities (id, platform, external_id, name, settings, "
                "volunteers_version, created_at) VALUES (7, 'slack', 'T1', 'one', '{}', '', :old)",
                *(
                    "INSERT INTO members (id, community_id, user_id, display_name, is_moderator, "
                    f"public_recognition, weekly_digest, created_at) VALUES ({i}, 7, 'U{i}', "
                    f"'M{i}', false, false, false, :old)"
                    for i in (1, 2, 3)
                ),
                *(
                    "INSERT INTO volunteers (member_id, community_id, role, organisation, topics, "
                    "affiliations, timezone, languages, formats, minutes, monthly_capacity, "
                    f"windows, paused_until, active, joined_at, updated_at) VALUES ({i}, 7, "
                    f"'Data Engineer', 'Acme', '[\"Data Eng\"]', '[\"MIT\"]', 'UTC', '[]', "
                    f"'[]', 30, 2, '[]', NULL, {active}, :old, :old)"
                    for i, active in ((1, "true"), (2, "false"))
                ),
                "INSERT INTO requests (id, community_id, seeker_id, status, topic, why, questions, "
                "minutes, format, time_frame_days, affiliations, warnings, created_at) VALUES "
                "(1, 7, 3, 'closed', 'x', 'y', '[]', 30, 'video', 14, '[]', '[]', :recent)",
                "INSERT INTO asks (id, request_id, volunteer_id, status, reasons, created_at) "
                "VALUES (1, 1, 1, 'accepted', '[]', :recent)",
                "INSERT INTO introductions (id, community_id, request_id, ask_id, seeker_id, "
                "volunteer_id, minutes, status, created_at) VALUES "
                "(1, 7, 1, 1, 3, 1, 30, 'introduced', :recent)",
                "INSERT INTO no_shows (introduction_id, reporter_id, member_id, created_at) "
                "VALUES (1, 3, 1, :recent)",
            ]
            for statement in statements:
                await conn.execute(
                    sa.text(statement),
                    {"old": _at(200, db.is_sqlite), "recent": _at(1, db.is_sqlite)},
                )
        await db.migrate()
        async with db.engine.connect() as conn:
            keys = await conn.execute(sa.text("SELECT key, member_id, load FROM volunteer_keys"))
            loads = await conn.execute(sa.text("SELECT member_id, load FROM volunteer_loads"))
            words = ("@U1", "t:data engineering", "w:data", "r:data", "r:engineer", "o:acme")
            assert {(k, m, load) for k, m, load in keys} == {
                (key, 1, 3) for key in (*words, "a:mit")
            }
            assert loads.all() == [(1, 3)]  # one introduction and one no-show (x 2)
    finally:
        await db.dispose()
