"""What the program-health measures read (issue 12), read-only: five set-based statements for
a community and a period, whatever the community's size, each through an index.

The period's requests are found by the index on (community_id, submitted_at), and
everything about them (their asks, introduction, thanks, the volunteer's windows) by key
from there; introductions and chats of the period by the community's indexes on their
times; volunteers by community. Long periods' requests are streamed in batches."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.followup import IntroductionStatus
from bot.domain.measures import (
    ANSWERED,
    AskOutcomes,
    Availability,
    History,
    Measures,
    RequestFacts,
    RequestTally,
    Volunteer,
    VolunteerActivity,
    compute,
)
from bot.domain.models import AskStatus, RequestStatus, Window
from bot.storage.ledger import chat_at, chats_between
from bot.storage.requests import windows_from_json
from bot.storage.schema import UTCDateTime, asks, introductions, requests, thanks, volunteers

BATCH = 5_000
COMPLETED = IntroductionStatus.COMPLETED.value


async def measure(
    conn: AsyncConnection,
    community_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    also: Callable[[RequestFacts], None] | None = None,
) -> Measures:
    """The community's measures for [start, end), its requests followed up to `now`. Meant
    for a read snapshot (`Database.read()`), beside the writer. Each request's facts are
    also handed to `also` (e.g. a weekly tally for a chart), in the same statements."""
    found = await profiles(conn, community_id, start, end)
    windows = {p.volunteer.member_id: (p.timezone, p.windows) for p in found if p.windows}
    tally = RequestTally(now)
    async for batch in request_batches(conn, community_id, start, end, windows):
        for facts in batch:
            tally.add(facts)
            if also is not None:
                also(facts)
    helped, paid_forward = await pay_it_forward(conn, community_id, start, end)
    history = History(
        start=start,
        end=end,
        now=now,
        volunteers=[p.volunteer for p in found],
        activity=await activity(conn, community_id, start, end),
        helped=helped,
        paid_forward=paid_forward,
    )
    return compute(history, tally)


def _sent(community_id: int, start: datetime, end: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        requests.c.community_id == community_id,
        requests.c.submitted_at >= start,
        requests.c.submitted_at < end,
    )


Windows = Mapping[int, tuple[str, tuple[Window, ...]]]  # volunteer → zone, weekly windows


async def request_batches(
    conn: AsyncConnection,
    community_id: int,
    start: datetime,
    end: datetime,
    windows: Windows,
    size: int = BATCH,
) -> AsyncIterator[list[RequestFacts]]:
    """The requests sent in [start, end), each with how its asks ended, its introduction and
    thanks, in one statement streamed in batches. Everything but the requests is looked up
    per request by key (correlated subqueries), so the engine never reads asks or
    introductions beyond the period's."""

    def of_request(column: Any) -> Any:
        return sa.select(column).where(introductions.c.request_id == requests.c.id)

    def answered(status: AskStatus) -> sa.ScalarSelect[int]:
        return (
            sa.select(sa.func.count())
            .where(asks.c.request_id == requests.c.id, asks.c.status == status.value)
            .scalar_subquery()
        )

    first_ask = sa.select(sa.func.min(asks.c.asked_at)).where(asks.c.request_id == requests.c.id)
    chatted = sa.case((introductions.c.status == COMPLETED, chat_at()), else_=None)
    # Its thanks by the introduction's key (a scalar, which the engines look up per request
    # rather than hash a semi-join over all thanks, as they may for EXISTS).
    thanks_id = sa.select(thanks.c.id).where(
        thanks.c.introduction_id
        == of_request(introductions.c.id).correlate(requests).scalar_subquery()
    )
    query = sa.select(
        requests.c.id,
        requests.c.topic,
        requests.c.status,
        requests.c.close_reason,
        requests.c.warnings,
        requests.c.created_at,
        requests.c.submitted_at,
        requests.c.time_frame_days,
        requests.c.minutes,
        requests.c.timezone,
        requests.c.windows,
        first_ask.scalar_subquery().label("first_asked_at"),
        *(answered(status).label(status.value) for status in ANSWERED),
        of_request(introductions.c.created_at).scalar_subquery().label("introduced_at"),
        sa.type_coerce(of_request(chatted).scalar_subquery(), UTCDateTime()).label("chat_at"),
        of_request(introductions.c.volunteer_id).scalar_subquery().label("volunteer_id"),
        thanks_id.scalar_subquery().label("thanks_id"),
    ).where(_sent(community_id, start, end))
    result = await conn.stream(query)
    async for part in result.partitions(size):
        yield [_facts(row, windows) for row in part]


