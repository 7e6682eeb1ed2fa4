"""A community at scale, written straight into the tables with bulk inserts (no commands), so
query plans and timings can be looked at with realistic row counts on either engine.

Every table but `communities` gets thousands of rows, most of them history (completed and
closed requests, answered asks, sent messages, done jobs), as in a community that has run for a
while. The seeded volunteers' topics are kept apart from the ones tests use ("data
engineering", "python", "software engineering", "data science", "machine learning"), so a test's
own volunteers are still the ones matched for its requests.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import counters
from bot.storage.database import Database
from bot.storage.schema import (
    asks,
    audit_log,
    introductions,
    jobs,
    members,
    no_shows,
    notices,
    outbox,
    places,
    processed_commands,
    requests,
    thanks,
    volunteers,
)
from bot.views import Destination, Message

TOPICS = (
    "product management",
    "ux research",
    "devops",
    "security",
    "frontend",
    "mobile",
    "finance",
    "marketing",
    "sales",
    "consulting",
    "teaching",
    "law",
    "healthcare",
    "journalism",
    "design",
    "hardware",
)
ZONES = ("UTC", "Europe/Lisbon", "Europe/Berlin", "America/New_York", "Asia/Tokyo")
BATCH = 1000
TABLES_WITH_IDS = (members, requests, asks, introductions)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Scale:
    volunteers: int = 2000
    seekers: int = 4000
    requests_per_seeker: int = 3  # each a request with two asks, long finished
    # Open requests are few beside the history (the scale: 1,000 pending approvals
    # beside 1M chats), as the planners see them.
    open_requests: int = 40  # still looking (one ask each, waiting for a volunteer)
    pending_approvals: int = 40  # open, with an ask waiting for a moderator


@dataclass(frozen=True)
class Seeded:
    community_id: int
    rows: Mapping[str, int]  # table → rows added


async def seed(db: Database, community_id: int, now: datetime, scale: Scale = Scale()) -> Seeded:
    """Fill the community's tables; rows are dated before `now`, pending work after it."""
    rng = random.Random(13)
    rows: dict[str, list[dict[str, Any]]] = {}
    async with db.transaction() as conn:
        first = await _next_id(conn, members)
        place_id = (
            await conn.execute(
                sa.select(sa.func.min(places.c.id)).where(places.c.community_id == community_id)
            )
        ).scalar_one()
        member_rows = [
            {
                "id": first + n,
                **_member(community_id, place_id, f"bulk{n}", now - (400 - n % 400) * DAY),
            }
            for n in range(scale.volunteers + scale.seekers)
        ]
        await _insert(conn, members, member_rows)
        volunteer_ids = list(range(first, first + scale.volunteers))
        seeker_ids = list(range(first + scale.volunteers, first + len(member_rows)))
        rows["members"] = member_rows
        rows["volunteers"] = [_volunteer(community_id, m, rng, now) for m in volunteer_ids]
        await _insert(conn, volunteers, rows["volunteers"])

        history = scale.seekers * scale.requests_per_seeker
        total = history + scale.open_requests + scale.pending_approvals
        request_id = await _next_id(conn, requests)
        rows["requests"] = []
        rows["asks"] = []
        ask_id = await _next_id(conn, asks)
        intro_id = await _next_id(conn, introductions)
        intro_rows: list[dict[str, Any]] = []
        for n in range(total):
            seeker = seeker_ids[n % len(seeker_ids)]
            created = now - (1 + (total - n) * 300 // total) * DAY
            first_v, second_v = rng.sample(volunteer_ids, 2)
            if n < history:
                done = n % 3 != 0  # two in three led to a chat
                status = "completed" if done else "closed"
                rows["requests"].append(
                    {"id": request_id, **_request(community_id, seeker, status, created, rng)}
                )
                rows["asks"].append(
                    {"id": ask_id, **_ask(request_id, first_v, "declined", created)}
                )
                second = "accepted" if done else "expired"
                rows["asks"].append(
                    {"id": ask_id + 1, **_ask(request_id, second_v, second, created)}
                )
                if done:
                    intro_rows.append(
                        {
                            "id": intro_id + len(intro_rows),
                            **_introduction(
                                community_id, request_id, ask_id + 1, seeker, second_v, created
                            ),
                        }
                    )
                ask_id += 2
            else:
                waiting = "proposed" if n >= history + scale.open_requests else "asked"
                created = now - (n % 5) * DAY
                rows["requests"].append(
                    {"id": request_id, **_request(community_id, seeker, "open", created, rng)}
                )
                rows["asks"].append({"id": ask_id, **_ask(request_id, first_v, waiting, created)})
                ask_id += 1
            request_id += 1
        await _insert(conn, requests, rows["requests"])
        await _insert(conn, asks, rows["asks"])
        await _insert(conn, introductions, intro_rows)
        rows["introductions"] = intro_rows

        intro_ids = range(intro_id, intro_id + len(intro_rows))
        rows["thanks"] = [
            {
                "introduction_id": i,
                "from_id": row["seeker_id"],
                "to_id": row["volunteer_id"],
                "text": "Thank you for your time!",
                "created_at": row["created_at"] + 4 * DAY,
            }
            for i, row in zip(intro_ids, intro_rows, strict=True)
            if i % 2 == 0
        ]
        rows["no_shows"] = [
            {
                "introduction_id": i,
                "reporter_id": row["seeker_id"],
                "member_id": row["volunteer_id"],
                "created_at": row["created_at"] + 4 * DAY,
            }
            for i, row in zip(intro_ids, intro_rows, strict=True)
            if i % 10 == 1
        ]
        rows["jobs"] = _jobs(community_id, rows["asks"], now)
        rows["outbox"] = [
            _sent(community_id, place_id, f"bulk{n % len(member_rows)}", now - (n % 300) * DAY)
            for n in range(2 * len(rows["requests"]))
        ]
        rows["processed_commands"] = [
            {
                "community_id": community_id,
                "user_id": f"bulk{n % len(member_rows)}",
                "key": f"bulk-key-{n}",
                "action": "request.create",
                "reply": {"ok": True},
                "created_at": now - (n % 300) * DAY,
            }
            for n in range(len(rows["requests"]))
        ]
        rows["audit_log"] = [
            {
                "community_id": community_id,
                "actor_id": seeker_ids[0],
                "action": "approve",
                "target": f"ask:{n}",
                "detail": {},
                "created_at": now - (n % 300) * DAY,
            }
            for n in range(len(rows["requests"]))
        ]
        rows["notices"] = [
            {"member_id": m, "kind": "bulk", "created_at": now - DAY} for m in volunteer_ids
        ]
        for table in (thanks, no_shows, jobs, outbox, processed_commands, audit_log, notices):
            await _insert(conn, table, rows[table.name])
        if not db.is_sqlite:  # ids were given: move PostgreSQL's sequences past them
            for table in TABLES_WITH_IDS:
                await conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT max(id) FROM {table.name}))"
                )
        await counters.recount(conn, now, community_id)  # matching's postings and loads
    return Seeded(community_id, {name: len(values) for name, values in rows.items()})


