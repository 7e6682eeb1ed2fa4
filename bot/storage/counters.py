"""Matching loads kept as counters instead of scans of history.

A member's load is their introductions of the last 90 days, plus twice the no-shows reported
against them in the last 60 days, plus their asks of the last 60 days that didn't become an
introduction (declined, not now, left to expire). `volunteer_loads` stores it with
`load_until`, the moment it next changes by time alone (the oldest counted event leaves its
window). An event (an introduction, a no-show reported or withdrawn, an ask declined, put off
or expiring) marks the member's row as passed, in the same transaction; before matching reads
loads, every passed row is recounted from history with indexed reads (`refresh`). So a
stored load is exact at any `now` it is read.

Locks (PostgreSQL): whoever writes a member's postings (`volunteer_keys`) first holds the
member's `volunteer_loads` row (`touched` upserts it; a profile edit touches it before its
postings are replaced; `refresh` locks the rows it recounts). `refresh` never waits: it takes
the stale rows with `FOR UPDATE SKIP LOCKED` and leaves a row another transaction holds to
that transaction, which either recounts it itself or leaves it marked passed (`touched`) for
the next refresh once it commits. So a refresh can't be part of a deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.matching import posting_keys
from bot.domain.models import AskStatus, VolunteerProfile
from bot.storage.inserts import insert_or_update
from bot.storage.schema import (
    asks,
    introductions,
    members,
    no_shows,
    requests,
    volunteer_keys,
    volunteer_loads,
    volunteers,
)

RECENT_DAYS = 90
NO_SHOW_DAYS = 60  # a reported no-show lowers matching priority this long (R12)
NO_SHOW_WEIGHT = 2
ASKS_DAYS = 60  # an ask that didn't become a chat lowers matching priority this long
NO_CHAT = (AskStatus.DECLINED.value, AskStatus.NOT_NOW.value, AskStatus.EXPIRED.value)
ASKS_WEIGHT = 1
PASSED = datetime(1970, 1, 1, tzinfo=UTC)  # `load_until` of a row an event made stale
_CHUNK = 500

_Load = tuple[int, datetime | None]  # (load, load_until)


async def touched(conn: AsyncConnection, member_id: int) -> None:
    """An event changed this member's load: recount it before it is next read."""
    await insert_or_update(
        conn,
        volunteer_loads,
        {"member_id": member_id, "load_until": PASSED},
        ("member_id",),
        on_insert={"load": 0},
    )


async def refresh(conn: AsyncConnection, now: datetime) -> None:
    """Recount every load that may have changed since it was stored (few rows: one per event
    since the last refresh)."""
    query = (
        sa.select(volunteer_loads.c.member_id)
        .where(volunteer_loads.c.load_until < now)
        .with_for_update(skip_locked=True)  # nothing on SQLite (one writer at a time)
    )
    stale = sorted(r[0] for r in await conn.execute(query))
    for start in range(0, len(stale), _CHUNK):
        chunk = stale[start : start + _CHUNK]
        loads = await _loads(conn, now, volunteer_ids=chunk)
        rows = [
            {"m": m, "l": loads.get(m, (0, None))[0], "u": loads.get(m, (0, None))[1]}
            for m in chunk
        ]
        await conn.execute(
            sa.update(volunteer_loads)
            .where(volunteer_loads.c.member_id == sa.bindparam("m"))
            .values(load=sa.bindparam("l"), load_until=sa.bindparam("u")),
            rows,
        )
        await conn.execute(
            sa.update(volunteer_keys)
            .where(volunteer_keys.c.member_id == sa.bindparam("m"))
            .values(load=sa.bindparam("l")),
            [{"m": r["m"], "l": r["l"]} for r in rows],
        )


async def current(conn: AsyncConnection, member_id: int) -> int:
    """The member's stored load (what their postings carry)."""
    row = await conn.execute(
        sa.select(volunteer_loads.c.load).where(volunteer_loads.c.member_id == member_id)
    )
    return int(row.scalar_one_or_none() or 0)


