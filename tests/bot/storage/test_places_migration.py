"""Migration 0010 (places and accounts) keeps the meaning of every row written before it: each
community becomes a community with one place, each member an account on that place, each
outbox message goes out on that place, and nothing else changes; the app then works on the
migrated data as it did before. Downgrading a database whose communities have one place each
gives back the rows as they were."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

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
from bot.views import Destination, Message
from tests.support import RecordingTransport, text_of

Row = dict[str, Any]

OLD = datetime(2026, 9, 1, 10, tzinfo=UTC)
RECENT = datetime(2026, 11, 20, 16, tzinfo=UTC)
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)

SLACK = CommunityRef("slack", "T01", "Acme alumni")
DISCORD = CommunityRef("discord", "90210", "Acme students")

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

PENDING = 1  # the outbox row still to be delivered
HELLO = Message(text="Your request #2 is open: we're looking for someone.")


def _member(id: int, community: int, user: str, name: str, moderator: bool = False) -> Row:
    return {
        "id": id,
        "community_id": community,
        "user_id": user,
        "display_name": name,
        "is_moderator": moderator,
        "public_recognition": id in (3, 6),
        "weekly_digest": id == 3,
        "created_at": OLD,
    }


def _volunteer(member: int, community: int, topics: list[str], capacity: int) -> Row:
    return {
        "member_id": member,
        "community_id": community,
        "role": "Data engineer",
        "organisation": "Acme",
        "topics": json.dumps(topics),
        "affiliations": json.dumps(["MIT"]),
        "timezone": "Europe/Berlin",
        "languages": json.dumps(["en"]),
        "formats": json.dumps(["video"]),
        "minutes": 30,
        "monthly_capacity": capacity,
        "windows": "[]",
        "paused_until": None,
        "active": True,
        "joined_at": OLD,
        "updated_at": OLD,
    }


def _request(id: int, community: int, seeker: int, status: str, **more: Any) -> Row:
    row: Row = {
        "id": id,
        "community_id": community,
        "seeker_id": seeker,
        "status": status,
        "topic": "data engineering",
        "why": "Moving from backend work to data pipelines.",
        "questions": json.dumps(["What does a typical week look like?"]),
        "minutes": 30,
        "format": "video",
        "time_frame_days": 14,
        "target_role": "",
        "target_org": "",
        "target_member_id": None,
        "affiliations": "[]",
        "warnings": "[]",
        "timezone": "UTC",
        "windows": "[]",
        "created_at": OLD,
        "submitted_at": None if status == "draft" else OLD,
        "closed_at": None,
        "close_reason": None,
    }
    return row | more


def _ask(id: int, request: int, volunteer: int, status: str, **more: Any) -> Row:
    row: Row = {
        "id": id,
        "request_id": request,
        "volunteer_id": volunteer,
        "status": status,
        "reasons": json.dumps(["Topic: data engineering"]),
        "suggested_by_ask_id": None,
        "note": "",
        "created_at": OLD,
        "asked_at": None if status == "proposed" else OLD,
        "decided_at": None if status in ("proposed", "asked") else OLD,
        "approved_by": None,
        "deny_reason": None,
        "reminded_at": None,
    }
    return row | more


def _intro(id: int, community: int, request: int, ask: int, seeker: int, volunteer: int) -> Row:
    return {
        "id": id,
        "community_id": community,
        "request_id": request,
        "ask_id": ask,
        "seeker_id": seeker,
        "volunteer_id": volunteer,
        "minutes": 30,
        "status": "introduced",
        "created_at": OLD,
        "slots": "[]",
        "slot_start": None,
        "seeker_confirmed": False,
        "volunteer_confirmed": False,
        "completed_at": None,
    }


def _outbox(
    id: int, community: int, destination: Destination, message: Message, **more: Any
) -> Row:
    row: Row = {
        "id": id,
        "community_id": community,
        "destination": destination.model_dump_json(),
        "message": message.model_dump_json(),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": RECENT,
        "claimed_until": None,
        "lease_token": None,
        "started_at": None,
        "in_doubt": False,
        "sent_at": None,
        "last_error": None,
        "created_at": RECENT,
    }
    return row | more


def rows_at_0009() -> dict[str, list[Row]]:
    """Two communities on two platforms, with something in every table 0009 had."""
    completed = {"status": "completed", "completed_at": RECENT, "seeker_confirmed": True}
    slack_user = Destination(kind="member", user_ids=("U02",))
    return {
        "communities": [
            {
                "id": community,
                "platform": ref.platform,
                "external_id": ref.external_id,
                "name": ref.name,
                "settings": json.dumps({"approval_required": community == 1}),
                "volunteers_version": "",
                "created_at": OLD,
            }
            for community, ref in ((1, SLACK), (2, DISCORD))
        ],
        "members": [
            _member(1, 1, "U01", "Mona", moderator=True),
            _member(2, 1, "U02", "Sam"),
            _member(3, 1, "U03", "Quinn"),
            _member(4, 1, "U04", "Vic"),
            _member(5, 2, "500", "Dee", moderator=True),
            _member(6, 2, "600", "Dan"),
            _member(7, 2, "U02", "Same id, other platform"),
        ],
        "volunteers": [
            _volunteer(3, 1, ["data engineering"], 2),
            _volunteer(4, 1, ["data engineering", "python"], 1),
            _volunteer(6, 2, ["ux research"], 3),
        ],
        "volunteer_keys": [
            {"community_id": 1, "key": "t:data engineering", "member_id": 3, "load": 1},
            {"community_id": 1, "key": "t:data engineering", "member_id": 4, "load": 0},
            {"community_id": 2, "key": "t:ux research", "member_id": 6, "load": 1},
        ],
        "volunteer_loads": [
            {"member_id": 3, "load": 1, "load_until": OLD + timedelta(days=90)},
            {"member_id": 6, "load": 1, "load_until": None},
        ],
        "requests": [
            _request(1, 1, 2, "draft"),
            _request(2, 1, 2, "open"),
            _request(3, 1, 2, "introduced", target_member_id=3),
            _request(4, 1, 2, "completed"),
            _request(5, 1, 2, "closed", closed_at=OLD, close_reason="cancelled"),
            _request(6, 2, 7, "completed"),
        ],
        "asks": [
            _ask(1, 2, 4, "declined"),
            _ask(2, 2, 3, "proposed"),
            _ask(3, 3, 3, "accepted", approved_by=1),
            _ask(4, 4, 4, "accepted", approved_by=1),
            _ask(5, 5, 4, "suggested", note="Ask Quinn"),
            _ask(6, 5, 3, "withdrawn", suggested_by_ask_id=5),
            _ask(7, 6, 6, "accepted"),
        ],
        "introductions": [
            _intro(1, 1, 3, 3, 2, 3),
            _intro(2, 1, 4, 4, 2, 4) | completed | {"slot_start": RECENT - timedelta(days=1)},
            _intro(3, 2, 6, 7, 7, 6) | completed | {"slots": json.dumps([RECENT.isoformat()])},
        ],
        "thanks": [
            {
                "id": 1,
                "introduction_id": 2,
                "from_id": 2,
                "to_id": 4,
                "text": "Thank you!",
                "created_at": RECENT,
            },
        ],
        "no_shows": [
            {"id": 1, "introduction_id": 1, "reporter_id": 2, "member_id": 3, "created_at": RECENT}
        ],
        "notices": [{"member_id": 1, "kind": "approval_howto", "created_at": OLD}],
        "audit_log": [
            {
                "id": 1,
                "community_id": 1,
                "actor_id": 1,
                "action": "approve",
                "target": "ask:3",
                "detail": json.dumps({"request": 3}),
                "created_at": OLD,
            }
        ],
        "outbox": [
            _outbox(PENDING, 1, slack_user, HELLO),
            _outbox(
                2,
                2,
                Destination(kind="channel", channel="introductions"),
                Message(text="Dee and Dan, meet each other."),
                status="sent",
                attempts=1,
                sent_at=RECENT,
            ),
        ],
        "processed_commands": [
            {
                "community_id": 1,
                "user_id": "U02",
                "key": "slack-evt-1",
                "action": "help",
                "reply": json.dumps({"ok": True, "messages": []}),
                "created_at": RECENT,
            }
        ],
        "jobs": [
            {
                "id": 1,
                "community_id": 1,
                "kind": "followup",
                "period": "intro",
                "target": "1",
                "due_at": NOW + timedelta(days=30),
                "status": "pending",
                "attempts": 0,
                "last_error": None,
                "created_at": OLD,
                "done_at": None,
            },
            {
                "id": 2,
                "community_id": 2,
                "kind": "digest",
                "period": "2026-W40",
                "target": "2",
                "due_at": OLD,
                "status": "done",
                "attempts": 1,
                "last_error": None,
                "created_at": OLD,
                "done_at": OLD,
            },
        ],
        "help_chains": [
            {
                "community_id": 1,
                "through": RECENT,
                "confirmed_late": 0,
                "longest": 1,
                "reach": json.dumps({"4": 1}),
            }
        ],
    }


async def _insert(conn: AsyncConnection, sqlite: bool, table: str, row: Row) -> None:
    """A row written as plain SQL, the way the code of 0009 stored it: datetimes as naive UTC
    on SQLite, aware on PostgreSQL."""

    def value(v: Any) -> Any:
        if isinstance(v, datetime) and sqlite:
            return v.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
        return v

    columns = ", ".join(row)
    params = ", ".join(f":{c}" for c in row)
    await conn.execute(
        sa.text(f"INSERT INTO {table} ({columns}) VALUES ({params})"),
        {c: value(v) for c, v in row.items()},
    )


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
                    await _insert(conn, db.is_sqlite, table, row)
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
            await _insert(
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
