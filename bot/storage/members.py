"""Communities and members: neutral references (platform, community id, user id)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Actor, CommunityRef
from bot.domain.community import CommunitySettings
from bot.storage.inserts import insert_missing
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
    conn: AsyncConnection, ref: CommunityRef, defaults: CommunitySettings, now: datetime
) -> Community:
    row = await _community_row(conn, ref)
    if row is None:
        values = {
            "platform": ref.platform,
            "external_id": ref.external_id,
            "name": ref.name,
            "settings": defaults.model_dump(),
            "created_at": now,
        }
        await insert_missing(conn, communities, values, ("platform", "external_id"))
        row = await _community_row(conn, ref)
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
    conn: AsyncConnection, community_id: int, actor: Actor, now: datetime
) -> Member:
    """The acting member, created on first contact; name and moderator flag kept current."""
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
    return replace(member, display_name=actor.display_name, is_moderator=actor.is_moderator)


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
    values = {
        "community_id": community_id,
        "user_id": user_id,
        "display_name": display_name,
        "is_moderator": is_moderator,
        "created_at": now,
    }
    await insert_missing(conn, members, values, ("community_id", "user_id"))
    found = await find_member(conn, community_id, user_id)
    assert found is not None
    return found


async def find_member(conn: AsyncConnection, community_id: int, user_id: str) -> Member | None:
    row = (
        await conn.execute(
            sa.select(members).where(
                members.c.community_id == community_id, members.c.user_id == user_id
            )
        )
    ).first()
    return _member(row) if row else None


async def get_member(conn: AsyncConnection, member_id: int) -> Member:
    row = (await conn.execute(sa.select(members).where(members.c.id == member_id))).one()
    return _member(row)


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


def _member(row: Any) -> Member:
    return Member(row.id, row.community_id, row.user_id, row.display_name, row.is_moderator)
