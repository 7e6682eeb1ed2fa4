"""The pay-it-forward ledger through the bot (R11): `/infochat me`, `mod ledger`, public
recognition, and capacity per calendar month in the volunteer's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.storage.schema import members
from tests.support import GOOD_REQUEST, World, button, count, join_all, text_of

SAM_VOLUNTEERS = (
    "/infochat volunteer join role=Developer org=Initrode topics='data engineering' timezone=UTC"
)


async def chat(world: World, seeker: str, volunteer: str) -> None:
    """`seeker` asks `volunteer` about data engineering; they meet; the seeker confirms."""
    suggestions = (await world.say(seeker, GOOD_REQUEST)).messages[0]
    assert (await world.press(seeker, button(suggestions, f"Ask {volunteer.capitalize()}"))).ok
    assert (await world.press(volunteer, button(world.last_with_buttons(volunteer), "Accept"))).ok
    await world.travel(timedelta(days=3))
    asked = [m for m in world.inbox(seeker) if (m.title or "").startswith("Did your chat")][-1]
    assert (await world.press(seeker, button(asked, "Yes"))).ok


async def me(world: World, user: str) -> str:
    reply = await world.say(user, "/infochat me")
    assert reply.ok
    return text_of(reply.messages[0])


async def test_given_received_and_a_chain_priya_sam_ana(world: World) -> None:
    await join_all(world, ("priya",))
    await chat(world, "sam", "priya")  # Priya helps Sam
    assert (await world.say("sam", SAM_VOLUNTEERS)).ok
    await world.travel(timedelta(days=2))
    await chat(world, "ana", "sam")  # then Sam helps Ana: the help is paid forward

    sam = await me(world, "sam")
    assert "Chats given 1" in sam and "Chats received 1" in sam
    assert "Help chains you're part of Priya → Sam → Ana" in sam
    priya = await me(world, "priya")
    assert "Chats given 1" in priya and "Chats received 0" in priya
    assert "Priya → Sam → Ana" in priya
    ana = await me(world, "ana")
    assert "Chats given 0" in ana and "Chats received 1" in ana and "Priya → Sam → Ana" in ana
    bob = await me(world, "bob")
    assert "Chats given 0" in bob and "none yet" in bob


async def test_only_confirmed_chats_count(world: World) -> None:
    await join_all(world, ("priya",))
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    await world.press("sam", button(suggestions, "Ask Priya"))
    await world.press("priya", button(world.last_with_buttons("priya"), "Accept"))
    assert "Chats given 0" in await me(world, "priya")
    await world.act("priya", "followup.yes", "1:0")
    assert "Chats given 1" in await me(world, "priya")
    assert "Chats received 1" in await me(world, "sam")


async def test_moderators_see_community_totals(world: World) -> None:
    await join_all(world, ("priya",))
    await chat(world, "sam", "priya")
    assert (await world.say("sam", SAM_VOLUNTEERS)).ok
    await world.travel(timedelta(days=1))
    await chat(world, "ana", "sam")
    await world.say("ana", "/infochat me recognition=on")

    refused = await world.say("sam", "/infochat mod ledger")
    assert not refused.ok and "Only moderators" in refused.messages[0].text
    world.moderators.add("mo")
    reply = await world.say("mo", "/infochat mod ledger")
    assert reply.ok
    text = text_of(reply.messages[0])
    for expected in (
        "Chats completed 2 (2 this month)",
        "Waiting for confirmation 0",
        "Members who gave chats 2",
        "Members who received chats 2",
        "Paid it forward 1 member",
        "Help chains 1",
        "Longest chain 2 chats (3 people in a row)",
        "Open to public recognition 1 member",
    ):
        assert expected in text
    assert "Sam" not in text and "Ana" not in text  # totals only: nobody is named
    assert await count(world, "audit_log") == 0  # looking changes nothing


async def test_recognition_is_off_until_the_member_opts_in(world: World) -> None:
    async def allowed() -> bool:
        async with world.db.transaction() as conn:
            query = sa.select(members.c.public_recognition).where(members.c.user_id == "sam")
            return bool((await conn.execute(query)).scalar_one())

    assert "Public recognition off" in await me(world, "sam")
    assert not await allowed()
    on = await world.say("sam", "/infochat me recognition=on")
    assert on.ok and on.messages[0].text.startswith("Done: weekly digests may now thank you")
    assert "Public recognition on" in text_of(on.messages[0])
    assert await allowed()
    bad = await world.say("sam", "/infochat me recognition=maybe")
    assert not bad.ok and "recognition" in bad.field_errors
    assert await allowed()
    off = await world.say("sam", "/infochat me recognition=off")
    assert off.ok and "won't be named" in off.messages[0].text
    assert not await allowed()


async def test_help_lists_the_ledger_commands(world: World) -> None:
    text = text_of((await world.say("sam", "/infochat help")).messages[0])
    assert "/infochat me [recognition=on|off]" in text
    assert "/infochat mod ledger" in text


@pytest.mark.parametrize(
    ("zone", "introduced", "still_full", "free_again"),
    [
        # Berlin is an hour ahead: its February starts while UTC is still in January.
        (
            "Europe/Berlin",
            datetime(2026, 1, 31, 22, 0, tzinfo=UTC),  # 23:00 on 31 January in Berlin
            datetime(2026, 1, 31, 22, 50, tzinfo=UTC),  # 23:50 in Berlin: still January
            datetime(2026, 1, 31, 23, 10, tzinfo=UTC),  # 00:10 on 1 February in Berlin
        ),
        # New York is behind: UTC is already in February while New York is still in January.
        (
            "America/New_York",
            datetime(2026, 2, 1, 1, 0, tzinfo=UTC),  # 20:00 on 31 January in New York
            datetime(2026, 2, 1, 4, 50, tzinfo=UTC),  # 23:50 in New York: still January
            datetime(2026, 2, 1, 5, 10, tzinfo=UTC),  # 00:10 on 1 February in New York
        ),
    ],
)
async def test_capacity_resets_at_the_volunteers_own_month_boundary(
    world: World, zone: str, introduced: datetime, still_full: datetime, free_again: datetime
) -> None:
    await join_all(world, ("priya",))
    assert (await world.say("priya", f"/infochat volunteer edit capacity=1 timezone={zone}")).ok
    world.clock.set(introduced)
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    await world.press("sam", button(suggestions, "Ask Priya"))
    await world.press("priya", button(world.last_with_buttons("priya"), "Accept"))
    await world.act("sam", "followup.yes", "1:0")  # completed chats count as much as planned ones
    assert await count(world, "introductions", status="completed") == 1

    world.clock.set(still_full)
    full = await world.say("ana", GOOD_REQUEST)
    assert "Priya" not in text_of(full.messages[0])
    world.clock.set(free_again)
    reply = await world.say("ana", GOOD_REQUEST)
    assert "Priya" in text_of(reply.messages[0])
