"""An idempotency key belongs to the community and member that sent it: anyone else reusing
it gets their own outcome, while the same member repeating it gets the first reply."""

from __future__ import annotations

import asyncio

from bot.commands import Actor, Command, CommunityRef
from bot.outbox import enqueue
from bot.views import Destination, Message, Reply
from tests.support import VOLUNTEERS, World, count, replay_of

KEY = "shared-key"
ONE = CommunityRef("slack", "T1", "one")
TWO = CommunityRef("slack", "T2", "two")
JOIN = f"/infochat volunteer join {VOLUNTEERS['priya']}"
THANKS = "Thank you for volunteering!"


def actor(community: CommunityRef, user: str) -> Actor:
    return Actor(community, user, user.capitalize())


def outcome(reply: Reply) -> Reply:
    """The reply whether it came first or as a replay of the first."""
    return reply.model_copy(update={"replay": False})


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
    assert replay_of(again, status)
    refused = await world.app.dispatch_text(actor(TWO, "U1"), JOIN, "another-key")
    assert not refused.ok  # already a volunteer there: the refusal is this member's own
    assert replay_of(
        await world.app.dispatch_text(actor(TWO, "U1"), "/infochat status", KEY), joined
    )
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
        assert all(outcome(r) == outcome(mine[0]) for r in mine), member
    assert await count(world, "volunteers") == len(members)
    assert await count(world, "processed_commands") == len(members)


async def test_deleting_ones_data_in_one_community_keeps_ones_replies_in_another(
    world: World,
) -> None:
    first = await world.app.dispatch_text(actor(ONE, "U1"), "/infochat status", KEY)
    assert (await world.app.dispatch_text(actor(TWO, "U1"), JOIN, "join")).ok
    delete = Command(actor(TWO, "U1"), "member.delete", "delete", "confirm")
    assert (await world.app.dispatch(delete)).ok
    assert replay_of(await world.app.dispatch_text(actor(ONE, "U1"), JOIN, KEY), first)
    assert await count(world, "volunteers") == 0


async def test_deleting_ones_data_in_one_community_keeps_ones_messages_in_another(
    world: World,
) -> None:
    """The same platform user id in another community is that community's member: their
    pending direct messages there are theirs to receive."""
    for community in (ONE, TWO):
        assert (await world.app.dispatch_text(actor(community, "U1"), JOIN, "join")).ok
    to_u1 = Destination(kind="member", user_ids=("U1",))
    async with world.db.transaction() as conn:
        for community_id in (1, 2):
            await enqueue(conn, community_id, to_u1, Message(text="hello"), world.clock.now())
    delete = Command(actor(TWO, "U1"), "member.delete", "delete", "confirm")
    assert (await world.app.dispatch(delete)).ok
    async with world.db.transaction() as conn:
        rows = (await conn.exec_driver_sql("SELECT community_id FROM outbox")).all()
    assert [r.community_id for r in rows] == [1]  # only community TWO's DM is forgotten
