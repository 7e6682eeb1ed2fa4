"""A member's own data: everything stored about them (export), and erasing it (delete).

Erasure keeps the shape of the community's history (a chat that happened still counts in
the other member's ledger and the totals) but nothing that says who the member was or what
they wrote: their name and platform id, profile, request texts, notes, thank-you texts,
how they said they could be reached, cached replies and the direct messages kept for
delivery are gone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.link_codes import forget_member_codes
from bot.storage.members import forget_member, person_and_accounts
from bot.storage.schema import (
    asks,
    introductions,
    members,
    no_shows,
    outbox,
    places,
    processed_commands,
    requests,
    thanks,
    volunteers,
)

DELETED_PREFIX = "deleted:"
DELETED_NAME = "a former member"


def is_deleted(user_id: str) -> bool:
    return user_id.startswith(DELETED_PREFIX)


def _rows(result: Any, drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    out = []
    for row in result.mappings():
        item = {k: _plain(v) for k, v in row.items() if k not in drop}
        out.append(item)
    return out


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


async def member_data(conn: AsyncConnection, member_id: int) -> dict[str, Any]:
    """What infochat stores about one member, as plain JSON-ready data.

    Asks on the member's own requests leave out who was asked: a seeker is never told who
    declined (R2), and an export must not tell them either.
    """
    member = _rows(await conn.execute(sa.select(members).where(members.c.id == member_id)))
    profile = _rows(
        await conn.execute(sa.select(volunteers).where(volunteers.c.member_id == member_id))
    )
    own_requests = _rows(
        await conn.execute(
            sa.select(requests).where(requests.c.seeker_id == member_id).order_by(requests.c.id)
        )
    )
    asked = _rows(
        await conn.execute(
            sa.select(asks).where(asks.c.volunteer_id == member_id).order_by(asks.c.id)
        ),
        drop=("approved_by",),
    )
    chats = _rows(
        await conn.execute(
            sa.select(introductions)
            .where(
                sa.or_(
                    introductions.c.seeker_id == member_id,
                    introductions.c.volunteer_id == member_id,
                )
            )
            .order_by(introductions.c.id)
        )
    )
    thanked = _rows(
        await conn.execute(
            sa.select(thanks)
            .where(sa.or_(thanks.c.from_id == member_id, thanks.c.to_id == member_id))
            .order_by(thanks.c.id)
        )
    )
    reported = _rows(
        await conn.execute(sa.select(no_shows).where(no_shows.c.reporter_id == member_id)),
        drop=("member_id",),
    )
    linked = await conn.execute(
        sa.select(
            places.c.platform,
            places.c.name.label("place"),
            places.c.external_id.label("place_id"),
            members.c.user_id,
            members.c.display_name,
        )
        .join(places, places.c.id == members.c.place_id)
        .where(_accounts_of(member_id))
        .order_by(members.c.id)
    )
    return {
        "member": member[0] if member else None,
        "accounts": _rows(linked),
        "volunteer_profile": profile[0] if profile else None,
        "requests": own_requests,
        "asks_you_received": asked,
        "introductions": chats,
        "thanks": thanked,
        "no_show_reports_you_made": reported,
    }


def stores_more_than_a_name(data: dict[str, Any]) -> bool:
    """Whether `member_data` holds anything beyond the member's own row: their history, or
    accounts linked into them."""
    history = any(data[k] for k in data if k not in ("member", "accounts"))
    return history or len(data["accounts"]) > 1


def _accounts_of(member_id: int) -> sa.ColumnElement[bool]:
    """The member's row and the accounts linked into it."""
    return person_and_accounts(member_id)


async def erase_member(conn: AsyncConnection, member_id: int, user_id: str) -> None:
    """Erase what identifies the member or what they wrote, on every account linked into
    them. The caller has already closed their open requests, passed on their waiting asks
    and removed their volunteer profile."""
    accounts = (
        await conn.execute(
            sa.select(members.c.id, members.c.place_id, members.c.user_id).where(
                _accounts_of(member_id)
            )
        )
    ).all()
    for account in accounts:
        forget_member(conn, account.id)
    await forget_member_codes(conn, [a.id for a in accounts])
    await conn.execute(
        sa.update(members)
        .where(_accounts_of(member_id))
        .values(
            user_id=sa.literal(DELETED_PREFIX) + sa.cast(members.c.id, sa.String),
            display_name=DELETED_NAME,
            is_moderator=False,
            public_recognition=False,
            weekly_digest=False,
        )
    )
    await conn.execute(
        sa.update(requests)
        .where(requests.c.seeker_id == member_id)
        .values(
            why="",
            questions=[],
            target_role="",
            target_org="",
            target_member_id=None,
            affiliations=[],
            warnings=[],
            timezone="UTC",
            windows=[],
        )
    )
    # Notes they wrote when suggesting a colleague sit on the colleague's ask.
    theirs = sa.select(asks.c.id).where(asks.c.volunteer_id == member_id).scalar_subquery()
    await conn.execute(
        sa.update(asks).where(asks.c.suggested_by_ask_id.in_(theirs)).values(note="")
    )
    await conn.execute(sa.update(thanks).where(thanks.c.from_id == member_id).values(text=""))
    await _blank_contacts(conn, [a.id for a in accounts])
    community_id = (
        sa.select(members.c.community_id).where(members.c.id == member_id).scalar_subquery()
    )
    await conn.execute(
        sa.delete(processed_commands).where(
            processed_commands.c.community_id == community_id,
            processed_commands.c.user_id.in_({user_id, *(a.user_id for a in accounts)}),
        )
    )
    for account in accounts:  # one per place the member has an account on
        await _forget_direct_messages(conn, community_id, account.place_id, account.user_id)


async def _blank_contacts(conn: AsyncConnection, ids: list[int]) -> None:
    """How they said they could be reached: their profile's, and what they gave in each
    introduction across places. Blank, not NULL: a NULL volunteer contact would make the
    introduction a same-place one (see `storage.contacts`), and a NULL seeker contact one
    still waiting for theirs."""
    i = introductions.c
    await conn.execute(
        sa.update(volunteers).where(volunteers.c.member_id.in_(ids)).values(contact="")
    )
    await conn.execute(
        sa.update(introductions)
        .where(i.volunteer_id.in_(ids), i.volunteer_contact.is_not(None))
        .values(volunteer_contact="")
    )
    await conn.execute(
        sa.update(introductions)
        .where(i.seeker_id.in_(ids), i.seeker_contact.is_not(None))
        .values(seeker_contact="")
    )


async def _forget_direct_messages(
    conn: AsyncConnection, community_id: sa.ScalarSelect[int], place_id: int, user_id: str
) -> None:
    """Direct messages to the account in this community, sent or not: they are for nobody
    else. (The same user id on another place is that place's member.)"""
    candidates = await conn.execute(
        sa.select(outbox.c.id, outbox.c.destination).where(
            outbox.c.community_id == community_id,
            outbox.c.place_id == place_id,
            sa.cast(outbox.c.destination, sa.String).contains(user_id),
        )
    )
    mine = [
        row.id
        for row in candidates
        if row.destination.get("kind") == "member"
        and list(row.destination.get("user_ids") or ()) == [user_id]
    ]
    if mine:
        await conn.execute(sa.delete(outbox).where(outbox.c.id.in_(mine)))