async def analyze(db: Database) -> None:
    """Fresh planner statistics on either engine, as after a while in production."""
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            await conn.exec_driver_sql("ANALYZE")
        else:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("ANALYZE")
        await conn.commit()


async def _next_id(conn: AsyncConnection, table: sa.Table) -> int:
    """Ids are given explicitly so rows can refer to each other without reading them back."""
    return (
        int(
            (
                await conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0)))
            ).scalar_one()
        )
        + 1
    )


async def _insert(conn: AsyncConnection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        await conn.execute(sa.insert(table), list(rows[start : start + BATCH]))


def _member(community_id: int, place_id: int, user_id: str, created: datetime) -> dict[str, Any]:
    return {
        "community_id": community_id,
        "place_id": place_id,
        "user_id": user_id,
        "display_name": user_id.capitalize(),
        "is_moderator": False,
        "public_recognition": user_id.endswith("7"),
        "weekly_digest": user_id.endswith("3"),
        "created_at": created,
    }


def _volunteer(
    community_id: int, member_id: int, rng: random.Random, now: datetime
) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "community_id": community_id,
        "role": rng.choice(("Engineer", "Manager", "Designer", "Analyst", "Lawyer")),
        "organisation": f"Org {member_id % 97}",
        "topics": rng.sample(TOPICS, 2),
        "affiliations": [f"University {member_id % 13}"] if member_id % 4 == 0 else [],
        "timezone": rng.choice(ZONES),
        "languages": ["English"],
        "formats": ["video"],
        "minutes": 30,
        "monthly_capacity": rng.choice((1, 2, 4)),
        "windows": [[d, "18:00", "20:00"] for d in range(5)],
        "paused_until": now + 20 * DAY if member_id % 25 == 0 else None,
        "active": member_id % 40 != 0,
        "joined_at": now - 300 * DAY,
        "updated_at": now - 30 * DAY,
    }


