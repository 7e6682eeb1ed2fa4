"""What every command reads first, in one statement: its place, community and settings, the
account that acts, and the first reply to its key if the key was seen before (idempotency)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Command
from bot.domain.community import CommunitySettings
from bot.storage.idempotency import replayed
from bot.storage.members import Community, Member, Place, remember
from bot.storage.schema import communities, members, places, processed_commands
from bot.views import Reply


@dataclass(frozen=True)
class Entry:
    community: Community | None  # None: the bot has not met this place yet
    place: Place | None
    actor: Member | None  # the acting account; None: its first command
    prior: Reply | None  # the replay of the key's first outcome


async def read_entry(conn: AsyncConnection, command: Command) -> Entry:
    ref = command.actor.community
    user_id = command.actor.user_id
    prior = (
        sa.select(processed_commands.c.reply)
        .where(
            processed_commands.c.community_id == communities.c.id,
            processed_commands.c.user_id == user_id,
            processed_commands.c.key == command.key,
        )
        .scalar_subquery()
    )
    actor = sa.and_(members.c.place_id == places.c.id, members.c.user_id == user_id)
    row = (
        await conn.execute(
            sa.select(
                places.c.id.label("place_id"),
                communities.c.id,
                communities.c.settings,
                members.c.id.label("member_id"),
                members.c.display_name,
                members.c.is_moderator,
                members.c.person_id,
                members.c.reach_id,
                prior.label("prior"),
            )
            .select_from(
                places.join(communities, communities.c.id == places.c.community_id).outerjoin(
                    members, actor
                )
            )
            .where(places.c.platform == ref.platform, places.c.external_id == ref.external_id)
        )
    ).first()
    if row is None:
        return Entry(None, None, None, None)
    community = Community(row.id, ref, CommunitySettings.stored(row.settings))
    place = Place(row.place_id, row.id, ref)
    member = None
    if row.member_id is not None:
        account = Member(
            row.member_id,
            row.id,
            user_id,
            row.display_name,
            row.is_moderator,
            row.place_id,
            row.person_id,
            row.reach_id,
        )
        member = remember(conn, account)
    return Entry(community, place, member, None if row.prior is None else replayed(row.prior))
