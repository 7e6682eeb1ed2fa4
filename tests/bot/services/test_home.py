"""A member's home page, and suggestions while typing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import sqlalchemy as sa

from bot.storage.schema import members
from tests.bot.services.test_asks import ask_priya
from tests.support import World, text_of


async def test_home_for_a_newcomer_offers_both_roles(world: World) -> None:
    reply = await world.act("zoe", "member.home")
    assert reply.ok
    actions = [b.action for m in reply.messages for b in m.buttons]
    assert actions == ["volunteer.join", "request.create"]
    assert "no requests yet" in text_of(reply.messages[-1])


async def test_home_shows_profile_capacity_waiting_asks_and_requests(world: World) -> None:
    await ask_priya(world)
    home = await world.act("priya", "member.home")
    profile, *asks, requests = home.messages
    assert "Status: active" in profile.text
    assert "0 of" in text_of(profile) and "1 ask(s) waiting" in text_of(profile)
    assert [b.action for b in profile.buttons] == ["volunteer.edit", "volunteer.pause"]
    assert profile.buttons[1].form is not None
    assert len(asks) == 1 and {b.action for b in asks[0].buttons} >= {"ask.accept", "ask.decline"}
    assert requests.buttons[-1].action == "request.create"

    until = (world.clock.now() + timedelta(days=30)).date().isoformat()
    paused = await world.press("priya", profile.buttons[1], until=until)
    assert paused.ok
    again = await world.act("priya", "member.home")
    assert f"paused until {until}" in again.messages[0].text
    assert len(again.messages) == 2  # the waiting ask was passed on
    assert [b.action for b in again.messages[0].buttons] == ["volunteer.edit", "volunteer.resume"]
    seeker_home = await world.act("sam", "member.home")
    assert "#1" in text_of(seeker_home.messages[-1])


async def test_suggestions_for_topics_and_time_zones(world: World) -> None:
    await ask_priya(world)
    actor = world.actor("sam")
    zones = await world.app.suggest(actor, "timezone", "berl")
    assert zones[0] == "Europe/Berlin"
    assert len(await world.app.suggest(actor, "timezone", "")) == 25
    topics = await world.app.suggest(actor, "topic", "data")
    assert "data engineering" in topics[:2]
    assert await world.app.suggest(actor, "why", "x") == ()
    assert await world.app.suggest(actor, "topic", "\x00" * 500) == ()


async def test_suggestions_read_beside_a_writer_without_waiting_for_it(world: World) -> None:
    await ask_priya(world)
    actor = world.actor("sam")
    async with world.db.transaction() as conn:  # a command is writing right now
        await conn.execute(sa.update(members).values(public_recognition=True))
        topics = await asyncio.wait_for(world.app.suggest(actor, "topic", "data"), timeout=5)
    assert "data engineering" in topics
