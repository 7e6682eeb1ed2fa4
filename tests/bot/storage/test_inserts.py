"""Get-or-create is race-free on each engine: a new community's first commands, a new
member's, and other first-time rows written by concurrent commands all succeed and leave one
row."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

from bot.app import APOLOGY
from bot.commands import Actor, Command, CommunityRef
from bot.views import Reply
from tests.bot.services.test_followups import introduce, question
from tests.support import VOLUNTEERS, World, button, count

_keys = itertools.count(1)


def status(community: CommunityRef, user: str) -> Command:
    return Command(Actor(community, user, user.capitalize()), "request.status", f"k{next(_keys)}")


async def warm_up(world: World) -> None:
    """Open the pool's connections first, so concurrent commands overlap in the database
    rather than queue behind connecting."""
    await asyncio.gather(*(world.say("mo", "/infochat status") for _ in range(5)))


def assert_all_ok(replies: list[Reply]) -> None:
    assert [r.messages[0].text for r in replies if not r.ok] == []


async def test_concurrent_first_commands_of_new_communities_all_succeed(world: World) -> None:
    communities = [CommunityRef("slack", f"T{i}", f"team{i}") for i in range(4)]
    commands = [status(c, f"user{n}") for n in range(5) for c in communities]
    replies = await asyncio.gather(*(world.app.dispatch(c) for c in commands))
    assert len(replies) == 20
    assert_all_ok(list(replies))
    assert await count(world, "communities") == 4
    assert await count(world, "members") == 20


async def test_a_new_member_sending_two_commands_at_once_gets_two_answers(world: World) -> None:
    assert (await world.say("mo", "/infochat status")).ok  # the community exists already
    community = world.actor("mo").community
    await warm_up(world)
    for user in ("sam", "alex", "priya"):
        replies = await asyncio.gather(*(world.app.dispatch(status(community, user)) for _ in "ab"))
        assert_all_ok(list(replies))
        assert await count(world, "members", user_id=user) == 1


async def test_a_member_joining_twice_at_once_gets_no_apology(world: World) -> None:
    assert (await world.say("priya", "/infochat status")).ok
    join = f"/infochat volunteer join {VOLUNTEERS['priya']}"
    await warm_up(world)
    replies = await asyncio.gather(*(world.say("priya", join) for _ in range(4)))
    assert APOLOGY not in [m.text for r in replies for m in r.messages]
    assert any(r.ok for r in replies)
    assert await count(world, "volunteers") == 1


async def test_two_presses_of_it_didnt_happen_at_once_record_one_report(world: World) -> None:
    await introduce(world)
    await world.travel(timedelta(days=3))
    pressed = button(question(world, "sam"), "It didn't happen")
    await warm_up(world)
    replies = await asyncio.gather(*(world.press("sam", pressed) for _ in range(4)))
    assert APOLOGY not in [m.text for r in replies for m in r.messages]
    assert [r.ok for r in replies].count(True) == 1
    assert await count(world, "no_shows") == 1
