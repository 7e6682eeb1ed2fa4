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

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Command
from bot.domain.community import CommunitySettings
from bot.domain.ranking import Ranking
from bot.errors import Forbidden
from bot.outbox import enqueue_all
from bot.storage.members import Community, Member
from bot.storage.privacy import is_deleted
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
    _pending: list[tuple[Destination, Message]] = field(
        default_factory=list, init=False, repr=False, kw_only=True
    )

    @property
    def settings(self) -> CommunitySettings:
        return self.community.settings

    async def dm(self, user_id: str, message: Message) -> None:
        channel = self.community.settings.introductions_channel
        await self._send(Destination(kind="member", user_ids=(user_id,), channel=channel), message)

    async def to_channel(self, channel: str, message: Message) -> None:
        await self._send(Destination(kind="channel", channel=channel), message)

    async def to_group(self, user_ids: tuple[str, ...], message: Message) -> None:
        channel = self.community.settings.introductions_channel
        await self._send(Destination(kind="group", user_ids=user_ids, channel=channel), message)

    async def to_admins(self, message: Message) -> None:
        """To the people who set the bot up (installer, workspace admins, server owner); the
        moderators' channel is where a platform falls back when none of them can be reached."""
        channel = self.community.settings.moderators_channel
        await self._send(Destination(kind="admins", channel=channel), message)

    async def _send(self, destination: Destination, message: Message) -> None:
        if destination.user_ids:
            # Members who deleted their data get nothing more (their id is no longer known).
            users = tuple(u for u in destination.user_ids if not is_deleted(u))
            if not users:
                return
            destination = destination.model_copy(update={"user_ids": users})
        self._pending.append((destination, message))

    async def flush(self) -> None:
        """Write the messages sent so far to the outbox (in order, one statement)."""
        pending, self._pending = self._pending, []
        await enqueue_all(self.conn, self.community.id, pending, self.now)


@dataclass
class Context(Scope):
    actor: Member
    command: Command

    def require_moderator(self) -> None:
        if not self.actor.is_moderator:
            raise Forbidden("Only moderators can do that.")


Handler = Callable[[Context], Awaitable[Reply]]
# Read-only work an action does before it takes the write lock, in a snapshot beside the
# writer (e.g. computing a digest): its result reaches the handler as `Scope.prepared`.
Snapshot = Callable[[AsyncConnection, Command, datetime], Awaitable[object]]
