"""Communities, their places and members: neutral references (platform, place id, user id).

A community lives on one place or more (a Slack workspace, a Discord server, a console
community). A member row is an account on one place; a member with linked accounts is the
row they were first linked into (the person), which holds everything they did, and account
rows pointing at it (`person_id`). Work is always recorded against the person.

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
from bot.storage.schema import communities, members, places


@dataclass(frozen=True)
class Community:
    id: int
    # The place this work is about: a command's place; for due jobs, the place the community
    # was founded on.
    ref: CommunityRef
    settings: CommunitySettings


@dataclass(frozen=True)
class Place:
    id: int
    community_id: int
    ref: CommunityRef


@dataclass(frozen=True)
class Member:
    id: int
    community_id: int
    user_id: str  # on the member's place
    display_name: str
    is_moderator: bool
    place_id: int
    person_id: int | None = None  # an account linked into this member row
    reach_id: int | None = None  # the person's account they used last (None: this row's)


async def get_or_create_community(
    conn: AsyncConnection,
    ref: CommunityRef,
    defaults: CommunitySettings,
    now: datetime,
    on_create: Callable[[AsyncConnection, int, datetime], Awaitable[None]] | None = None,
) -> Community:
    """The community of the place `ref` (see `get_or_create_place`)."""
    return (await get_or_create_place(conn, ref, defaults, now, on_create))[0]


async def get_or_create_place(
    conn: AsyncConnection,
    ref: CommunityRef,
    defaults: CommunitySettings,
    now: datetime,
    on_create: Callable[[AsyncConnection, int, datetime], Awaitable[None]] | None = None,
) -> tuple[Community, Place]:
    """The place's community, created with `defaults` (and the place) if new; `on_create`
    runs (same transaction) only in the transaction that created it, so exactly once per
    community."""
    row = await _place_row(conn, ref)
    if row is None:
        values = {
            "platform": ref.platform,
            "external_id": ref.external_id,
            "name": ref.name,
            "settings": defaults.model_dump(),
            "created_at": now,
        }
        created = await insert_missing(conn, communities, values, ("platform", "external_id"))
        community_id = (
            await conn.execute(
                sa.select(communities.c.id).where(
                    communities.c.platform == ref.platform,
                    communities.c.external_id == ref.external_id,
                )
            )
        ).scalar_one()
        place = {
            "community_id": community_id,
            "platform": ref.platform,
            "external_id": ref.external_id,
            "name": ref.name,
            "created_at": now,
        }
        await insert_missing(conn, places, place, ("platform", "external_id"))
        row = await _place_row(conn, ref)
        if created and row is not None and on_create is not None:
            await on_create(conn, row.community_id, now)
    assert row is not None
    community = Community(row.community_id, ref, CommunitySettings.stored(row.settings))
    return community, Place(row.id, row.community_id, ref)


async def _place_row(conn: AsyncConnection, ref: CommunityRef) -> Any:
    result = await conn.execute(
        sa.select(places.c.id, places.c.community_id, communities.c.settings)
        .join(communities, communities.c.id == places.c.community_id)
        .where(places.c.platform == ref.platform, places.c.external_id == ref.external_id)
    )
    return result.first()


async def community_places(conn: AsyncConnection, community_id: int) -> tuple[Place, ...]:
    """The community's places, oldest first (not necessarily the one it was founded on: a
    place older than the community may have joined it)."""
    rows = await conn.execute(
        sa.select(places).where(places.c.community_id == community_id).order_by(places.c.id)
    )
    return tuple(
        Place(r.id, r.community_id, CommunityRef(r.platform, r.external_id, r.name)) for r in rows
    )


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
    place: Place,
    actor: Actor,
    now: datetime,
    account: Member | None = None,
) -> Member:
    """The member acting, created on first contact; the account's name and moderator flag
    kept current. `account` is their account's row when the caller has read it already.

    For a linked account this is the person it belongs to, acting with the account's
    moderator flag (its platform vouched for it just now), and from now on reached there."""
    if account is None:
        account = await ensure_member(
            conn,
            place.community_id,
            place.id,
            actor.user_id,
            actor.display_name,
            now,
            actor.is_moderator,
        )
    if (account.display_name, account.is_moderator) != (actor.display_name, actor.is_moderator):
        await conn.execute(
            sa.update(members)
            .where(members.c.id == account.id)
            .values(display_name=actor.display_name, is_moderator=actor.is_moderator)
        )
        account = remember(
            conn, replace(account, display_name=actor.display_name, is_moderator=actor.is_moderator)
        )
    if account.person_id is None:
        if account.reach_id is not None:  # back on this row's own account
            await _set_reach(conn, account, None)
            account = await get_member(conn, account.id)
        return account
    person = await get_member(conn, account.person_id)
    if person.reach_id != account.id:
        await _set_reach(conn, person, account.id)
    return replace(person, reach_id=account.id, is_moderator=account.is_moderator)


async def _set_reach(conn: AsyncConnection, person: Member, reach_id: int | None) -> None:
    await conn.execute(
        sa.update(members).where(members.c.id == person.id).values(reach_id=reach_id)
    )
    remember(conn, replace(person, reach_id=reach_id))


async def ensure_member(
    conn: AsyncConnection,
    community_id: int,
    place_id: int,
    user_id: str,
    display_name: str,
    now: datetime,
    is_moderator: bool = False,
) -> Member:
    """The account, created if new (the actor on first contact, or a suggested colleague)."""
    member = await find_member(conn, place_id, user_id)
    if member is not None:
        return member
    return await add_member(conn, community_id, place_id, user_id, display_name, now, is_moderator)


async def add_member(
    conn: AsyncConnection,
    community_id: int,
    place_id: int,
    user_id: str,
    display_name: str,
    now: datetime,
    is_moderator: bool = False,
) -> Member:
    """An account not found a moment ago: inserted, or the row a concurrent transaction
    added."""
    values = {
        "community_id": community_id,
        "place_id": place_id,
        "user_id": user_id,
        "display_name": display_name,
        "is_moderator": is_moderator,
        "created_at": now,
    }
    added = await insert_missing_returning(
        conn, members, values, ("place_id", "user_id"), members.c.id
    )
    if added is None:
        found = await find_member(conn, place_id, user_id)
        assert found is not None
        return found
    member = Member(added, community_id, user_id, display_name, is_moderator, place_id)
    return remember(conn, member)


async def find_member(conn: AsyncConnection, place_id: int, user_id: str) -> Member | None:
    """The account `user_id` has on the place (an account row: see `person_of`)."""
    known = _known(conn)
    if known is not None and (place_id, user_id) in known.by_user:
        return known.by_user[place_id, user_id]
    row = (
        await conn.execute(
            sa.select(members).where(members.c.place_id == place_id, members.c.user_id == user_id)
        )
    ).first()
    return remember(conn, _member(row)) if row else None


async def person_of(conn: AsyncConnection, account: Member) -> Member:
    """The member row that holds what the account's owner does (itself unless linked)."""
    if account.person_id is None:
        return account
    return await get_member(conn, account.person_id)