def copy_loads() -> sa.Update:
    """Every posting's load from the stored loads (after a recount)."""
    stored = (
        sa.select(volunteer_loads.c.load)
        .where(volunteer_loads.c.member_id == volunteer_keys.c.member_id)
        .scalar_subquery()
    )
    return sa.update(volunteer_keys).values(load=sa.func.coalesce(stored, 0))


async def recount(conn: AsyncConnection, now: datetime, community_id: int | None = None) -> None:
    """Rebuild everything matching derives from the base tables, for one community (or all):
    every active volunteer's postings from their profile, and every load from history, each
    posting carrying its member's load. For bulk loads (which insert only members, volunteers
    and the history) and migrations; a fixed number of statements plus chunked inserts."""
    loads = await _loads(conn, now, community_id=community_id)
    delete_loads = sa.delete(volunteer_loads)
    delete_keys = sa.delete(volunteer_keys)
    profiles = (
        sa.select(
            volunteers.c.member_id,
            volunteers.c.community_id,
            members.c.user_id,
            volunteers.c.role,
            volunteers.c.organisation,
            volunteers.c.topics,
            volunteers.c.affiliations,
        )
        .join(members, members.c.id == volunteers.c.member_id)
        .where(volunteers.c.active.is_(True))
    )
    if community_id is not None:
        delete_loads = delete_loads.where(
            volunteer_loads.c.member_id.in_(
                sa.select(members.c.id).where(members.c.community_id == community_id)
            )
        )
        delete_keys = delete_keys.where(volunteer_keys.c.community_id == community_id)
        profiles = profiles.where(volunteers.c.community_id == community_id)
    await conn.execute(delete_loads)
    await conn.execute(delete_keys)
    await _insert(
        conn,
        volunteer_loads,
        [{"member_id": m, "load": n, "load_until": until} for m, (n, until) in loads.items()],
    )
    keys = _KeysOf()
    postings = [
        (r.community_id, key, r.member_id, loads.get(r.member_id, (0, None))[0])
        for r in await conn.execute(profiles)
        for key in keys(r.user_id, r.role, r.organisation, r.topics, r.affiliations)
    ]
    # In the primary key's order: the engines append to their B-trees instead of splitting.
    postings.sort()
    await _insert_postings(conn, postings)


