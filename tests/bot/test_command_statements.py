"""What a command reads and writes for its own bookkeeping: its community, its sender and
its key's earlier reply in one statement; each member once per transaction; its messages
in one insert."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from bot.views import Destination, Message
from tests.support import World, count


@contextmanager
def statements(world: World) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    engine = world.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def reads_of(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if s.startswith("SELECT") and f"FROM {table} " in f"{s} "]


async def test_a_known_members_command_reads_its_community_sender_and_key_at_once(
    world: World,
) -> None:
    await world.say("sam", "/infochat status")
    with statements(world) as seen:
        reply = await world.app.dispatch_text(world.actor("sam"), "/infochat status", "again")
    assert reply.ok
    entry = seen[0] if seen[0].startswith("SELECT") else seen[1]  # after any BEGIN
    assert "processed_commands" in entry and "members" in entry and "communities" in entry
    others = [s for s in seen if s != entry]
    assert not reads_of(others, "members") and not reads_of(others, "processed_commands")
    assert not reads_of(others, "communities")


async def test_a_repeated_key_is_answered_from_the_first_statement(world: World) -> None:
    first = await world.say("sam", "/infochat status", key="same")
    with statements(world) as seen:
        replay = await world.app.dispatch_text(world.actor("sam"), "/infochat status", "same")
    assert replay.replay and replay.messages == first.messages
    assert [s for s in seen if not s.startswith(("BEGIN", "SAVEPOINT", "RELEASE"))] == [
        next(s for s in seen if s.startswith("SELECT"))
    ]


async def test_a_new_member_is_added_without_reading_the_row_back(world: World) -> None:
    await world.say("sam", "/infochat status")
    with statements(world) as seen:
        assert (await world.app.dispatch_text(world.actor("newcomer"), "/infochat status", "n")).ok
    assert sum(s.startswith("INSERT INTO members") for s in seen) == 1
    assert not reads_of(seen, "members")
    assert await count(world, "members") == 2


async def test_a_commands_messages_go_to_the_outbox_in_one_insert_in_order(
    world: World,
) -> None:
    from bot.services.context import Context
    from bot.storage.members import ensure_member, get_or_create_place

    async with world.db.transaction() as conn:
        now = world.clock.now()
        community, place = await get_or_create_place(
            conn, world.actor("mo").community, world.app.defaults, now
        )
        mo, sam, priya = [
            await ensure_member(conn, community.id, place.id, user, user.title(), now)
            for user in ("mo", "sam", "priya")
        ]
        ctx = Context(conn, now, community, mo, None, place)  # type: ignore[arg-type]
        await ctx.places()  # read once per command, before its messages
        with statements(world) as seen:
            await ctx.dm(sam.id, Message(text="first"))
            await ctx.to_channel("moderators", Message(text="second"))
            await ctx.dm(priya.id, Message(text="third"))
            assert seen == []  # kept until the command ends
            await ctx.flush()
            await ctx.flush()  # nothing left: nothing written
        assert sum(s.startswith("INSERT INTO outbox") for s in seen) == 1
        assert len(seen) == 1
    await world.worker.drain()
    sent = [(d, m.text) for d, m, _ in world.transport.sent]
    assert [text for _, text in sent] == ["first", "second", "third"]
    assert sent[1][0] == Destination(kind="channel", channel="moderators")