async def community_of_place(conn: AsyncConnection, place_id: int) -> int | None:
    """The community the place belongs to now (places move when they are linked)."""
    query = sa.select(places.c.community_id).where(places.c.id == place_id)
    return (await conn.execute(query)).scalar_one_or_none()


def person_and_accounts(person_id: int) -> sa.ColumnElement[bool]:
    """Rows of `members`: the person's own and the accounts linked into it. (An IN over a
    union, each half read by its index: SQLite scans the table for `id = ? OR person_id = ?`.)"""
    accounts = members.alias("accounts")
    linked = sa.select(accounts.c.id).where(accounts.c.person_id == person_id)
    return members.c.id.in_(sa.union_all(sa.select(sa.literal(person_id)), linked))


async def reach(conn: AsyncConnection, member_id: int) -> tuple[int, str]:
    """Where to send a member a message, as (place id, user id): a person's account they
    used last; an account row, that account."""
    member = await get_member(conn, member_id)
    if member.person_id is None and member.reach_id is not None:
        member = await get_member(conn, member.reach_id)
    return member.place_id, member.user_id


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
        known.by_user[member.place_id, member.user_id] = member
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
            self.by_user.pop((old.place_id, old.user_id), None)


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
    return Member(
        row.id,
        row.community_id,
        row.user_id,
        row.display_name,
        row.is_moderator,
        row.place_id,
        row.person_id,
        row.reach_id,
    )
