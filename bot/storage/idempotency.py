"""Processed commands: a repeated idempotency key returns the first outcome, marked as a
replay, changing nothing.

A key belongs to the community and member that sent it, so another community or member
reusing it (by accident or on purpose) runs their own command and never sees this reply.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Command
from bot.storage.schema import places, processed_commands
from bot.views import Reply


async def lookup(conn: AsyncConnection, command: Command) -> Reply | None:
    """The first reply to this command's key from its sender, if there was one."""
    ref = command.actor.community
    community_id = (
        sa.select(places.c.community_id)
        .where(places.c.platform == ref.platform, places.c.external_id == ref.external_id)
        .scalar_subquery()
    )
    row = (
        await conn.execute(
            sa.select(processed_commands.c.reply).where(
                processed_commands.c.community_id == community_id,
                processed_commands.c.user_id == command.actor.user_id,
                processed_commands.c.key == command.key,
            )
        )
    ).first()
    return None if row is None else replayed(row.reply)


def replayed(stored: object) -> Reply:
    """A stored reply as its replay: shown when it was first delivered, it shows nothing again."""
    return Reply.model_validate(stored).model_copy(update={"replay": True})


async def record(
    conn: AsyncConnection, command: Command, community_id: int, reply: Reply, now: datetime
) -> None:
    await conn.execute(
        sa.insert(processed_commands).values(
            key=command.key,
            community_id=community_id,
            user_id=command.actor.user_id,
            action=command.action[:40],
            reply=reply.model_dump(mode="json"),
            created_at=now,
        )
    )
