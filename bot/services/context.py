"""What core code works with: one transaction, the time, the community, and where messages
go (the outbox, inside the same transaction). A `Scope` serves due jobs; a `Context` adds
the member who acts and their command. Work too heavy to do while holding the write lock is
done before, in a read snapshot (`Snapshot`), and handed in as `prepared`.

Messages are kept until `flush`, which writes them all in one statement: whoever makes a
scope flushes it before its transaction commits (the dispatcher, the job runner).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Command
from bot.domain.community import CommunitySettings
from bot.domain.ranking import Ranking
from bot.errors import Forbidden
from bot.outbox import enqueue_all
from bot.storage.members import Community, Member, Place, community_places, reach
from bot.storage.privacy import is_deleted
from bot.storage.schema import members
from bot.views import Destination, Message, Reply


@dataclass
class Scope:
    conn: AsyncConnection
    now: datetime
    community: Community
    # What the action's snapshot step computed before the write transaction began (see
    # `Snapshot`), or None.
    prepared: object = field(default=None, kw_only=True)
    # Another order to ask candidates in (the simulator's baselines); None: infochat's own.
    ranking: Ranking | None = field(default=None, kw_only=True)
    _pending: list[tuple[int, Destination, Message]] = field(
        default_factory=list, init=False, repr=False, kw_only=True
    )
    _places: tuple[Place, ...] | None = field(default=None, init=False, repr=False, kw_only=True)

    @property
    def settings(self) -> CommunitySettings:
        return self.community.settings

    async def places(self) -> tuple[Place, ...]:
        """The community's places (read once per scope)."""
        if self._places is None:
            self._places = await community_places(self.conn, self.community.id)
        return self._places

    async def dm(self, member_id: int, message: Message) -> None:
        """To the member on the place they used last."""
        place_id, user_id = await reach(self.conn, member_id)
        channel = self.community.settings.introductions_channel
        destination = Destination(kind="member", user_ids=(user_id,), channel=channel)
        await self._send(place_id, destination, message)

    async def to_channel(self, channel: str, message: Message) -> None:
        """To the channel of that name on each of the community's places."""
        for place in await self.places():
            await self._send(place.id, Destination(kind="channel", channel=channel), message)

    async def to_group(self, member_ids: tuple[int, ...], message: Message) -> bool:
        """To the members together (a group DM) when they are on one place; otherwise each
        on their own place, in the same words. True when they got it together."""
        addresses = [await reach(self.conn, member_id) for member_id in member_ids]
        channel = self.community.settings.introductions_channel
        if len({place_id for place_id, _ in addresses}) == 1:
            user_ids = tuple(user_id for _, user_id in addresses)
            destination = Destination(kind="group", user_ids=user_ids, channel=channel)
            await self._send(addresses[0][0], destination, message)
            return True
        for place_id, user_id in addresses:
            destination = Destination(kind="member", user_ids=(user_id,), channel=channel)
            await self._send(place_id, destination, message)
        return False

    async def to_admins(self, message: Message) -> None:
        """To the people who set the bot up (installer, workspace admins, server owner) on
        each place; the moderators' channel is where a platform falls back when none of
        them can be reached."""
        channel = self.community.settings.moderators_channel
        for place in await self.places():
            await self._send(place.id, Destination(kind="admins", channel=channel), message)

    async def _send(self, place_id: int, destination: Destination, message: Message) -> None:
        if destination.user_ids:
            # Members who deleted their data get nothing more (their id is no longer known).
            users = tuple(u for u in destination.user_ids if not is_deleted(u))
            if not users:
                return
            destination = destination.model_copy(update={"user_ids": users})
        if message.mentions and len(await self.places()) > 1:
            # A mention works on its own place only: elsewhere it would name nobody (or
            # show an id from another platform).
            here = await _users_on(self.conn, place_id, message.mentions)
            mentions = tuple(u for u in message.mentions if u in here)
            if mentions != message.mentions:
                message = message.model_copy(update={"mentions": mentions})
        self._pending.append((place_id, destination, message))

    async def flush(self) -> None:
        """Write the messages sent so far to the outbox (in order, one statement)."""
        pending, self._pending = self._pending, []
        await enqueue_all(self.conn, self.community.id, pending, self.now)


async def _users_on(conn: AsyncConnection, place_id: int, user_ids: tuple[str, ...]) -> set[str]:
    rows = await conn.execute(
        sa.select(members.c.user_id).where(
            members.c.place_id == place_id, members.c.user_id.in_(user_ids)
        )
    )
    return set(rows.scalars())


@dataclass
class Context(Scope):
    actor: Member  # the member acting (the person, for a linked account)
    command: Command
    place: Place  # where the command came from

    def require_moderator(self) -> None:
        if not self.actor.is_moderator:
            raise Forbidden("Only moderators can do that.")


Handler = Callable[[Context], Awaitable[Reply]]
# Read-only work an action does before it takes the write lock, in a snapshot beside the
# writer (e.g. computing a digest): its result reaches the handler as `Scope.prepared`.
Snapshot = Callable[[AsyncConnection, Command, datetime], Awaitable[object]]
