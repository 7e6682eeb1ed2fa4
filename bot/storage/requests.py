"""Requests, asks and introductions. Every state change is conditional on the state it
expects, so a repeated or concurrent click changes nothing the second time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.models import (
    ACTIVE_ASK,
    ASK_TRANSITIONS,
    AskStatus,
    Finding,
    RequestFields,
    RequestStatus,
    Window,
)
from bot.storage import counters, jobs
from bot.storage.schema import asks, introductions, members, requests

target_members = members.alias("target_members")
ASK_JOBS = ("ask.remind", "ask.expire")  # scheduled by `services.flow.schedule_ask`
REQUEST_JOBS = ("request.expire",)  # by `services.flow.schedule_request`


@dataclass(frozen=True)
class StoredRequest:
    id: int
    community_id: int
    seeker_id: int
    status: RequestStatus
    fields: RequestFields
    target_member_id: int | None
    warnings: tuple[str, ...]
    created_at: datetime
    close_reason: str | None


@dataclass(frozen=True)
class StoredAsk:
    id: int
    request_id: int
    volunteer_id: int
    status: AskStatus
    reasons: tuple[str, ...]
    suggested_by_ask_id: int | None
    note: str
    created_at: datetime
    approved_by: int | None


async def insert_request(
    conn: AsyncConnection,
    community_id: int,
    seeker_id: int,
    fields: RequestFields,
    target_member_id: int | None,
    status: RequestStatus,
    warnings: Iterable[Finding],
    now: datetime,
) -> int:
    result = await conn.execute(
        sa.insert(requests)
        .values(
            community_id=community_id,
            seeker_id=seeker_id,
            status=status.value,
            topic=fields.topic,
            why=fields.why,
            questions=list(fields.questions),
            minutes=fields.minutes,
            format=fields.format,
            time_frame_days=fields.time_frame_days,
            target_role=fields.target_role,
            target_org=fields.target_org,
            target_member_id=target_member_id,
            affiliations=list(fields.affiliations),
            timezone=fields.timezone,
            windows=windows_json(fields.windows),
            warnings=[f.code for f in warnings],
            created_at=now,
            submitted_at=now if status is RequestStatus.OPEN else None,
        )
        .returning(requests.c.id)
    )
    return int(result.scalar_one())


def _select_requests() -> sa.Select[Any]:
    return sa.select(requests, target_members.c.user_id.label("target_user_id")).outerjoin(
        target_members, target_members.c.id == requests.c.target_member_id
    )


async def get_request(conn: AsyncConnection, request_id: int) -> StoredRequest | None:
    row = (await conn.execute(_select_requests().where(requests.c.id == request_id))).first()
    return _request(row) if row else None


async def requests_of(
    conn: AsyncConnection, seeker_id: int, limit: int = 10
) -> list[StoredRequest]:
    rows = await conn.execute(
        _select_requests()
        .where(requests.c.seeker_id == seeker_id)
        .order_by(requests.c.id.desc())
        .limit(limit)
    )
    return [_request(r) for r in rows]


async def unfinished_of(conn: AsyncConnection, seeker_id: int) -> list[StoredRequest]:
    """The seeker's drafts and open requests, all of them."""
    unfinished = (RequestStatus.DRAFT.value, RequestStatus.OPEN.value)
    rows = await conn.execute(
        _select_requests().where(
            requests.c.seeker_id == seeker_id, requests.c.status.in_(unfinished)
        )
    )
    return [_request(r) for r in rows]


async def count_open(conn: AsyncConnection, seeker_id: int) -> int:
    result = await conn.execute(
        sa.select(sa.func.count()).where(
            requests.c.seeker_id == seeker_id, requests.c.status == RequestStatus.OPEN.value
        )
    )
    return int(result.scalar_one())


async def set_request_status(
    conn: AsyncConnection,
    request_id: int,
    expected: Iterable[RequestStatus],
    new: RequestStatus,
    now: datetime,
    reason: str | None = None,
) -> bool:
    values: dict[str, Any] = {"status": new.value}
    if new is RequestStatus.OPEN:
        values["submitted_at"] = now
    if new is RequestStatus.CLOSED:
        values.update(closed_at=now, close_reason=reason)
    result = await conn.execute(
        sa.update(requests)
        .where(requests.c.id == request_id, requests.c.status.in_([s.value for s in expected]))
        .values(**values)
    )
    if result.rowcount != 1:
        return False
    if new is not RequestStatus.OPEN:  # out of open for good: its expiry has nothing to do
        await jobs.cancel(conn, REQUEST_JOBS, request_id)
    return True