class _KeysOf:
    """`matching.posting_keys` for many profiles, each topic, role, organisation and
    affiliation worked out once (a posting is one of them, or the person)."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], frozenset[str]] = {}

    def __call__(
        self, user_id: str, role: str, organisation: str, topics: list[str], affiliations: list[str]
    ) -> set[str]:
        found = {f"@{user_id}"}
        parts = [("r", role), ("o", organisation)]
        parts += [("t", t) for t in topics] + [("a", a) for a in affiliations]
        for part in parts:
            if part not in self._known:
                self._known[part] = _part_keys(*part)
            found |= self._known[part]
        return found


def _part_keys(kind: str, value: str) -> frozenset[str]:
    profile = VolunteerProfile(
        member_id=0,
        user_id="",
        display_name="",
        role=value if kind == "r" else "",
        organisation=value if kind == "o" else "",
        topics=(value,) if kind == "t" else (),
        affiliations=(value,) if kind == "a" else (),
    )
    return posting_keys(profile) - {"@"}


async def _insert_postings(conn: AsyncConnection, rows: list[tuple[int, str, int, int]]) -> None:
    """Plain rows straight to the driver (no per-row work in SQLAlchemy: a bulk load has
    hundreds of thousands)."""
    marks = {"qmark": "?, ?, ?, ?", "numeric_dollar": "$1, $2, $3, $4"}.get(conn.dialect.paramstyle)
    if marks is None:
        names = ("community_id", "key", "member_id", "load")
        await _insert(conn, volunteer_keys, [dict(zip(names, row, strict=True)) for row in rows])
        return
    sql = f"INSERT INTO volunteer_keys (community_id, key, member_id, load) VALUES ({marks})"
    for start in range(0, len(rows), _BULK):
        await conn.exec_driver_sql(sql, rows[start : start + _BULK])


async def _insert(conn: AsyncConnection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _BULK):
        await conn.execute(sa.insert(table), rows[start : start + _BULK])


_BULK = 10_000


async def _loads(
    conn: AsyncConnection,
    now: datetime,
    *,
    volunteer_ids: Iterable[int] | None = None,
    community_id: int | None = None,
) -> dict[int, _Load]:
    """Exact loads at `now` of these volunteers (or of everyone, or of one community)."""
    queries = load_queries(now, volunteer_ids=volunteer_ids, community_id=community_id)
    return combine(*[(await conn.execute(query)).all() for query in queries])


def load_queries(
    now: datetime,
    *,
    volunteer_ids: Iterable[int] | None = None,
    community_id: int | None = None,
) -> tuple[sa.Select[Any], sa.Select[Any], sa.Select[Any]]:
    """Per member: (count, oldest) of introductions, of no-shows and of asks that didn't become
    a chat, still counted at `now`."""
    intros = sa.select(
        introductions.c.volunteer_id, sa.func.count(), sa.func.min(introductions.c.created_at)
    ).where(introductions.c.created_at >= now - timedelta(days=RECENT_DAYS))

    def of_introduction(column: sa.Column[Any]) -> sa.ScalarSelect[Any]:
        # By the introduction's key: the planner can't trade it for a scan of introductions.
        return (
            sa.select(column).where(introductions.c.id == no_shows.c.introduction_id)
        ).scalar_subquery()

    shows = sa.select(
        no_shows.c.member_id, sa.func.count(), sa.func.min(no_shows.c.created_at)
    ).where(
        no_shows.c.member_id == of_introduction(introductions.c.volunteer_id),  # the volunteer's
        no_shows.c.created_at >= now - timedelta(days=NO_SHOW_DAYS),
    )
    asked = sa.select(asks.c.volunteer_id, sa.func.count(), sa.func.min(asks.c.decided_at)).where(
        asks.c.status.in_(NO_CHAT),
        asks.c.decided_at >= now - timedelta(days=ASKS_DAYS),
    )
    if volunteer_ids is not None:
        ids = list(volunteer_ids)
        intros = intros.where(introductions.c.volunteer_id.in_(ids))
        shows = shows.where(no_shows.c.member_id.in_(ids))
        asked = asked.where(asks.c.volunteer_id.in_(ids))
    if community_id is not None:
        intros = intros.where(introductions.c.community_id == community_id)
        shows = shows.where(of_introduction(introductions.c.community_id) == community_id)
        asked = asked.join(requests, requests.c.id == asks.c.request_id).where(
            requests.c.community_id == community_id
        )
    return (
        intros.group_by(introductions.c.volunteer_id),
        shows.group_by(no_shows.c.member_id),
        asked.group_by(asks.c.volunteer_id),
    )


def combine(
    intro_rows: Sequence[Any], show_rows: Sequence[Any], asked_rows: Sequence[Any]
) -> dict[int, _Load]:
    """Loads and the moment each next changes, from the rows of `load_queries`."""
    loads: dict[int, _Load] = {}
    for rows, weight, days in (
        (intro_rows, 1, RECENT_DAYS),
        (show_rows, NO_SHOW_WEIGHT, NO_SHOW_DAYS),
        (asked_rows, ASKS_WEIGHT, ASKS_DAYS),
    ):
        for member_id, count, oldest in rows:
            load, until = loads.get(member_id, (0, None))
            leaves = _as_utc(oldest) + timedelta(days=days)
            loads[member_id] = (
                load + weight * int(count),
                leaves if until is None else min(until, leaves),
            )
    return loads


def _as_utc(value: datetime | str) -> datetime:
    """min() of a timestamp comes back as stored (a naive string on SQLite)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
