"""What the pay-it-forward ledger (R11) reads: completed chats, names, and who may be
recognised publicly."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.followup import IntroductionStatus
from bot.domain.ledger import ChainState, Chat, Tally
from bot.storage.inserts import insert_or_update
from bot.storage.schema import help_chains, introductions, members

Row = tuple[int, int, Any]  # giver, receiver, when (comparable, in the engine's representation)


def chat_at(table: sa.FromClause = introductions) -> sa.ColumnElement[datetime]:
    """When a completed chat happened: the picked slot when there was one (and it was not
    after the confirmation), else the confirmation."""
    return sa.case(
        (
            sa.and_(table.c.slot_start.is_not(None), table.c.slot_start <= table.c.completed_at),
            table.c.slot_start,
        ),
        else_=table.c.completed_at,
    )


def completed_in(community_id: int, table: sa.FromClause = introductions) -> sa.ColumnElement[bool]:
    return sa.and_(
        table.c.community_id == community_id,
        table.c.status == IntroductionStatus.COMPLETED.value,
    )


def chats_between(community_id: int, start: datetime, end: datetime) -> sa.ColumnElement[bool]:
    """Chats that happened in [start, end): confirmed since `start` (a chat happens no later
    than it is confirmed), so the index on confirmation times bounds the search."""
    at = chat_at()
    return sa.and_(
        completed_in(community_id), introductions.c.completed_at >= start, at >= start, at < end
    )


async def chat_links(
    conn: AsyncConnection, community_id: int, since: datetime | None, before: datetime | None
) -> list[Row]:
    """The completed chats that happened in [since, before) as (giver, receiver, at),
    earliest first, in one lean query: `at` stays in the engine's own representation
    (ordered the same way), which spares converting each of a long history's rows."""
    rows = await conn.execute(_links(conn, community_id, since, before))
    return [(r[0], r[1], r[2]) for r in rows]


async def chat_link_batches(
    conn: AsyncConnection,
    community_id: int,
    since: datetime | None,
    before: datetime | None,
    size: int = 20_000,
) -> AsyncIterator[list[Row]]:
    """`chat_links` streamed in batches, so a long history is never held whole in memory."""
    result = await conn.stream(_links(conn, community_id, since, before))
    async for part in result.partitions(size):
        yield [(r[0], r[1], r[2]) for r in part]


def _links(
    conn: AsyncConnection, community_id: int, since: datetime | None, before: datetime | None
) -> sa.Select[Any]:
    at = chat_at()
    raw_at = sa.type_coerce(at, sa.String) if conn.dialect.name == "sqlite" else at
    query = sa.select(introductions.c.volunteer_id, introductions.c.seeker_id, raw_at).where(
        completed_in(community_id)
    )
    if before is not None:
        query = query.where(at < before)
    if since is not None:  # a chat happens no later than it is confirmed: an index range
        query = query.where(introductions.c.completed_at >= since, at >= since)
    return query.order_by(at)


async def chain_state(conn: AsyncConnection, community_id: int) -> ChainState | None:
    """The community's folded help chains, unless a chat before their time was confirmed
    since they were folded (confirmations are never undone, nor dated in the past): then
    they must be folded again from the start."""
    row = (
        await conn.execute(sa.select(help_chains).where(help_chains.c.community_id == community_id))
    ).first()
    # The time is bound, not correlated, so the engine plans an index range on it.
    if row is None or await confirmed_late(conn, community_id, row.through) != row.confirmed_late:
        return None
    reach = {int(member): best for member, best in row.reach.items()}
    return ChainState(row.through, 0, row.longest, reach, row.confirmed_late)


async def confirmed_late(conn: AsyncConnection, community_id: int, through: datetime) -> int:
    """Chats that happened before `through` but were confirmed at or after it."""
    result = await conn.execute(
        sa.select(sa.func.count()).where(
            completed_in(community_id),
            introductions.c.completed_at >= through,
            chat_at() < through,
        )
    )
    return int(result.scalar_one())


