"""Double clicks and races: however many times, and from however many processes, an Accept
arrives, there is one introduction; a repeated idempotency key gets the first reply."""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import sqlalchemy as sa

from bot.app import Infochat
from bot.clock import FakeClock
from bot.commands import Actor, Command
from bot.domain.community import CommunitySettings
from bot.storage.database import Database
from bot.storage.schema import asks, introductions, outbox, processed_commands, requests
from bot.views import Reply
from tests.support import COMMUNITY, GOOD_REQUEST, VOLUNTEERS, World, button, replay_of

ALREADY_ACCEPTED = "You already accepted this one. Thank you!"


async def asked(world: World) -> tuple[str, str]:
    """Volunteers join and a seeker's request is with one of them: (volunteer, ask id)."""
    for name, profile in VOLUNTEERS.items():
        assert (await world.say(name, f"/infochat volunteer join {profile}")).ok
    reply = await world.say("sam", GOOD_REQUEST)
    assert (await world.press("sam", button(reply.messages[0], "Let the bot choose"))).ok
    volunteer = next(v for v in VOLUNTEERS if world.inbox(v))
    return volunteer, button(world.last_with_buttons(volunteer), "Accept").target


def accept(world: World, volunteer: str, ask_id: str, key: str) -> Command:
    return Command(world.actor(volunteer), "ask.accept", key, ask_id)


async def counts(db: Database) -> dict[str, int]:
    async with db.transaction() as conn:

        async def count(table: sa.Table, *where: Any) -> int:
            query = sa.select(sa.func.count()).select_from(table).where(*where)
            return int((await conn.execute(query)).scalar_one())

        return {
            "introductions": await count(introductions),
            "accepted": await count(asks, asks.c.status == "accepted"),
            "introduced": await count(requests, requests.c.status == "introduced"),
            "group_messages": await count(
                outbox, outbox.c.destination["kind"].as_string() == "group"
            ),
        }


async def remembered(db: Database) -> int:
    async with db.transaction() as conn:
        query = sa.select(sa.func.count()).select_from(processed_commands)
        return int((await conn.execute(query)).scalar_one())


def same_outcome(a: Reply, b: Reply) -> bool:
    """Equal replies, whichever of them was the replay."""
    return a.model_copy(update={"replay": False}) == b.model_copy(update={"replay": False})


ONE_INTRODUCTION = {"introductions": 1, "accepted": 1, "introduced": 1, "group_messages": 1}


def assert_one_winner(replies: list[Reply]) -> None:
    winners = [r for r in replies if r.ok]
    losers = [r for r in replies if not r.ok]
    assert len(winners) == 1, replies
    assert "are introduced" in winners[0].messages[0].text
    for reply in losers:
        assert [m.text for m in reply.messages] == [ALREADY_ACCEPTED]


async def test_ten_simultaneous_accepts_make_one_introduction(world: World) -> None:
    volunteer, ask_id = await asked(world)
    before = await remembered(world.db)
    clicks = [accept(world, volunteer, ask_id, f"click-{i}") for i in range(10)]
    replies = await asyncio.gather(*(world.app.dispatch(c) for c in clicks))
    assert_one_winner(list(replies))
    assert await counts(world.db) == ONE_INTRODUCTION
    await world.worker.drain()
    assert len(world.groups()) == 1
    # Every click's outcome is remembered: redelivered, each gets its own first reply.
    assert await remembered(world.db) == before + 10
    again = [await world.app.dispatch(c) for c in clicks]
    assert all(replay_of(a, r) for a, r in zip(again, replies, strict=True))
    assert await counts(world.db) == ONE_INTRODUCTION


async def test_ten_deliveries_of_one_key_have_one_effect_and_equal_replies(world: World) -> None:
    volunteer, ask_id = await asked(world)
    command = accept(world, volunteer, ask_id, "interaction-42")
    replies = await asyncio.gather(*(world.app.dispatch(command) for _ in range(10)))
    (first,) = [r for r in replies if not r.replay]  # the others were replays of it
    assert first.ok
    assert all(r == first or replay_of(r, first) for r in replies)
    assert await counts(world.db) == ONE_INTRODUCTION
    # And later, once more: still the first reply, still one introduction.
    assert replay_of(await world.app.dispatch(command), first)
    await world.worker.drain()
    assert len(world.groups()) == 1


async def test_two_databases_on_one_file_race_to_accept(world: World) -> None:
    volunteer, ask_id = await asked(world)
    other_db = Database(world.db.url.render_as_string(hide_password=False))  # a second "process"
    try:
        other = Infochat(other_db, world.clock, CommunitySettings())
        apps = [world.app, other]
        replies = await asyncio.gather(
            *(
                apps[i % 2].dispatch(accept(world, volunteer, ask_id, f"race-{i}"))
                for i in range(10)
            )
        )
        assert_one_winner(list(replies))
        assert await counts(other_db) == ONE_INTRODUCTION

        # The same key through both "processes": one effect, equal replies.
        command = accept(world, volunteer, ask_id, "race-same")
        same = await asyncio.gather(*(apps[i % 2].dispatch(command) for i in range(6)))
        assert all(same_outcome(r, same[0]) for r in same)
    finally:
        await other_db.dispose()


def _accept_in_process(url: str, user: str, ask_id: str, key: str) -> str:
    """Run in a separate OS process (spawn): open the database, dispatch one Accept."""

    async def main() -> str:
        db = Database(url)
        try:
            app = Infochat(db, FakeClock(), CommunitySettings())
            actor = Actor(COMMUNITY, user, user.capitalize())
            reply = await app.dispatch(Command(actor, "ask.accept", key, ask_id))
            return reply.model_dump_json()
        finally:
            await db.dispose()

    return asyncio.run(main())


async def test_separate_processes_race_to_accept(world: World) -> None:
    volunteer, ask_id = await asked(world)
    url = world.db.url.render_as_string(hide_password=False)
    keys = [f"proc-{i}" for i in range(4)] + ["proc-same", "proc-same"]
    loop = asyncio.get_running_loop()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        replies = await asyncio.gather(
            *(
                loop.run_in_executor(pool, _accept_in_process, url, volunteer, ask_id, key)
                for key in keys
            )
        )
    parsed = [Reply.model_validate_json(r) for r in replies]
    assert same_outcome(parsed[-1], parsed[-2])  # the same key: the same reply
    assert_one_winner(parsed[:-1])
    assert await counts(world.db) == ONE_INTRODUCTION