def _request(
    community_id: int, seeker_id: int, status: str, created: datetime, rng: random.Random
) -> dict[str, Any]:
    closed = status in ("completed", "closed")
    return {
        "community_id": community_id,
        "seeker_id": seeker_id,
        "status": status,
        "topic": rng.choice(TOPICS),
        "why": "I would like to hear how the work looks from the inside before I move.",
        "questions": ["What does a typical week look like?", "What surprised you most?"],
        "minutes": 15,
        "format": "video",
        "time_frame_days": 14,
        "target_role": "",
        "target_org": "",
        "target_member_id": None,
        "affiliations": [],
        "warnings": [],
        "timezone": "UTC",
        "windows": [],
        "created_at": created,
        "submitted_at": created,
        "closed_at": created + 5 * DAY if closed else None,
        "close_reason": ("expired" if status == "closed" else None),
    }


def _ask(request_id: int, volunteer_id: int, status: str, created: datetime) -> dict[str, Any]:
    answered = status not in ("proposed", "asked")
    return {
        "request_id": request_id,
        "volunteer_id": volunteer_id,
        "status": status,
        "reasons": ["Knows the topic"],
        "suggested_by_ask_id": None,
        "note": "",
        "created_at": created,
        "asked_at": None if status == "proposed" else created,
        "decided_at": created + DAY if answered else None,
        "approved_by": None,
        "deny_reason": None,
        "reminded_at": None,
    }


def _introduction(
    community_id: int, request_id: int, ask_id: int, seeker: int, volunteer: int, created: datetime
) -> dict[str, Any]:
    return {
        "community_id": community_id,
        "request_id": request_id,
        "ask_id": ask_id,
        "seeker_id": seeker,
        "volunteer_id": volunteer,
        "minutes": 15,
        "status": "completed",
        "created_at": created + DAY,
        "slots": [],
        "slot_start": None,
        "seeker_confirmed": True,
        "volunteer_confirmed": False,
        "completed_at": created + 4 * DAY,
    }


def _jobs(community_id: int, ask_rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """An expiry per ask: done for answered asks; for waiting ones pending, but far enough
    ahead that a test's own jobs run first."""
    found = []
    for ask in ask_rows:
        waiting = ask["status"] in ("proposed", "asked")
        for kind in ("ask.expire",):
            found.append(
                {
                    "community_id": community_id,
                    "kind": kind,
                    "period": "",
                    "target": str(ask["id"]),
                    "due_at": now + 60 * DAY if waiting else ask["created_at"] + 3 * DAY,
                    "status": "pending" if waiting else "done",
                    "attempts": 0 if waiting else 1,
                    "last_error": None,
                    "created_at": ask["created_at"],
                    "done_at": None if waiting else ask["created_at"] + 3 * DAY,
                }
            )
    return found


def _sent(community_id: int, place_id: int, user_id: str, created: datetime) -> dict[str, Any]:
    return {
        "community_id": community_id,
        "place_id": place_id,
        "destination": Destination(kind="member", user_ids=(user_id,)).model_dump(mode="json"),
        "message": Message(text="A message sent long ago.").model_dump(mode="json"),
        "status": "sent",
        "attempts": 1,
        "next_attempt_at": created,
        "claimed_until": None,
        "lease_token": None,
        "started_at": None,
        "in_doubt": False,
        "sent_at": created,
        "last_error": None,
        "created_at": created,
    }