def _facts(row: Any, windows: Windows) -> RequestFacts:
    availability = None
    if row.introduced_at is not None and row.volunteer_id in windows:
        zone, theirs = windows[row.volunteer_id]
        availability = Availability(
            seeker_windows=windows_from_json(row.windows or ()),
            seeker_tz=row.timezone,
            volunteer_windows=theirs,
            volunteer_tz=zone,
            minutes=row.minutes,
            start=row.created_at,
            end=row.created_at + timedelta(days=row.time_frame_days),
        )
    answers = AskOutcomes(
        accepted=int(row.accepted),
        declined=int(row.declined),
        not_now=int(row.not_now),
        suggested=int(row.suggested),
        silent=int(row.expired),
    )
    return RequestFacts(
        request_id=row.id,
        topic=row.topic,
        submitted_at=row.submitted_at,
        well_formed=not row.warnings,
        status=RequestStatus(row.status),
        close_reason=row.close_reason,
        first_asked_at=row.first_asked_at,
        answers=answers,
        introduced_at=row.introduced_at,
        chat_at=row.chat_at,
        thanked=row.thanks_id is not None,
        availability=availability,
    )


@dataclass(frozen=True)
class Profile:
    volunteer: Volunteer
    timezone: str
    windows: tuple[Window, ...]


async def profiles(
    conn: AsyncConnection, community_id: int, start: datetime, end: datetime
) -> list[Profile]:
    """Every volunteer profile of the community (load is measured over all of them), with
    how many asks of the requests sent in [start, end) reached each: found from their own
    asks (by index), each ask's request by key."""
    asked = (
        sa.select(sa.func.count())
        .select_from(asks)
        .where(
            asks.c.volunteer_id == volunteers.c.member_id,
            asks.c.asked_at.is_not(None),
            sa.select(requests.c.submitted_at)
            .where(requests.c.id == asks.c.request_id, _sent(community_id, start, end))
            .exists(),
        )
        .scalar_subquery()
    )
    rows = await conn.execute(
        sa.select(
            volunteers.c.member_id,
            volunteers.c.monthly_capacity,
            volunteers.c.active,
            volunteers.c.joined_at,
            volunteers.c.timezone,
            volunteers.c.windows,
            asked.label("asked"),
        ).where(volunteers.c.community_id == community_id)
    )
    return [
        Profile(
            Volunteer(r.member_id, r.monthly_capacity, bool(r.active), r.joined_at, int(r.asked)),
            r.timezone,
            windows_from_json(r.windows or ()),
        )
        for r in rows
    ]


def month_edges(start: datetime, end: datetime) -> list[datetime]:
    """`start`, each first of a month (UTC) after it and before `end`, then `end`."""
    edges = [start]
    month = start.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while True:
        month = month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)
        if month >= end:
            break
        edges.append(month)
    return [*edges, end]


def _bucket(at: sa.ColumnElement[datetime], edges: Sequence[datetime]) -> sa.ColumnElement[int]:
    """Which [edges[i], edges[i + 1]) `at` falls in, by halving the edges."""

    def within(low: int, high: int) -> sa.ColumnElement[int]:
        if high - low == 1:
            return sa.literal(low)
        middle = (low + high) // 2
        return sa.case((at < edges[middle], within(low, middle)), else_=within(middle, high))

    return within(0, len(edges) - 1)


async def activity(
    conn: AsyncConnection, community_id: int, start: datetime, end: datetime
) -> list[VolunteerActivity]:
    """Per member who was introduced as a volunteer or gave a chat in [start, end): their
    introductions (and the most in one calendar month) and their chats."""
    month = _bucket(introductions.c.created_at, month_edges(start, end)).label("month")
    introduced = await conn.execute(
        sa.select(introductions.c.volunteer_id, month, sa.func.count())
        .where(
            introductions.c.community_id == community_id,
            introductions.c.created_at >= start,
            introductions.c.created_at < end,
        )
        .group_by(introductions.c.volunteer_id, month)
    )
    per_month: dict[int, list[int]] = defaultdict(list)
    for member, _, n in introduced:
        per_month[int(member)].append(int(n))
    chats = await conn.execute(
        sa.select(introductions.c.volunteer_id, sa.func.count())
        .where(chats_between(community_id, start, end))
        .group_by(introductions.c.volunteer_id)
    )
    given = {int(member): int(n) for member, n in chats}
    return [
        VolunteerActivity(
            member,
            introductions=sum(per_month.get(member, ())),
            chats=given.get(member, 0),
            busiest_month=max(per_month.get(member, ()), default=0),
        )
        for member in sorted(per_month.keys() | given.keys())
    ]


async def pay_it_forward(
    conn: AsyncConnection, community_id: int, start: datetime, end: datetime
) -> tuple[int, int]:
    """Members who received a chat in [start, end), and how many of them gave a chat after
    the first they received there (at any time since)."""
    helped = (
        sa.select(introductions.c.seeker_id.label("member"), sa.func.min(chat_at()).label("first"))
        .where(chats_between(community_id, start, end))
        .group_by(introductions.c.seeker_id)
        .subquery()
    )
    given = introductions.alias("given")
    later = sa.exists().where(
        given.c.volunteer_id == helped.c.member,
        given.c.status == COMPLETED,
        chat_at(given) > helped.c.first,
    )
    row = (
        await conn.execute(
            sa.select(
                sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((later, 1), else_=0)), 0)
            ).select_from(helped)
        )
    ).one()
    return int(row[0]), int(row[1])
