"""Communities and members: neutral references (platform, community id, user id).

Members read by id are kept for the rest of their transaction (a command reads the same
seeker or volunteer several times): `_Known` lives in the connection's info and belongs to
one transaction, so nothing is ever served from another transaction's state. Writes to a
member's name, user id or moderator flag go through this module or `forget_member`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Actor, CommunityRef
from bot.domain.community import CommunitySettings
from bot.storage.inserts import insert_missing, insert_missing_returning
from bot.storage.schema import communities, members


@dataclass(frozen=True)
class Community:
    id: int
    ref: CommunityRef
    settings: CommunitySettings


@dataclass(frozen=True)
class Member:
    id: int
    community_id: int
    user_id: str
    display_name: str
    is_moderator: bool


async def get_or_create_community(
    conn: AsyncConnection,
    ref: CommunityRef,
    defaults: CommunitySettings,
    now: datetime,
    on_create: Callable[[AsyncConnection, int, datetime], Awaitable[None]] | None = None,
) -> Community:
    """The community, created with `defaults` if new; `on_create` runs (same transaction)
    only in the transaction that created it, so exactly once per community."""
    row = await _community_row(conn, ref)
    if row is None:
        values = {
            "platform": ref.platform,
            "external_id": ref.external_id,
            "name": ref.name,
            "settings": defaults.model_dump(),
            "created_at": now,
        }
        created = await insert_missing(conn, communities, values, ("platform", "external_id"))
        row = await _community_row(conn, ref)
        if created and row is not None and on_create is not None:
            await on_create(conn, row.id, now)
    assert row is not None
    return Community(row.id, ref, CommunitySettings.stored(row.settings))


async def _community_row(conn: AsyncConnection, ref: CommunityRef) -> Any:
    result = await conn.execute(
        sa.select(communities.c.id, communities.c.settings).where(
            communities.c.platform == ref.platform, communities.c.external_id == ref.external_id
        )
    )
    return result.first()


async def save_settings(
    conn: AsyncConnection, community_id: int, settings: CommunitySettings
) -> None:
    await conn.execute(
        sa.update(communities)
        .where(communities.c.id == community_id)
        .values(settings=settings.model_dump())
    )


async def upsert_actor(
    conn: AsyncConnection,
    community_id: int,
    actor: Actor,
    now: datetime,
    member: Member | None = None,
) -> Member:
    """The acting member, created on first contact; name and moderator flag kept current.
    `member` is their row when the caller has read it already."""
    if member is None:
        member = await ensure_member(
            conn, community_id, actor.user_id, actor.display_name, now, actor.is_moderator
        )
    if (member.display_name, member.is_moderator) == (actor.display_name, actor.is_moderator):
        return member
    await conn.execute(
        sa.update(members)
        .where(members.c.id == member.id)
        .values(display_name=actor.display_name, is_moderator=actor.is_moderator)
    )
    return remember(
        conn, replace(member, display_name=actor.display_name, is_moderator=actor.is_moderator)
    )


async def ensure_member(
    conn: AsyncConnection,
    community_id: int,
    user_id: str,
    display_name: str,
    now: datetime,
    is_moderator: bool = False,
) -> Member:
    """The member, created if new (the actor on first contact, or a suggested colleague)."""
    member = await find_member(conn, community_id, user_id)
    if member is not None:
        return member
    return await add_member(conn, community_id, user_id, display_name, now, is_moderator)


async def add_member(
    conn: AsyncConnection,
    community_id: int,
    user_id: str,
    display_name: str,
    now: datetime,
    is_moderator: bool = False,
) -> Member:
    """A member not found a moment ago: inserted, or the row a concurrent transaction added."""
    values = {
        "community_id": community_id,
        "user_id": user_id,
        "display_name": display_name,
        "is_moderator": is_moderator,
        "created_at": now,
    }
    added = await insert_missing_returning(
        conn, members, values, ("community_id", "user_id"), members.c.id
    )
    if added is None:
        found = await find_member(conn, community_id, user_id)
        assert found is not None
        return found
    return remember(conn, Member(added, community_id, user_id, display_name, is_moderator))


async def find_member(conn: AsyncConnection, community_id: int, user_id: str) -> Member | None:
    known = _known(conn)
    if known is not None and (community_id, user_id) in known.by_user:
        return known.by_user[community_id, user_id]
    row = (
        await conn.execute(
            sa.select(members).where(
                members.c.community_id == community_id, members.c.user_id == user_id
            )
        )
    ).first()
    return remember(conn, _member(row)) if row else None


async def get_member(conn: AsyncConnection, member_id: int) -> Member:
    known = _known(conn)
    if known is not None and member_id in known.by_id:
        return known.by_id[member_id]
    row = (await conn.execute(sa.select(members).where(members.c.id == member_id))).one()
    return remember(conn, _member(row))


async def get_members(conn: AsyncConnection, member_ids: Iterable[int]) -> dict[int, Member]:
    """Members by id, in one query."""
    wanted = sorted(set(member_ids))
    if not wanted:
        return {}
    rows = await conn.execute(sa.select(members).where(members.c.id.in_(wanted)))
    return {r.id: _member(r) for r in rows}


async def lock_member(conn: AsyncConnection, member_id: int) -> None:
    """Serialise concurrent commands of one member on engines with row locks (PostgreSQL).

    SQLite writers are already serialised by BEGIN IMMEDIATE, so there is nothing to do.
    """
    if conn.dialect.name == "sqlite":
        return
    await conn.execute(sa.select(members.c.id).where(members.c.id == member_id).with_for_update())


def remember(conn: AsyncConnection, member: Member) -> Member:
    """Keep `member` (as just read or written) for the rest of this transaction."""
    known = _known(conn)
    if known is not None:
        known.forget(member.id)
        known.by_id[member.id] = member
        known.by_user[member.community_id, member.user_id] = member
    return member


def forget_member(conn: AsyncConnection, member_id: int) -> None:
    """After a change to the member's row made elsewhere (e.g. erasing their data)."""
    known = _known(conn)
    if known is not None:
        known.forget(member_id)


@dataclass
class _Known:
    transaction: object
    by_id: dict[int, Member]
    by_user: dict[tuple[int, str], Member]

    def forget(self, member_id: int) -> None:
        old = self.by_id.pop(member_id, None)
        if old is not None:
            self.by_user.pop((old.community_id, old.user_id), None)


_KNOWN = "infochat_known_members"


def _known(conn: AsyncConnection) -> _Known | None:
    """This transaction's members, or None outside a transaction."""
    sync = conn.sync_connection
    transaction = sync.get_transaction() if sync is not None else None
    if transaction is None:
        return None
    known: _Known | None = conn.info.get(_KNOWN)
    if known is None or known.transaction is not transaction:
        known = _Known(transaction, {}, {})
        conn.info[_KNOWN] = known
    return known


def _member(row: Any) -> Member:
    return Member(row.id, row.community_id, row.user_id, row.display_name, row.is_moderator)
