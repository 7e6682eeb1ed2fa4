"""A member's own data: export it, delete it; nothing lost for anybody else, nothing twice."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from tests.bot.services.test_asks import ask_priya
from tests.support import World, button, count, replay_of, text_of


def exported(world: World, user: str) -> dict[str, object]:
    message = world.inbox(user)[-1]
    (attachment,) = message.attachments
    assert attachment.content_type == "application/json"
    data: dict[str, object] = json.loads(base64.b64decode(attachment.data))
    return data


async def test_export_sends_everything_stored_about_the_member(world: World) -> None:
    await ask_priya(world)
    reply = await world.say("sam", "/infochat me export")
    assert reply.ok and "direct messages" in reply.messages[0].text
    data = exported(world, "sam")
    requests = data["requests"]
    assert isinstance(requests, list) and "data pipelines" in requests[0]["why"]
    assert data["volunteer_profile"] is None
    # Who was asked on sam's request is not in sam's export (a seeker never learns it).
    assert "Priya" not in json.dumps(data) and data["asks_you_received"] == []

    await world.say("priya", "/infochat me export")
    mine = exported(world, "priya")
    profile = mine["volunteer_profile"]
    assert isinstance(profile, dict) and profile["role"] == "Data engineer"
    received = mine["asks_you_received"]
    assert isinstance(received, list) and len(received) == 1
    assert "data pipelines" not in json.dumps(mine)  # sam's words are sam's


async def test_each_export_file_is_named_for_its_member_and_moment(world: World) -> None:
    def filename(user: str) -> str:
        return world.inbox(user)[-1].attachments[0].filename

    names = []
    for user in ("sam", "alex", "sam"):
        await world.say(user, "/infochat me export")
        names.append(filename(user))
        world.clock.advance(timedelta(minutes=1))
    assert len(set(names)) == 3, names
    assert all(n.startswith("infochat-my-data-") and n.endswith(".json") for n in names)


async def test_delete_asks_first_then_erases_and_passes_everything_on(world: World) -> None:
    await ask_priya(world)
    prompt = await world.say("priya", "/infochat me delete")
    assert prompt.ok and "can't be undone" in prompt.messages[0].text
    assert await count(world, "volunteers") == 3  # asking changed nothing

    confirm = button(prompt.messages[0], "Delete my data")
    done = await world.press("priya", confirm, key="click-1")
    assert done.ok and done.update is not None
    assert await count(world, "volunteers") == 2
    assert await count(world, "members", display_name="Priya") == 0
    # Her waiting ask went to the next best fit, and sam heard nothing about who.
    assert world.last_with_buttons("bob").buttons[0].label == "Accept"
    assert all("Priya" not in text_of(m) for m in world.inbox("sam"))
    # No direct message to her is kept.
    async with world.db.transaction() as conn:
        from sqlalchemy import text

        kept = (await conn.execute(text("SELECT destination FROM outbox"))).all()
    assert all('"priya"' not in str(row) for row in kept)

    # The same click again: the same answer, nothing done twice.
    again = await world.press("priya", confirm, key="click-1")
    assert replay_of(again, done)
    # Another click on the old button: nothing left, and no new member row either.
    members_before = await count(world, "members")
    later = await world.press("priya", confirm)
    assert not later.ok and "nothing to delete" in later.messages[0].text
    assert await count(world, "members") == members_before


async def test_a_seeker_deleting_closes_their_requests_kindly(world: World) -> None:
    await ask_priya(world)
    prompt = await world.say("sam", "/infochat me delete")
    await world.press("sam", button(prompt.messages[0], "Delete my data"))
    assert await count(world, "requests", status="closed") == 1
    async with world.db.transaction() as conn:
        from sqlalchemy import text

        why, questions = (await conn.execute(text("SELECT why, questions FROM requests"))).one()
    assert why == "" and questions in ("[]", [])  # JSON as text (SQLite) or decoded (asyncpg)
    # Priya's ask was withdrawn and she was told; sam gets nothing further.
    assert "No need to answer the ask" in world.inbox("priya")[-1].text
    # Coming back later is a fresh start.
    status = await world.say("sam", "/infochat status")
    assert "no requests yet" in status.messages[0].text


async def test_nothing_stored_means_nothing_to_delete(world: World) -> None:
    reply = await world.say("newcomer", "/infochat me delete")
    assert not reply.ok and "nothing to delete" in reply.messages[0].text
    assert await count(world, "members") == 0
