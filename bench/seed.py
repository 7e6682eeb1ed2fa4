"""Bulk-seed a community of a given size for `bench/scale.py`, straight into the schema the
migrations create, with the rows as the core writes them (JSON lists, UTC datetimes in the
engine's own format, the same statuses).

The community itself and its moderator are created through the core (`mod.settings
approval_required=yes`); everything else is bulk SQL in one transaction: `executemany` on
SQLite, `COPY` on PostgreSQL. What is seeded, for `Size(volunteers, chats)`:

- members (100,000 by default; the first ones are the volunteers), ~30 % recognisable in
  public, ~10 % of volunteers with the personal weekly DM on;
- volunteer profiles: 1–4 topics from ~30 with a long tail, roles, organisations (long
  tail), 0–2 affiliations (schools), time zones, 0–3 weekly windows, chats of 15–45 minutes,
  monthly capacities 1–4; ~4 % paused, ~3 % left;
- completed chats spread over the past year: a request (its topic follows the seekers'
  distribution, not the volunteers'), its ask accepted (sometimes after another volunteer
  declined), an introduction, the check-in answered (often by both), often a thank-you;
- waiting work now: `pending` open requests with an ask waiting for a moderator (PROPOSED),
  300 asks waiting for volunteers, 200 open requests nobody was asked for yet.

Not seeded: the outbox, audit log and done jobs that the history would have left; none of
them is read by the measured commands.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from bisect import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import accumulate
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench.bulk import (
    COLUMNS,
    MEMBER_COLUMNS,
    VOLUNTEER_COLUMNS,
    PostgresWriter,
    SqliteWriter,
)
from bot.app import Infochat
from bot.clock import FakeClock
from bot.commands import Actor, Command, CommunityRef
from bot.storage import counters
from bot.storage.database import Database
from bot.storage.schema import communities, members

COMMUNITY = CommunityRef("bench", "scale", "Scale benchmark")
MODERATOR = "mod"
# Canonical topics the topic graph knows (bot/domain/topics.py), most listed first.
TOPICS = (
    "software engineering", "data science", "product management", "ux design",
    "data engineering", "machine learning", "marketing", "devops", "finance", "security",
    "analytics", "sales", "teaching", "recruiting", "consulting", "law", "healthcare",
    "research", "policy", "nonprofit", "communications", "hr", "accounting", "growth",
    "customer success", "journalism", "venture capital", "project management",
    "urban planning", "game development",
)  # fmt: skip
# Seekers ask for a different mix: career changers want data, product, UX and security.
SEEKER_ORDER = (
    "data science", "product management", "ux design", "machine learning", "security",
    "software engineering", "data engineering", "marketing", "analytics", "consulting",
    "finance", "devops", "venture capital", "policy", "growth", "research", "healthcare",
    "law", "teaching", "communications", "sales", "hr", "recruiting", "nonprofit",
    "customer success", "journalism", "accounting", "project management", "game development",
    "urban planning",
)  # fmt: skip
ROLES = (
    "Software Engineer", "Senior Engineer", "Engineering Manager", "Data Scientist",
    "Product Manager", "Designer", "Analyst", "Director", "Consultant", "Researcher", "Lead",
    "Founder", "Recruiter", "Teacher", "Lawyer", "Nurse", "Accountant", "Marketing Manager",
)  # fmt: skip
ZONES = (
    "Europe/Berlin", "America/New_York", "Asia/Singapore", "Europe/London", "UTC",
    "America/Los_Angeles", "America/Chicago", "Asia/Kolkata", "Australia/Sydney",
    "Europe/Lisbon", "America/Sao_Paulo", "Africa/Lagos", "Asia/Tokyo", "Europe/Paris",
    "America/Toronto",
)  # fmt: skip
SCHOOLS = tuple(
    [
        "University of Toronto", "Le Wagon", "MIT", "TU Delft", "Makers Academy",
        "General Assembly", "Stanford", "ETH Zurich", "University of Lagos", "IIT Bombay",
    ]
    + [f"School {i}" for i in range(40)]
)  # fmt: skip
FIRST = (
    "Ada", "Ben", "Chen", "Dana", "Emeka", "Fatima", "Gil", "Hana", "Ivan", "Jo", "Kofi",
    "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Vik",
    "Wen", "Ximena", "Yusuf", "Zoe",
)  # fmt: skip
LAST = (
    "Abe", "Brown", "Costa", "Diallo", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
    "Kim", "Lopez", "Moreau", "Nguyen", "Okafor", "Patel", "Rossi", "Silva", "Tanaka", "Weber",
)  # fmt: skip
WHY = (
    "I am a backend developer moving toward {topic} and want to hear how the work "
    "differs day to day from what I do now"
)
QUESTIONS = (
    "What does a typical week look like in your role?",
    "Which skills mattered most when you moved into {topic}?",
)
THANKS = "Thank you so much for your time and the advice on getting started!"
WAITING_ASKS = 300
WAITING_UNASKED = 200
FREE_SEEKERS = 200  # members kept free of history's open requests, to measure with
CHUNK = 20_000


@dataclass(frozen=True)
class Size:
    """A community to seed: volunteers and completed chats (members and pending approvals
    are the same at every size unless asked otherwise)."""

    volunteers: int
    chats: int = 0
    members: int = 100_000
    pending: int = 1_000

    @property
    def label(self) -> str:
        return short(self.volunteers) + (f"+{short(self.chats)}" if self.chats else "")

    @property
    def member_count(self) -> int:
        reserve = self.pending + WAITING_ASKS + WAITING_UNASKED + FREE_SEEKERS
        return max(self.members, self.volunteers + reserve)


def short(n: int) -> str:
    for unit, scale in (("M", 1_000_000), ("k", 1_000)):
        if n >= scale and n % (scale // 10) == 0:
            text = f"{n / scale:.1f}".removesuffix(".0")
            return text + unit
    return str(n)


def count(text: str) -> int:
    found = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmM]?)", text.strip())
    if not found:
        raise ValueError(f"not a count: {text!r} (e.g. 500, 10k, 1M)")
    scale = {"": 1, "k": 1_000, "m": 1_000_000}[found.group(2).lower()]
    return round(float(found.group(1)) * scale)


def parse_size(text: str, members: int = 100_000, pending: int = 1_000) -> Size:
    """`10k` (volunteers) or `50k+1M` (volunteers + completed chats)."""
    volunteers, _, chats = text.partition("+")
    return Size(count(volunteers), count(chats) if chats else 0, members, pending)


def user_id(index: int) -> str:
    return f"U{index:07d}"


def display_name(index: int) -> str:
    return f"{FIRST[index % len(FIRST)]} {LAST[index // len(FIRST) % len(LAST)]} {index}"


def member_actor(index: int) -> Actor:
    return Actor(COMMUNITY, user_id(index), display_name(index))


def moderator_actor() -> Actor:
    return Actor(COMMUNITY, MODERATOR, "Moderator", is_moderator=True)


@dataclass(frozen=True)
class Seeded:
    """What the measuring process needs to know about the seeded community."""

    now: datetime
    seconds: float
    cpu_seconds: float  # this process's own CPU time: on a busy machine, wall time is more
    rows: int
    seekers: list[int]  # member indexes free to make a request now
    volunteers: list[int]  # member indexes of active, unpaused volunteers

    def to_json(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "seconds": self.seconds,
            "cpu_seconds": self.cpu_seconds,
            "rows": self.rows,
            "seekers": self.seekers,
            "volunteers": self.volunteers,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Seeded:
        return cls(
            datetime.fromisoformat(data["now"]),
            data["seconds"],
            data["cpu_seconds"],
            data["rows"],
            data["seekers"],
            data["volunteers"],
        )


class Weighted:
    """Draws from `items` with a long tail: weight 1/(rank+1)^skew."""

    def __init__(self, items: Sequence[Any], skew: float = 1.0) -> None:
        self.items = items
        self.cumulative = list(accumulate(1 / (rank + 1) ** skew for rank in range(len(items))))

    def draw(self, rng: random.Random) -> Any:
        return self.items[bisect(self.cumulative, rng.random() * self.cumulative[-1])]

    def sample(self, rng: random.Random, k: int) -> list[Any]:
        found: dict[Any, None] = {}
        while len(found) < k:
            found[self.draw(rng)] = None
        return list(found)


# ---- rows: the columns each table gets, in order, and generators of plain Python values ----

DAY = 86_400  # times are whole seconds since the epoch until they are written
YEAR = 365 * DAY


@cache
def as_json(value: tuple[Any, ...]) -> str:
    """A JSON list as SQLAlchemy's JSON type stores it (json.dumps), cached: few differ."""
    return json.dumps(list(value))


