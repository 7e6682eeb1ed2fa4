"""An ask or request that moves on drops the jobs that would only have found it gone."""

from __future__ import annotations

from tests.support import GOOD_REQUEST, World, button, count, join_all


async def test_an_answered_ask_drops_its_reminder_and_expiry(world: World) -> None:
    await join_all(world)
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    assert (await world.press("sam", button(suggestions, "Ask Priya"))).ok
    assert await count(world, "jobs", kind="ask.remind", status="pending") == 1
    assert await count(world, "jobs", kind="ask.expire", status="pending") == 1
    assert await count(world, "jobs", kind="request.expire", status="pending") == 1
    await world.press("priya", button(world.last_with_buttons("priya"), "Accept"))
    assert await count(world, "jobs", kind="ask.remind") == 0
    assert await count(world, "jobs", kind="ask.expire") == 0
    assert await count(world, "jobs", kind="request.expire") == 0  # introduced: no expiry
