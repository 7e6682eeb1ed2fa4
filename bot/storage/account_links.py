"""A member's accounts on several places joined into one person, and split again.

The person is a member row (`person_id` NULL) that holds everything they did; each other
account row points at it. Joining moves everything a standalone account row holds onto the
person in one transaction, a fixed number of statements whatever the history's size, so
every count (capacity, cool-downs, open requests, "already asked") is the person's from then
on. Unlinking moves nothing: the history stays with the person row, and the account that
leaves starts fresh, so nothing is lost and nothing is counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import counters
from bot.storage import volunteers as volunteer_store
from bot.storage.members import forget_member, person_and_accounts
from bot.storage.schema import (
    asks,
    audit_log,
    introductions,
    link_codes,
    members,
    no_shows,
    notices,
    places,
    requests,
    thanks,
    volunteer_keys,
    volunteer_loads,
    volunteers,
)


@dataclass(frozen=True)
class Account:
    member_id: int
    platform: str
    place_id: int
    place_name: str
    user_id: str


@dataclass(frozen=True)
class Joined:
    """What joining changed that the member is told about."""

    public_recognition: bool  # the person's choices after joining
    weekly_digest: bool
    recognition_changed: bool  # the two accounts' choices differed: the more private kept
    digest_changed: bool


async def accounts_of(conn: AsyncConnection, person_id: int) -> list[Account]:
    """The person's accounts: their own row first, then the linked ones by id."""
    rows = await conn.execute(
        sa.select(
            members.c.id,
            places.c.platform,
            places.c.id.label("place_id"),
            places.c.name,
            places.c.external_id,
            members.c.user_id,
        )
        .join(places, places.c.id == members.c.place_id)
        .where(person_and_accounts(person_id))
        .order_by(members.c.person_id.is_not(None), members.c.id)
    )
    return [Account(r.id, r.platform, r.place_id, r.name or r.external_id, r.user_id) for r in rows]


async def has_profile(conn: AsyncConnection, member_id: int) -> bool:
    query = sa.select(volunteers.c.member_id).where(volunteers.c.member_id == member_id)
    return (await conn.execute(query)).first() is not None


async def matched_with_each_other(conn: AsyncConnection, one: int, other: int) -> bool:
    """Whether either was asked on the other's request (a chat with oneself can't be)."""
    query = (
        sa.select(asks.c.id)
        .join(requests, requests.c.id == asks.c.request_id)
        .where(
            sa.or_(
                sa.and_(asks.c.volunteer_id == one, requests.c.seeker_id == other),
                sa.and_(asks.c.volunteer_id == other, requests.c.seeker_id == one),
            )
        )
        .limit(1)
    )
    return (await conn.execute(query)).first() is not None


async def join(
    conn: AsyncConnection, person_id: int, account_id: int, keep_profile_of: int | None
) -> Joined:
    """Join the standalone account row `account_id` into the person: everything it holds
    moves to the person, and it points at the person, who is reached there from now on.
    When both have a volunteer profile, `keep_profile_of` (one of the two) says which stays.
    Differing recognition and digest choices become the more private one (off)."""
    moved = (account_id, person_id)
    for table, column in (
        (requests, requests.c.seeker_id),
        (requests, requests.c.target_member_id),
        (asks, asks.c.volunteer_id),
        (asks, asks.c.approved_by),
        (introductions, introductions.c.seeker_id),
        (introductions, introductions.c.volunteer_id),
        (thanks, thanks.c.from_id),
        (thanks, thanks.c.to_id),
        (no_shows, no_shows.c.reporter_id),
        (no_shows, no_shows.c.member_id),
        (audit_log, audit_log.c.actor_id),
    ):
        await conn.execute(
            sa.update(table).where(column == account_id).values({column.name: person_id})
        )
    # Notes shown once: the person has seen what either account saw.
    seen = sa.select(notices.c.kind).where(notices.c.member_id == person_id)
    await conn.execute(
        sa.update(notices)
        .where(notices.c.member_id == account_id, notices.c.kind.not_in(seen))
        .values(member_id=person_id)
    )
    await conn.execute(sa.delete(notices).where(notices.c.member_id == account_id))
    # The account's codes: an unused code for linking it is spent; the rest are the person's.
    await conn.execute(
        sa.delete(link_codes).where(
            link_codes.c.member_id == account_id,
            link_codes.c.kind == "account",
            link_codes.c.used_at.is_(None),
        )
    )
    await conn.execute(
        sa.update(link_codes)
        .where(link_codes.c.member_id == account_id)
        .values(member_id=person_id)
    )
    await _join_profiles(conn, person_id, account_id, keep_profile_of)
    joined = await _join_choices(conn, person_id, account_id)
    await conn.execute(
        sa.update(members).where(members.c.id == account_id).values(person_id=person_id)
    )
    await conn.execute(
        sa.update(members).where(members.c.id == person_id).values(reach_id=account_id)
    )
    for member_id in moved:
        forget_member(conn, member_id)
    return joined