async def save_chain_state(conn: AsyncConnection, community_id: int, state: ChainState) -> None:
    reach = {str(member): best for member, best in state.reach.items() if best}
    values = {
        "community_id": community_id,
        "through": state.through,
        "confirmed_late": state.confirmed_late,
        "longest": state.longest,
        "reach": reach,
    }
    await insert_or_update(conn, help_chains, values, key=("community_id",))


async def completed_chats(
    conn: AsyncConnection, community_id: int, since: datetime | None = None
) -> list[Chat]:
    """The community's completed chats (optionally those completed since a time), dated by
    the picked slot when there was one, else by the confirmation."""
    query = sa.select(
        introductions.c.volunteer_id, introductions.c.seeker_id, introductions.c.slot_start,
        introductions.c.completed_at,
    ).where(
        introductions.c.community_id == community_id,
        introductions.c.status == IntroductionStatus.COMPLETED.value,
    )  # fmt: skip
    if since is not None:
        query = query.where(introductions.c.completed_at >= since)
    chats = []
    for row in await conn.execute(query.order_by(introductions.c.id)):
        at = row.completed_at
        if row.slot_start is not None and row.slot_start <= at:
            at = row.slot_start
        chats.append(Chat(giver=row.volunteer_id, receiver=row.seeker_id, at=at))
    return chats


async def chats(conn: AsyncConnection, community_id: int) -> list[Chat]:
    """Every completed chat of the community, from `chat_links`: each `at` as the engine
    stores it (ordered like the time), which is all the ledger's arithmetic needs."""
    return [
        Chat(giver, receiver, at)
        for giver, receiver, at in await chat_links(conn, community_id, None, None)
    ]


async def tally(conn: AsyncConnection, community_id: int, member_id: int) -> Tally:
    """The member's chats given and received, counted in their own index entries."""
    given = sa.select(sa.func.count()).where(
        completed_in(community_id), introductions.c.volunteer_id == member_id
    )
    received = sa.select(sa.func.count()).where(
        introductions.c.seeker_id == member_id,
        introductions.c.status == IntroductionStatus.COMPLETED.value,
    )
    row = (await conn.execute(sa.select(given.scalar_subquery(), received.scalar_subquery()))).one()
    return Tally(int(row[0]), int(row[1]))


async def completed_since(conn: AsyncConnection, community_id: int, since: datetime) -> int:
    """Completed chats confirmed since a time (an index range)."""
    result = await conn.execute(
        sa.select(sa.func.count()).where(
            completed_in(community_id), introductions.c.completed_at >= since
        )
    )
    return int(result.scalar_one())


async def waiting_for_confirmation(conn: AsyncConnection, community_id: int) -> int:
    result = await conn.execute(
        sa.select(sa.func.count()).where(
            introductions.c.community_id == community_id,
            introductions.c.status == IntroductionStatus.INTRODUCED.value,
        )
    )
    return int(result.scalar_one())


async def names(conn: AsyncConnection, member_ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(member_ids))
    if not wanted:
        return {}
    rows = await conn.execute(
        sa.select(members.c.id, members.c.display_name).where(members.c.id.in_(wanted))
    )
    return {r.id: r.display_name for r in rows}


async def public_recognition(conn: AsyncConnection, member_id: int) -> bool:
    result = await conn.execute(
        sa.select(members.c.public_recognition).where(members.c.id == member_id)
    )
    return bool(result.scalar_one())


async def set_public_recognition(conn: AsyncConnection, member_id: int, allowed: bool) -> None:
    await conn.execute(
        sa.update(members).where(members.c.id == member_id).values(public_recognition=allowed)
    )


async def recognised_count(conn: AsyncConnection, community_id: int) -> int:
    result = await conn.execute(
        sa.select(sa.func.count()).where(
            members.c.community_id == community_id, members.c.public_recognition.is_(True)
        )
    )
    return int(result.scalar_one())
