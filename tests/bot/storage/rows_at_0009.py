"""The rows of the tables at revision 0009 that the migration tests start from: two
communities on two platforms, with something in every table, written as plain SQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import CommunityRef
from bot.views import Destination, Message

Row = dict[str, Any]

OLD = datetime(2026, 9, 1, 10, tzinfo=UTC)
RECENT = datetime(2026, 11, 20, 16, tzinfo=UTC)
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)

SLACK = CommunityRef("slack", "T01", "Acme alumni")
DISCORD = CommunityRef("discord", "90210", "Acme students")

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


async def insert(conn: AsyncConnection, sqlite: bool, table: str, row: Row) -> None:
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