class Community:
    """The generated community: member ids, profiles' topics, and the draws they share."""

    def __init__(self, size: Size, community_id: int, place_id: int, first_id: int, moderator_id: int,
                 now: datetime, rng: random.Random) -> None:  # fmt: skip
        self.size = size
        self.community_id = community_id
        self.place_id = place_id
        self.first_id = first_id  # member index i has id first_id + i
        self.moderator_id = moderator_id
        self.now = int(now.timestamp())
        self.rng = rng
        self.topics = Weighted(TOPICS, 1.1)
        self.seeker_topics = Weighted(SEEKER_ORDER, 0.9)
        self.organisations = Weighted([f"Org {i}" for i in range(2_000)], 1.05)
        self.schools = Weighted(SCHOOLS, 1.0)
        self.zones = Weighted(ZONES, 0.8)
        self.by_topic: dict[str, list[int]] = {t: [] for t in TOPICS}  # active member ids
        self.active: list[int] = []  # member indexes of active, unpaused volunteers
        # Members who make no request in the seeded history's waiting work: measured seekers.
        self.free_seekers = list(range(size.member_count - FREE_SEEKERS, size.member_count))
        self.history_seekers = size.member_count - FREE_SEEKERS - size.pending - WAITING_ASKS
        self.history_seekers -= WAITING_UNASKED

    def member_id(self, index: int) -> int:
        return self.first_id + index

    def below(self, n: int) -> int:
        return int(self.rng.random() * n)

    def members(self) -> Iterator[tuple[Any, ...]]:
        rng, now = self.rng, self.now
        for i in range(self.size.member_count):
            is_volunteer = i < self.size.volunteers
            yield (
                self.member_id(i), self.community_id, self.place_id, user_id(i), display_name(i),
                False,
                rng.random() < 0.3, is_volunteer and rng.random() < 0.1, now - self.below(2 * YEAR),
            )  # fmt: skip

    def volunteers(self) -> Iterator[tuple[Any, ...]]:
        rng, now, below = self.rng, self.now, self.below
        for i in range(self.size.volunteers):
            member_id = self.member_id(i)
            topics = self.topics.sample(rng, rng.choice((1, 1, 2, 2, 2, 3, 3, 4)))
            windows = tuple(
                (day, f"{hour:02d}:00", f"{hour + rng.choice((1, 2)):02d}:00")
                for day, hour in sorted({(below(7), 8 + below(12)) for _ in range(below(4))})
            )
            roll = rng.random()
            active = roll >= 0.03
            paused = now + (1 + below(60)) * DAY if 0.03 <= roll < 0.07 else None
            if active and paused is None:
                self.active.append(i)
                for topic in topics:
                    self.by_topic[topic].append(member_id)
            joined = now - below(2 * YEAR)
            yield (
                member_id, self.community_id, rng.choice(ROLES), self.organisations.draw(rng),
                as_json(tuple(topics)),
                as_json(tuple(self.schools.sample(rng, rng.choice((0, 1, 1, 2))))),
                self.zones.draw(rng),
                as_json(rng.choice(((), ("English",), ("English",), ("English", "Spanish")))),
                as_json(rng.choice((("video",), ("video", "phone"),
                                    ("video", "phone", "text chat")))),
                rng.choice((15, 20, 30, 30, 45)), rng.choice((1, 2, 2, 3, 4)),
                as_json(windows), paused, active,
                joined, joined + below(min(30 * DAY, now - joined) + 1),
            )  # fmt: skip

    def volunteer_for(self, topic: str, avoid: int) -> int:
        listed = self.by_topic.get(topic) or [self.member_id(i) for i in self.active[:50]]
        for _ in range(3):
            chosen = listed[self.below(len(listed))]
            if chosen != avoid:
                return chosen
        return self.member_id(self.active[0])

    def request(self, request_id: int, seeker_id: int, topic: str, status: str,
                at: int) -> tuple[Any, ...]:  # fmt: skip
        rng = self.rng
        return (
            request_id, self.community_id, seeker_id, status, topic, WHY.format(topic=topic),
            as_json((QUESTIONS[0], QUESTIONS[1].format(topic=topic))), rng.choice((15, 20, 30)),
            rng.choice(("video", "video", "phone")), 14, "", "", None,
            as_json((self.schools.draw(rng),)) if rng.random() < 0.3 else "[]", "[]",
            self.zones.draw(rng), "[]", at, at, None, None,
        )  # fmt: skip

    def seeker(self) -> int:
        """A seeker for history: mostly members who don't volunteer."""
        first = self.size.volunteers if self.rng.random() < 0.85 else 0
        if self.history_seekers - first < 100:  # a tiny community: anybody
            first = 0
        return self.member_id(first + self.below(max(1, self.history_seekers - first)))

    def chats(self, ids: Ids) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
        """Completed chats in chunks: rows per table."""
        rng, now, below = self.rng, self.now, self.below
        chunk: dict[str, list[tuple[Any, ...]]] = _empty()
        for n in range(self.size.chats):
            topic = self.seeker_topics.draw(rng)
            reasons = as_json((f"works in {topic}",))
            seeker_id = self.seeker()
            volunteer_id = self.volunteer_for(topic, seeker_id)
            decide = 600 + below(2 * DAY)
            slot = DAY + below(6 * DAY)
            confirm = 3_600 + below(3 * DAY)
            total = decide + slot + confirm + 300
            start = now - total - below(max(YEAR - total, 1))
            request_id = ids.next("requests")
            chunk["requests"].append(self.request(request_id, seeker_id, topic, "completed", start))
            asked = start + 1
            if rng.random() < 0.1:  # another volunteer declined first
                declined_by = self.volunteer_for(topic, seeker_id)
                if declined_by != volunteer_id:
                    chunk["asks"].append((
                        ids.next("asks"), request_id, declined_by, "declined", reasons, None, "",
                        asked, asked, asked + decide // 2, None, None, None,
                    ))  # fmt: skip
                    asked += decide // 2
            ask_id = ids.next("asks")
            introduced = asked + decide // 2
            approved_by = self.moderator_id if rng.random() < 0.5 else None
            reminded = asked + 3 * DAY if decide > 3 * DAY and rng.random() < 0.15 else None
            chunk["asks"].append((
                ask_id, request_id, volunteer_id, "accepted", reasons, None, "", start, asked,
                introduced, approved_by, None, reminded,
            ))  # fmt: skip
            intro_id = ids.next("introductions")
            slot_start = introduced + slot if rng.random() < 0.6 else None
            done = (slot_start or introduced + slot) + confirm
            slots = f'["{_iso(slot_start)}"]' if slot_start else "[]"
            chunk["introductions"].append((
                intro_id, self.community_id, request_id, ask_id, seeker_id, volunteer_id,
                rng.choice((15, 20, 30)), "completed", introduced, slots, slot_start, True,
                rng.random() < 0.5, done,
            ))  # fmt: skip
            if rng.random() < 0.6:
                chunk["thanks"].append(
                    (ids.next("thanks"), intro_id, seeker_id, volunteer_id, THANKS, done)
                )
            if n % CHUNK == CHUNK - 1:
                yield chunk
                chunk = _empty()
        yield chunk

    def waiting(self, ids: Ids) -> dict[str, list[tuple[Any, ...]]]:
        """Open requests now: asks waiting for a moderator or a volunteer, and unasked ones."""
        now = self.now
        rows = _empty()
        seeker = self.history_seekers
        for kind, n in (("proposed", self.size.pending), ("asked", WAITING_ASKS),
                        ("open", WAITING_UNASKED)):  # fmt: skip
            for _ in range(n):
                topic = self.seeker_topics.draw(self.rng)
                at = now - self.below(6 * DAY)
                request_id = ids.next("requests")
                seeker_id = self.member_id(seeker)
                seeker += 1
                rows["requests"].append(self.request(request_id, seeker_id, topic, "open", at))
                if kind == "open":
                    continue
                rows["asks"].append((
                    ids.next("asks"), request_id, self.volunteer_for(topic, seeker_id), kind,
                    as_json((f"works in {topic}",)), None, "", at,
                    at if kind == "asked" else None, None, None, None, None,
                ))  # fmt: skip
        return rows


