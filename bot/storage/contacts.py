"""How the two people of an introduction across places reach each other: the volunteer's
contact, given with their Accept, and the seeker's, given in reply. Each is written once
(a repeated or concurrent submit changes nothing); an introduction with a volunteer's
contact is one across places.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.schema import introductions, members


@dataclass(frozen=True)
class Contacts:
    intro_id: int
    community_id: int
    request_id: int
    seeker_id: int
    volunteer_id: int
    volunteer_contact: str | None  # None: a same-place introduction
    seeker_contact: str | None  # None: not given yet

    @property
    def across_places(self) -> bool:
        return self.volunteer_contact is not None


async def set_volunteer_contact(conn: AsyncConnection, intro_id: int, contact: str) -> None:
    await conn.execute(
        sa.update(introductions)
        .where(introductions.c.id == intro_id)
        .values(volunteer_contact=contact)
    )


async def set_seeker_contact(conn: AsyncConnection, intro_id: int, contact: str) -> bool:
    """The seeker's contact, once, and only for an introduction across places."""
    result = await conn.execute(
        sa.update(introductions)
        .where(
            introductions.c.id == intro_id,
            introductions.c.volunteer_contact.is_not(None),
            introductions.c.seeker_contact.is_(None),
        )
        .values(seeker_contact=contact)
    )
    return result.rowcount == 1


async def get(conn: AsyncConnection, intro_id: int) -> Contacts | None:
    c = introductions.c
    row = (
        await conn.execute(
            sa.select(
                c.id,
                c.community_id,
                c.request_id,
                c.seeker_id,
                c.volunteer_id,
                c.volunteer_contact,
                c.seeker_contact,
            ).where(c.id == intro_id)
        )
    ).first()
    if row is None:
        return None
    return Contacts(
        row.id,
        row.community_id,
        row.request_id,
        row.seeker_id,
        row.volunteer_id,
        row.volunteer_contact,
        row.seeker_contact,
    )


async def places_reached(conn: AsyncConnection, member_ids: list[int]) -> dict[int, int]:
    """Where messages reach each of these members (as `members.reach`, in one query): the
    account a person used last, otherwise the row's own place."""
    if not member_ids:
        return {}
    used = members.alias("used")
    rows = await conn.execute(
        sa.select(members.c.id, sa.func.coalesce(used.c.place_id, members.c.place_id))
        .select_from(
            members.outerjoin(
                used, sa.and_(used.c.id == members.c.reach_id, members.c.person_id.is_(None))
            )
        )
        .where(members.c.id.in_(sorted(set(member_ids))))
    )
    return {int(member_id): int(place_id) for member_id, place_id in rows}