async def _join_profiles(
    conn: AsyncConnection, person_id: int, account_id: int, keep_profile_of: int | None
) -> None:
    """One volunteer profile for the person, its postings and load recounted from the
    history it now holds."""
    rows = await conn.execute(
        sa.select(volunteers.c.member_id, volunteers.c.community_id).where(
            volunteers.c.member_id.in_((person_id, account_id))
        )
    )
    found = {r.member_id: r.community_id for r in rows}
    await conn.execute(sa.delete(volunteer_keys).where(volunteer_keys.c.member_id == account_id))
    await conn.execute(sa.delete(volunteer_loads).where(volunteer_loads.c.member_id == account_id))
    if account_id in found:
        if person_id in found:
            assert keep_profile_of in (person_id, account_id), "both have a profile: choose"
            drop = account_id if keep_profile_of == person_id else person_id
            await conn.execute(sa.delete(volunteers).where(volunteers.c.member_id == drop))
        if keep_profile_of != person_id:
            await conn.execute(
                sa.update(volunteers)
                .where(volunteers.c.member_id == account_id)
                .values(member_id=person_id)
            )
    await counters.touched(conn, person_id)  # the history it holds now: recounted when read
    profile = await volunteer_store.get_profile(conn, person_id)
    if profile is not None:
        community_id = found.get(person_id, found.get(account_id))
        assert community_id is not None
        await volunteer_store.reindex(conn, profile, community_id)


async def _join_choices(conn: AsyncConnection, person_id: int, account_id: int) -> Joined:
    rows = await conn.execute(
        sa.select(members.c.id, members.c.public_recognition, members.c.weekly_digest).where(
            members.c.id.in_((person_id, account_id))
        )
    )
    by_id = {r.id: (bool(r.public_recognition), bool(r.weekly_digest)) for r in rows}
    (p_rec, p_dig), (a_rec, a_dig) = by_id[person_id], by_id[account_id]
    recognition, digest = p_rec and a_rec, p_dig and a_dig
    await conn.execute(
        sa.update(members)
        .where(members.c.id == person_id)
        .values(public_recognition=recognition, weekly_digest=digest)
    )
    await conn.execute(
        sa.update(members)
        .where(members.c.id == account_id)
        .values(public_recognition=False, weekly_digest=False)
    )
    return Joined(recognition, digest, p_rec != a_rec, p_dig != a_dig)


async def unlink(conn: AsyncConnection, account_id: int, person_id: int | None) -> list[int]:
    """The account leaves its person (`person_id`); when the account is the person row
    itself (`person_id` None), its linked accounts leave it instead. The history stays with
    the person row; whoever leaves starts fresh. The ids of the rows that left."""
    if person_id is not None:
        leaving = [account_id]
        holder = person_id
    else:
        query = sa.select(members.c.id).where(members.c.person_id == account_id)
        leaving = sorted((await conn.execute(query)).scalars())
        holder = account_id
    if not leaving:
        return []
    await conn.execute(
        sa.update(members)
        .where(members.c.id.in_(leaving))
        .values(person_id=None, reach_id=None, public_recognition=False, weekly_digest=False)
    )
    # Reached on their own row's account unless the one they used last stays linked.
    await conn.execute(
        sa.update(members)
        .where(members.c.id == holder, members.c.reach_id.in_(leaving))
        .values(reach_id=None)
    )
    for member_id in (*leaving, holder):
        forget_member(conn, member_id)
    return leaving
