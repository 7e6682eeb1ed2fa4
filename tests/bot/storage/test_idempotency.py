"""An idempotency key belongs to the community and member that sent it: anyone else reusing
it gets their own outcome, while the same member repeating it gets the first reply."""

from __future__ import annotations

import asyncio

from bot.commands import Actor, Command, CommunityRef
from tests.support import VOLUNTEERS, World, count

KEY = "shared-key"
ONE = CommunityRef("slack", "T1", "one")
TWO = CommunityRef("slack", "T2", "two")
JOIN = f"/infochat volunteer join {VOLUNTEERS['priya']}"
THANKS = "Thank you for volunteering!"


def actor(community: CommunityRef, user: str) -> Actor:
    return Actor(community, user, user.capitalize())


async def test_a_reused_key_from_another_community_or_member_gets_its_own_outcome(
    world: World,
) -> None:
    status = await world.app.dispatch_text(actor(ONE, "U1"), "/infochat status", KEY)
    assert status.ok and "no requests" in status.messages[0].text
    for who in (actor(TWO, "U1"), actor(ONE, "U2"), actor(TWO, "U2")):
        joined = await world.app.dispatch_text(who, JOIN, KEY)
        assert joined.ok and joined.messages[0].title == THANKS, who
    assert await count(world, "volunteers") == 3
    assert await count(world, "processed_commands") == 4

    # The same member repeating the key gets the first reply and changes nothing.
    again = await world.app.dispatch_text(actor(ONE, "U1"), JOIN, KEY)
    assert again == status
    refused = await world.app.dispatch_text(actor(TWO, "U1"), JOIN, "another-key")
    assert not refused.ok  # already a volunteer there: the refusal is this member's own
    assert await world.app.dispatch_text(actor(TWO, "U1"), "/infochat status", KEY) == joined
    assert await count(world, "volunteers") == 3


async def test_concurrent_deliveries_of_one_key_by_several_members_each_run_once(
    world: World,
) -> None:
    members = [actor(c, u) for c in (ONE, TWO) for u in ("U1", "U2", "U3")]
    deliveries = [m for m in members for _ in range(3)]
    replies = await asyncio.gather(*(world.app.dispatch_text(m, JOIN, KEY) for m in deliveries))
    for i, member in enumerate(members):
        mine = replies[3 * i : 3 * i + 3]
        assert mine[0].ok and mine[0].messages[0].title == THANKS, member
        assert all(r == mine[0] for r in mine), member
    assert await count(world, "volunteers") == len(members)
    assert await count(world, "processed_commands") == len(members)


async def test_deleting_ones_data_in_one_community_keeps_ones_replies_in_another(
    world: World,
) -> None:
    first = await world.app.dispatch_text(actor(ONE, "U1"), "/infochat status", KEY)
    assert (await world.app.dispatch_text(actor(TWO, "U1"), JOIN, "join")).ok
    delete = Command(actor(TWO, "U1"), "member.delete", "delete", "confirm")
    assert (await world.app.dispatch(delete)).ok
    assert await world.app.dispatch_text(actor(ONE, "U1"), JOIN, KEY) == first
    assert await count(world, "volunteers") == 0