async def insert_ask(
    conn: AsyncConnection,
    request_id: int,
    volunteer_id: int,
    status: AskStatus,
    reasons: Iterable[str],
    now: datetime,
    suggested_by_ask_id: int | None = None,
    note: str = "",
) -> int:
    result = await conn.execute(
        sa.insert(asks)
        .values(
            request_id=request_id,
            volunteer_id=volunteer_id,
            status=status.value,
            reasons=list(reasons),
            suggested_by_ask_id=suggested_by_ask_id,
            note=note,
            created_at=now,
            asked_at=now if status is AskStatus.ASKED else None,
        )
        .returning(asks.c.id)
    )
    return int(result.scalar_one())


async def get_ask(conn: AsyncConnection, ask_id: int) -> StoredAsk | None:
    row = (await conn.execute(sa.select(asks).where(asks.c.id == ask_id))).first()
    return _ask(row) if row else None


async def active_asks(
    conn: AsyncConnection, *, request_id: int | None = None, volunteer_id: int | None = None
) -> list[StoredAsk]:
    query = sa.select(asks).where(asks.c.status.in_([s.value for s in ACTIVE_ASK]))
    if request_id is not None:
        query = query.where(asks.c.request_id == request_id)
    if volunteer_id is not None:
        query = query.where(asks.c.volunteer_id == volunteer_id)
    return [_ask(r) for r in await conn.execute(query.order_by(asks.c.id))]


async def proposed_in(
    conn: AsyncConnection, community_id: int, limit: int
) -> tuple[list[tuple[StoredAsk, StoredRequest]], int]:
    """The community's first `limit` asks waiting for approval, oldest first, each with its
    request, and how many are waiting in all: three indexed queries whatever the count."""
    # Driven by the (few) proposed asks, whatever the engine's statistics guess: each one's
    # request is found by its key.
    of_request = sa.select(requests.c.community_id).where(requests.c.id == asks.c.request_id)
    waiting = sa.and_(
        asks.c.status == AskStatus.PROPOSED.value,
        of_request.scalar_subquery() == community_id,
    )
    # Their ids first, from the index on status: ORDER BY id with a LIMIT would have the
    # engine walk every ask in id order looking for proposed ones.
    waiting_ids = sorted(r[0] for r in await conn.execute(sa.select(asks.c.id).where(waiting)))
    if not waiting_ids:
        return [], 0
    first = waiting_ids[:limit]
    page = [
        _ask(r)
        for r in await conn.execute(sa.select(asks).where(asks.c.id.in_(first)).order_by(asks.c.id))
    ]
    ids = sorted({a.request_id for a in page})
    found = {
        r.id: _request(r)
        for r in await conn.execute(_select_requests().where(requests.c.id.in_(ids)))
    }
    return [(a, found[a.request_id]) for a in page], len(waiting_ids)


async def transition_ask(
    conn: AsyncConnection,
    ask_id: int,
    new: AskStatus,
    now: datetime,
    *,
    approved_by: int | None = None,
    deny_reason: str | None = None,
) -> bool:
    """Move an ask to `new` only from a state that may legally reach it (models.ASK_TRANSITIONS)."""
    sources = [s.value for s, targets in ASK_TRANSITIONS.items() if new in targets]
    values: dict[str, Any] = {"status": new.value}
    if new is AskStatus.ASKED:
        values.update(asked_at=now, approved_by=approved_by)
    else:
        values.update(decided_at=now)
    if deny_reason is not None:
        values["deny_reason"] = deny_reason
    volunteer_id = (
        await conn.execute(
            sa.update(asks)
            .where(asks.c.id == ask_id, asks.c.status.in_(sources))
            .values(**values)
            .returning(asks.c.volunteer_id)
        )
    ).scalar_one_or_none()
    if volunteer_id is None:
        return False
    if new not in ACTIVE_ASK:  # no longer waiting: its reminder and expiry have nothing to do
        await jobs.cancel(conn, ASK_JOBS, ask_id)
    if new.value in counters.NO_CHAT:  # an ask that didn't become a chat counts in the load
        await counters.touched(conn, volunteer_id)
    return True


