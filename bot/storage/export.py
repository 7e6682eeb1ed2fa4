"""What `/infochat mod export` reads (issue 12), read-only: the requests sent in a period
and their asks, the introductions made in it, and the chats that happened in it; four
set-based statements whatever the community's size, each through an index (requests by
(community_id, submitted_at) and their asks by request; introductions by (community_id,
created_at); chats by the community's index on confirmation times). Members come as ids
with their display names, looked up by key; the service decides what leaves the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.ledger import chat_at, completed_in
from bot.storage.schema import UTCDateTime, asks, introductions, members, requests, thanks

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class ExportRows:
    requests: Rows
    asks: Rows
    introductions: Rows
    chats: Rows


def _sent(community_id: int, start: datetime, end: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        requests.c.community_id == community_id,
        requests.c.submitted_at >= start,
        requests.c.submitted_at < end,
    )


def name_of(member_id: sa.ColumnElement[int]) -> sa.ScalarSelect[str]:
    """A member's display name, looked up by key for each row (never a join the engine
    might hash over every member)."""
    return sa.select(members.c.display_name).where(members.c.id == member_id).scalar_subquery()


def _asks_of(sent: sa.ColumnElement[bool], *, lateral: bool) -> sa.Select[Any]:
    """The asks of the requests sent in the period, each request's looked up by its key:
    PostgreSQL would rather hash all asks for a long period, so it is told to look them up
    per request (LATERAL); SQLite, which has no LATERAL, does so by itself."""
    columns = (
        asks.c.id.label("ask"),
        asks.c.request_id.label("request"),
        asks.c.volunteer_id.label("volunteer"),
        name_of(asks.c.volunteer_id).label("volunteer_name"),
        asks.c.status,
        asks.c.asked_at,
        asks.c.decided_at,
        asks.c.note,
        asks.c.deny_reason,
    )
    if not lateral:
        query = sa.select(*columns).join(requests, requests.c.id == asks.c.request_id)
        return query.where(sent).order_by(asks.c.id)
    # OFFSET 0 keeps PostgreSQL from folding the lookup back into a join it would hash.
    per_request = sa.select(*columns).where(asks.c.request_id == requests.c.id).offset(0)
    each = per_request.lateral("each_ask")
    return (
        sa.select(*each.c)
        .select_from(requests)
        .join(each, sa.true())
        .where(sent)
        .order_by(each.c.ask)
    )


async def _rows(conn: AsyncConnection, query: sa.Select[Any]) -> Rows:
    return [dict(row._mapping) for row in await conn.execute(query)]


async def export_rows(
    conn: AsyncConnection, community_id: int, start: datetime, end: datetime
) -> ExportRows:
    sent = _sent(community_id, start, end)
    found_requests = await _rows(
        conn,
        sa.select(
            requests.c.id.label("request"),
            requests.c.seeker_id.label("seeker"),
            name_of(requests.c.seeker_id).label("seeker_name"),
            requests.c.topic,
            requests.c.status,
            requests.c.close_reason,
            requests.c.minutes,
            requests.c.format,
            requests.c.time_frame_days,
            requests.c.submitted_at,
            requests.c.closed_at,
            requests.c.why,
            requests.c.questions,
        )
        .where(sent)
        .order_by(requests.c.id),
    )
    found_asks = await _rows(conn, _asks_of(sent, lateral=conn.dialect.name == "postgresql"))
    found_introductions = await _rows(
        conn,
        sa.select(
            introductions.c.id.label("introduction"),
            introductions.c.request_id.label("request"),
            introductions.c.seeker_id.label("seeker"),
            name_of(introductions.c.seeker_id).label("seeker_name"),
            introductions.c.volunteer_id.label("volunteer"),
            name_of(introductions.c.volunteer_id).label("volunteer_name"),
            introductions.c.status,
            introductions.c.minutes,
            introductions.c.created_at.label("introduced_at"),
            introductions.c.slot_start,
            introductions.c.completed_at,
        )
        .where(
            introductions.c.community_id == community_id,
            introductions.c.created_at >= start,
            introductions.c.created_at < end,
        )
        .order_by(introductions.c.created_at),
    )
    at = chat_at()
    found_chats = await _rows(
        conn,
        sa.select(
            introductions.c.id.label("introduction"),
            introductions.c.seeker_id.label("seeker"),
            name_of(introductions.c.seeker_id).label("seeker_name"),
            introductions.c.volunteer_id.label("volunteer"),
            name_of(introductions.c.volunteer_id).label("volunteer_name"),
            introductions.c.minutes,
            sa.type_coerce(at, UTCDateTime()).label("chat_at"),
            thanks.c.id.is_not(None).label("thanked"),
            thanks.c.text.label("thanks_text"),
        )
        .outerjoin(thanks, thanks.c.introduction_id == introductions.c.id)
        .where(
            completed_in(community_id),
            introductions.c.completed_at >= start,
            at >= start,
            at < end,
        )
        .order_by(introductions.c.completed_at),  # the index's order (by id, SQLite scans)
    )
    return ExportRows(found_requests, found_asks, found_introductions, found_chats)
