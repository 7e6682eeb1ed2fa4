"""A small in-process community for service tests: members act, deliveries are recorded."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.app import Infochat
from bot.clock import FakeClock
from bot.commands import Actor, Command, CommunityRef
from bot.domain.community import CommunitySettings
from bot.outbox import DeliveryWorker
from bot.storage.database import Database, sqlite_url
from bot.views import Button, Destination, Message, Reply

COMMUNITY = CommunityRef("console", "test", "Test community")
_keys = itertools.count(1)


def _key(key: str | None) -> str:
    return f"k{next(_keys)}" if key is None else key


# A second place for tests of communities that span places (see `World.homes`).
OTHER_PLACE = CommunityRef("console", "other", "Other place")


@dataclass
class RecordingTransport:
    sent: list[tuple[Destination, Message, int]] = field(default_factory=list)
    doubted: list[int] = field(default_factory=list)  # rows delivered `in_doubt`
    places: dict[int, CommunityRef] = field(default_factory=dict)  # row → the place it went to

    async def deliver(
        self,
        community: CommunityRef,
        destination: Destination,
        message: Message,
        delivery_id: int,
        *,
        in_doubt: bool = False,
    ) -> None:
        self.sent.append((destination, message, delivery_id))
        self.places[delivery_id] = community
        if in_doubt:
            self.doubted.append(delivery_id)


@dataclass
class World:
    db: Database
    clock: FakeClock
    app: Infochat
    transport: RecordingTransport
    worker: DeliveryWorker
    moderators: set[str] = field(default_factory=set)
    # The place each member acts from, when not COMMUNITY (e.g. {"dana": OTHER_PLACE}).
    homes: dict[str, CommunityRef] = field(default_factory=dict)

    async def travel(self, delta: timedelta) -> int:
        """Move the clock, each job running at its due time on the way, deliver what they
        sent; how many jobs ran."""
        ran = await self.app.job_runner().advance(delta)
        await self.worker.drain()
        return ran

    def actor(self, user: str) -> Actor:
        home = self.homes.get(user, COMMUNITY)
        return Actor(home, user, user.capitalize(), is_moderator=user in self.moderators)

    async def say(self, user: str, text: str, key: str | None = None) -> Reply:
        reply = await self.app.dispatch_text(self.actor(user), text, _key(key))
        await self.worker.drain()
        return reply

    async def act(
        self, user: str, action: str, target: str = "", key: str | None = None, **args: Any
    ) -> Reply:
        command = Command(self.actor(user), action, _key(key), target, args)
        reply = await self.app.dispatch(command)
        await self.worker.drain()
        return reply

    async def press(self, user: str, button: Button, **form: Any) -> Reply:
        return await self.act(user, button.action, button.target, **form)

    def inbox(self, user: str, place: CommunityRef | None = None) -> list[Message]:
        """What `user` received (on `place` only, when given)."""
        return [
            m
            for d, m, row in self.transport.sent
            if user in d.user_ids and (place is None or self.transport.places[row] == place)
        ]

    def on_place(self, place: CommunityRef) -> list[tuple[Destination, Message]]:
        """Everything delivered on a place, in order."""
        return [(d, m) for d, m, row in self.transport.sent if self.transport.places[row] == place]

    def channel(self, name: str) -> list[Message]:
        return [m for d, m, _ in self.transport.sent if d.kind == "channel" and d.channel == name]

    def groups(self) -> list[tuple[Destination, Message]]:
        return [(d, m) for d, m, _ in self.transport.sent if d.kind == "group"]

    def last_with_buttons(self, user: str) -> Message:
        return next(m for m in reversed(self.inbox(user)) if m.buttons)


def button(message: Message, label: str) -> Button:
    return next(b for b in message.buttons if b.label == label or b.label.startswith(label))


async def make_world(where: Path | str, **settings: Any) -> World:
    """A world on a SQLite file (a path) or any database URL."""
    db = Database(sqlite_url(where) if isinstance(where, Path) else where)
    await db.migrate()
    clock = FakeClock()
    transport = RecordingTransport()
    app = Infochat(db, clock, CommunitySettings(**settings))
    return World(db, clock, app, transport, DeliveryWorker(db, transport, clock))


VOLUNTEERS = {
    "priya": 'role="Data engineer" org=Acme topics="data engineering, python" timezone=Europe/Berlin affiliations="University of Toronto"',
    "bob": 'role="Software engineer" org=Globex topics="software engineering" timezone=America/New_York',
    "chen": 'role="Data scientist" org=Initech topics="data science, machine learning" timezone=Asia/Singapore affiliations="University of Toronto"',
}

GOOD_REQUEST = (
    '/infochat request topic="data engineering" '
    'why="I am a backend developer moving toward data pipelines and want to hear how the work differs day to day" '
    'q="What does a typical week look like in your role?" '
    'q="Which skills mattered most when you moved into data engineering?" minutes=15'
)


async def count(world: World, table: str, **where: Any) -> int:
    import sqlalchemy as sa

    from bot.storage.schema import metadata

    t = metadata.tables[table]
    query = sa.select(sa.func.count()).select_from(t)
    for key, value in where.items():
        query = query.where(t.c[key] == value)
    async with world.db.transaction() as conn:
        return int((await conn.execute(query)).scalar_one())


async def stored_load(world: World, user_id: str) -> int:
    """The member's matching load as stored, recounted at the world's time."""
    import sqlalchemy as sa

    from bot.storage import counters
    from bot.storage.schema import members

    async with world.db.transaction() as conn:
        query = sa.select(members.c.id).where(members.c.user_id == user_id)
        member_id = (await conn.execute(query)).scalar_one()
        await counters.refresh(conn, world.clock.now())
        return await counters.current(conn, member_id)


async def join_all(world: World, names: tuple[str, ...] = tuple(VOLUNTEERS)) -> None:
    for name in names:
        reply = await world.say(name, f"/infochat volunteer join {VOLUNTEERS[name]}")
        assert reply.ok, reply.messages


def text_of(message: Message) -> str:
    parts = [message.title or "", message.text, *(f"{x.label} {x.value}" for x in message.lines)]
    return "\n".join(parts)


def replay_of(again: Reply, first: Reply) -> bool:
    """`again` is the first outcome delivered once more: the same reply, marked a replay."""
    return again.replay and again.model_copy(update={"replay": False}) == first


async def join_places(world: World, into: CommunityRef, joining: CommunityRef) -> None:
    """Put the place `joining` (new, or still empty) into the community of `into`, as linking
    places does, for tests of what happens once a community spans two places."""
    import sqlalchemy as sa

    from bot.storage.members import get_or_create_place
    from bot.storage.schema import places

    async with world.db.transaction() as conn:
        now = world.clock.now()
        community, _ = await get_or_create_place(conn, into, world.app.defaults, now)
        _, place = await get_or_create_place(conn, joining, world.app.defaults, now)
        await conn.execute(
            sa.update(places).where(places.c.id == place.id).values(community_id=community.id)
        )
