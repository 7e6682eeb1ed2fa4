"""Migration 0010 (places and accounts) keeps the meaning of every row written before it: each
community becomes a community with one place, each member an account on that place, each
outbox message goes out on that place, and nothing else changes; the app then works on the
migrated data as it did before. Downgrading a database whose communities have one place each
gives back the rows as they were."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from alembic import command as alembic
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.app import Infochat
from bot.clock import FakeClock
from bot.commands import Actor, CommunityRef
from bot.domain.community import CommunitySettings
from bot.outbox import DeliveryWorker
from bot.storage.database import Database
from bot.storage.migrate import alembic_config, head_revision
from bot.views import Destination
from tests.bot.storage.rows_at_0009 import (
    DISCORD,
    HELLO,
    NOW,
    PENDING,
    SLACK,
    Row,
    insert,
    rows_at_0009,
)
from tests.support import RecordingTransport, text_of

# The tables of revision 0009, each with its key (for a stable order).
TABLES = {
    "communities": "id",
    "members": "id",
    "volunteers": "member_id",
    "volunteer_keys": "community_id, key, member_id",
    "volunteer_loads": "member_id",
    "requests": "id",
    "asks": "id",
    "introductions": "id",
    "thanks": "id",
    "no_shows": "id",
    "notices": "member_id, kind",
    "audit_log": "id",
    "outbox": "id",
    "processed_commands": "community_id, user_id, key",
    "jobs": "id",
    "help_chains": "community_id",
}
# What 0010 adds to existing tables (compared separately).
NEW_COLUMNS = {
    "members": ("place_id", "person_id", "reach_id"),
    "outbox": ("place_id",),
    "volunteers": ("contact",),
    "introductions": ("volunteer_contact", "seeker_contact"),
}


async def _tables(conn: AsyncConnection, names: dict[str, str]) -> dict[str, list[Row]]:
    """Whole tables as plain SQL reads them back."""
    return {
        name: [
            dict(r._mapping)
            for r in await conn.execute(sa.text(f"SELECT * FROM {name} ORDER BY {order}"))
        ]
        for name, order in names.items()
    }


def _without_new(tables: dict[str, list[Row]]) -> dict[str, list[Row]]:
    return {
        name: [{c: v for c, v in row.items() if c not in NEW_COLUMNS.get(name, ())} for row in rows]
        for name, rows in tables.items()
    }


async def _to(db: Database, revision: str, *, down: bool = False) -> None:
    step = alembic.downgrade if down else alembic.upgrade
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda c: step(alembic_config(c), revision))


@pytest.fixture
async def old_db(database_url: str) -> AsyncIterator[Database]:
    """A database at revision 0009 holding `rows_at_0009`."""
    db = Database(database_url)
    try:
        if not db.is_sqlite:  # the fresh PostgreSQL database is migrated already
            await _to(db, "0009", down=True)
        else:
            await _to(db, "0009")
        async with db.engine.begin() as conn:
            for table, rows in rows_at_0009().items():
                for row in rows:
                    await insert(conn, db.is_sqlite, table, row)
                if not db.is_sqlite and TABLES[table] == "id":  # as if inserted without ids
                    await conn.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT MAX(id) FROM {table}))"
                        )
                    )
        yield db
    finally:
        await db.dispose()


async def test_each_community_becomes_one_place_and_every_row_keeps_its_meaning(
    old_db: Database,
) -> None:
    async with old_db.engine.connect() as conn:
        before = await _tables(conn, TABLES)
    await old_db.migrate()
    async with old_db.engine.connect() as conn:
        after = await _tables(conn, TABLES)
        places = await _tables(conn, {"places": "id"})

    # Each community has exactly one place: the one it was made for.
    by_community = {p["community_id"]: p for p in places["places"]}
    assert len(places["places"]) == len(by_community) == 2
    for community in after["communities"]:
        place = by_community[community["id"]]
        assert (place["platform"], place["external_id"], place["name"]) == (
            community["platform"],
            community["external_id"],
            community["name"],
        )
    # Every member is an account on its community's place, and its own person.
    for member in after["members"]:
        assert member["place_id"] == by_community[member["community_id"]]["id"], member
        assert (member["person_id"], member["reach_id"]) == (None, None), member
    # Every message goes out on its community's place.
    for row in after["outbox"]:
        assert row["place_id"] == by_community[row["community_id"]]["id"], row
    # Nobody has a way to be reached yet: contacts are given with consent, later.
    assert {v["contact"] for v in after["volunteers"]} == {""}
    assert {(i["volunteer_contact"], i["seeker_contact"]) for i in after["introductions"]} == {
        (None, None)
    }
    # Everything else is as it was.
    assert _without_new(after) == before
    assert all(before[table] for table in TABLES), "a table of 0009 left empty"


async def test_the_app_works_on_the_migrated_data(old_db: Database) -> None:
    await old_db.migrate()
    clock = FakeClock(NOW)
    app = Infochat(old_db, clock, CommunitySettings())
    transport = RecordingTransport()
    worker = DeliveryWorker(old_db, transport, clock)

    async def members() -> list[Row]:
        async with old_db.engine.connect() as conn:
            return (await _tables(conn, {"members": "id"}))["members"]

    # A pending message goes out on its community's place.
    await worker.drain()
    assert transport.places[PENDING] == SLACK
    assert [(d, m) for d, m, row in transport.sent if row == PENDING] == [
        (Destination(kind="member", user_ids=("U02",)), HELLO)
    ]

    # Existing members' commands find their rows, on each platform: no new member.
    known = await members()
    sam = await app.dispatch_text(Actor(SLACK, "U02", "Sam"), "/infochat me", "after-1")
    same_id = await app.dispatch_text(
        Actor(DISCORD, "U02", "Same id, other platform"), "/infochat me", "after-2"
    )
    assert sam.ok and same_id.ok
    assert "Chats received" in text_of(sam.messages[0])
    received = {line.label: line.value for line in sam.messages[0].lines}["Chats received"]
    assert received == "1"  # the completed chat of before
    assert await members() == known
    # A command remembered before is still recognised when the platform sends it again.
    again = await app.dispatch_text(Actor(SLACK, "U02", "Sam"), "/infochat help", "slack-evt-1")
    assert again.replay and again.messages == ()

    # The ledger still counts the old chats, each community its own.
    for ref, moderator, name in ((SLACK, "U01", "Mona"), (DISCORD, "500", "Dee")):
        actor = Actor(ref, moderator, name, is_moderator=True)
        reply = await app.dispatch_text(actor, "/infochat mod ledger", f"ledger-{moderator}")
        assert reply.ok, reply
        lines = {line.label: line.value for line in reply.messages[0].lines}
        assert lines["Chats completed"].startswith("1 "), lines
        assert lines["Members who gave chats"] == "1"
    assert await members() == known

    # A new community after the migration gets its own place, and works the same.
    newcomer = CommunityRef("discord", "777", "New server")
    reply = await app.dispatch_text(Actor(newcomer, "900", "Neo"), "/infochat me", "after-3")
    assert reply.ok, reply
    async with old_db.engine.connect() as conn:
        tables = await _tables(conn, {"places": "id", "members": "id"})
    assert len(tables["places"]) == 3
    [neo] = [m for m in tables["members"] if m["user_id"] == "900"]
    [place] = [p for p in tables["places"] if p["external_id"] == "777"]
    assert (neo["place_id"], neo["community_id"]) == (place["id"], place["community_id"])
    assert place["community_id"] not in (1, 2)

    # Going back keeps what was done since, each member with their community.
    await _to(old_db, "0009", down=True)
    async with old_db.engine.connect() as conn:
        back = (await _tables(conn, {"members": "id"}))["members"]
    assert _without_new({"members": tables["members"]})["members"] == back


async def test_downgrade_gives_back_the_rows_of_before(old_db: Database) -> None:
    async with old_db.engine.connect() as conn:
        before = await _tables(conn, TABLES)
    await old_db.migrate()
    await _to(old_db, "0009", down=True)
    async with old_db.engine.connect() as conn:
        assert await _tables(conn, TABLES) == before
    # And up again: the same places as the first time.
    await old_db.migrate()
    async with old_db.engine.connect() as conn:
        after = await _tables(conn, {**TABLES, "places": "id"})
    assert _without_new({t: after[t] for t in TABLES}) == before
    assert [(p["id"], p["community_id"]) for p in after["places"]] == [(1, 1), (2, 2)]


@pytest.mark.parametrize("spans", ["two places", "linked accounts"])
async def test_no_downgrade_while_a_community_spans_places_or_accounts_are_linked(
    old_db: Database, spans: str
) -> None:
    await old_db.migrate()
    async with old_db.engine.begin() as conn:
        if spans == "two places":
            await insert(
                conn,
                old_db.is_sqlite,
                "places",
                {
                    "id": 3,
                    "community_id": 1,
                    "platform": "discord",
                    "external_id": "555",
                    "name": "Joined",
                    "created_at": NOW,
                },
            )
        else:
            await conn.execute(sa.text("UPDATE members SET person_id = 2 WHERE id = 3"))
        before = await _tables(conn, {**TABLES, "places": "id"})
    with pytest.raises(RuntimeError, match="Unlink them first"):
        await _to(old_db, "0009", down=True)
    async with old_db.engine.connect() as conn:  # nothing changed
        assert await _tables(conn, {**TABLES, "places": "id"}) == before
        version = (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalar()
        assert version == head_revision()
