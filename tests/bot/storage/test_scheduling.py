"""Picking a time drops the follow-up that would have waited for it anyway."""

from __future__ import annotations

from tests.support import GOOD_REQUEST, VOLUNTEERS, World, button, count

PRIYA = VOLUNTEERS["priya"] + ' windows="Tue 18:00-20:00; Thu 18-20"'  # Europe/Berlin
SAM = GOOD_REQUEST + ' timezone=America/New_York windows="Tue-Thu 12:00-14:00"'


async def test_a_picked_time_drops_the_follow_up_after_the_introduction(world: World) -> None:
    assert (await world.say("priya", f"/infochat volunteer join {PRIYA}")).ok
    suggestions = (await world.say("sam", SAM)).messages[0]
    assert (await world.press("sam", button(suggestions, "Ask Priya"))).ok
    assert (await world.press("priya", button(world.last_with_buttons("priya"), "Accept"))).ok
    assert await count(world, "jobs", kind="followup", period="intro") == 1
    intro = world.groups()[0][1]
    assert (await world.press("sam", button(intro, "Slot 2"))).ok
    assert await count(world, "jobs", kind="followup", period="intro") == 0
    assert await count(world, "jobs", kind="followup", period="slot", status="pending") == 1