async def insert_introduction(
    conn: AsyncConnection, request: StoredRequest, ask: StoredAsk, now: datetime
) -> int:
    result = await conn.execute(
        sa.insert(introductions)
        .values(
            community_id=request.community_id,
            request_id=request.id,
            ask_id=ask.id,
            seeker_id=request.seeker_id,
            volunteer_id=ask.volunteer_id,
            minutes=request.fields.minutes,
            status="introduced",
            created_at=now,
        )
        .returning(introductions.c.id)
    )
    intro_id = int(result.scalar_one())
    await counters.touched(conn, ask.volunteer_id)
    return intro_id


async def introduction_for(conn: AsyncConnection, request_id: int) -> int | None:
    row = (
        await conn.execute(
            sa.select(introductions.c.volunteer_id).where(introductions.c.request_id == request_id)
        )
    ).first()
    return int(row[0]) if row else None


def _request(row: Any) -> StoredRequest:
    fields = RequestFields(
        topic=row.topic,
        why=row.why,
        questions=tuple(row.questions),
        minutes=row.minutes,
        format=row.format,
        time_frame_days=row.time_frame_days,
        target_role=row.target_role,
        target_org=row.target_org,
        target_user_id=row.target_user_id or "",
        affiliations=tuple(row.affiliations),
        timezone=row.timezone,
        windows=windows_from_json(row.windows),
    )
    return StoredRequest(
        id=row.id,
        community_id=row.community_id,
        seeker_id=row.seeker_id,
        status=RequestStatus(row.status),
        fields=fields,
        target_member_id=row.target_member_id,
        warnings=tuple(row.warnings),
        created_at=row.created_at,
        close_reason=row.close_reason,
    )


def windows_json(windows: Iterable[Window]) -> list[list[object]]:
    """Weekly windows as stored: `[[weekday, "HH:MM", "HH:MM"], ...]`."""
    return [[w.weekday, w.start.isoformat("minutes"), w.end.isoformat("minutes")] for w in windows]


def windows_from_json(rows: Iterable[list[Any]]) -> tuple[Window, ...]:
    return tuple(Window(int(d), time.fromisoformat(s), time.fromisoformat(e)) for d, s, e in rows)


def _ask(row: Any) -> StoredAsk:
    return StoredAsk(
        id=row.id,
        request_id=row.request_id,
        volunteer_id=row.volunteer_id,
        status=AskStatus(row.status),
        reasons=tuple(row.reasons),
        suggested_by_ask_id=row.suggested_by_ask_id,
        note=row.note,
        created_at=row.created_at,
        approved_by=row.approved_by,
    )


async def asks_for(conn: AsyncConnection, request_id: int) -> list[StoredAsk]:
    rows = await conn.execute(
        sa.select(asks).where(asks.c.request_id == request_id).order_by(asks.c.id)
    )
    return [_ask(r) for r in rows]


async def declined_recently(
    conn: AsyncConnection, volunteer_id: int, seeker_id: int, since: datetime
) -> bool:
    row = (
        await conn.execute(
            sa.select(asks.c.id)
            .join(requests, requests.c.id == asks.c.request_id)
            .where(
                asks.c.volunteer_id == volunteer_id,
                requests.c.seeker_id == seeker_id,
                asks.c.status == AskStatus.DECLINED.value,
                asks.c.decided_at > since,
            )
            .limit(1)
        )
    ).first()
    return row is not None


async def mark_reminded(conn: AsyncConnection, ask_id: int, now: datetime) -> bool:
    """Record the one reminder an ask gets; False if it was already reminded or answered."""
    result = await conn.execute(
        sa.update(asks)
        .where(
            asks.c.id == ask_id,
            asks.c.status == AskStatus.ASKED.value,
            asks.c.reminded_at.is_(None),
        )
        .values(reminded_at=now)
    )
    return result.rowcount == 1