def _iso(seconds: int) -> str:
    """A slot as the core stores it in `introductions.slots` (aware UTC isoformat)."""
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _empty() -> dict[str, list[tuple[Any, ...]]]:
    return {"requests": [], "asks": [], "introductions": [], "thanks": []}


class Ids:
    """The next free id per table (ids are given explicitly, so rows can refer to each other)."""

    def __init__(self, start: dict[str, int]) -> None:
        self._next = dict(start)

    def next(self, table: str) -> int:
        value = self._next[table]
        self._next[table] = value + 1
        return value


# ---- the whole seeding ----


async def seed(url: str, size: Size, now: datetime, rng_seed: int = 13) -> Seeded:
    started, cpu_started = time.perf_counter(), time.process_time()
    rng = random.Random(rng_seed)
    db = Database(url)
    await db.migrate()
    app = Infochat(db, FakeClock(now - timedelta(days=730)))
    command = Command(moderator_actor(), "mod.settings", "seed-settings", "",
                      {"approval_required": "yes"})  # fmt: skip
    reply = await app.dispatch(command)
    if not reply.ok:
        raise RuntimeError(f"seeding: {reply.messages[0].text}")
    async with db.transaction() as conn:
        community_id = (
            await conn.execute(sa.select(communities.c.id).where(
                communities.c.platform == COMMUNITY.platform,
                communities.c.external_id == COMMUNITY.external_id,
            ))
        ).scalar_one()  # fmt: skip
        moderator_id, place_id = (
            await conn.execute(
                sa.select(members.c.id, members.c.place_id).where(members.c.user_id == MODERATOR)
            )
        ).one()
        starts = {}
        for table in ("members", "requests", "asks", "introductions", "thanks"):
            found = (await conn.execute(sa.text(f"SELECT max(id) FROM {table}"))).scalar()
            starts[table] = int(found or 0) + 1
    await db.dispose()

    community = Community(size, community_id, place_id, starts["members"], moderator_id, now, rng)
    ids = Ids(starts)
    writer: SqliteWriter | PostgresWriter
    if make_url(url).get_backend_name() == "sqlite":
        writer = SqliteWriter(make_url(url).database or "")
    else:
        writer = await PostgresWriter.open(url)
    rows = await writer.write("members", MEMBER_COLUMNS, community.members())
    rows += await writer.write("volunteers", VOLUNTEER_COLUMNS, community.volunteers())
    for chunk in community.chats(ids):
        for table, table_rows in chunk.items():
            rows += await writer.write(table, COLUMNS[table], table_rows)
    for table, table_rows in community.waiting(ids).items():
        rows += await writer.write(table, COLUMNS[table], table_rows)
    await writer.finish()

    # Matching's index and the stored loads are derived from the rows above: the core rebuilds
    # them the way a migration does.
    db = Database(url)
    async with db.transaction() as conn:
        await counters.recount(conn, now, community_id)
    await db.dispose()
    return Seeded(
        now=now,
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu_started,
        rows=rows,
        seekers=community.free_seekers,
        volunteers=community.active,
    )


def main(url: str, size: Size, now: datetime) -> Seeded:
    return asyncio.run(seed(url, size, now))
