"""Deleting one's data erases how one said one could be reached: the profile's contact and
what was given in each introduction across places, on every linked account; the other
person's contact stays theirs, and the introduction stays one across places."""

from __future__ import annotations

import re

import sqlalchemy as sa

from bot.storage.privacy import erase_member
from bot.storage.schema import introductions, members, volunteers
from tests.bot.services.test_cross_place_intros import (
    CONTACT,
    accepted,
    introduction_for,
    two_places,
)
from tests.support import COMMUNITY, World, button, count, text_of

DANA = "dana#4242 on Discord"
CODE = re.compile(r"`([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4})`")


async def introduced_and_shared(world: World) -> None:
    """Dana (on the other place) was introduced to Priya, and both gave their contact."""
    await two_places(world)
    await accepted(world)
    share = button(world.last_with_buttons("dana"), "Share how to reach me")
    assert (await world.press("dana", share, contact=DANA)).ok
    assert await stored_contacts(world) == [(CONTACT, DANA)]


async def stored_contacts(world: World) -> list[tuple[str | None, str | None]]:
    async with world.db.transaction() as conn:
        rows = await conn.execute(
            sa.select(introductions.c.volunteer_contact, introductions.c.seeker_contact)
        )
        return [(r.volunteer_contact, r.seeker_contact) for r in rows]


async def delete_data(world: World, user: str) -> None:
    prompt = await world.say(user, "/infochat me delete")
    assert prompt.ok and prompt.messages[0].buttons, prompt.messages
    assert "contact details you gave" in prompt.messages[0].text
    done = await world.press(user, button(prompt.messages[0], "Delete my data"))
    assert done.ok, done.messages


async def test_a_volunteer_deleting_erases_the_contact_she_gave(world: World) -> None:
    await introduced_and_shared(world)
    await delete_data(world, "priya")
    assert await stored_contacts(world) == [("", DANA)]  # blank, still across places
    async with world.db.transaction() as conn:
        profiles = [r.contact for r in await conn.execute(sa.select(volunteers.c.contact))]
    assert profiles == []  # her profile went with her (the only volunteer here)
    # Dana's views of the chat now say nothing of how to reach her.
    picked = await world.press("dana", button(introduction_for(world, "dana"), "Slot 1"))
    assert picked.ok and picked.update is not None, picked.messages
    assert CONTACT not in text_of(picked.update)
    assert "hasn't shared how to reach them" in text_of(picked.update)
    assert not world.groups()  # still each on their own place


async def test_a_seeker_deleting_erases_hers_on_every_linked_account(world: World) -> None:
    await introduced_and_shared(world)
    # Dana links an account on Priya's place; she deletes from there.
    code = CODE.search((await world.say("dana", "/infochat link")).messages[0].text)
    assert code is not None
    world.homes["danac"] = COMMUNITY
    assert (await world.say("danac", f"/infochat link code={code.group(1)}")).ok
    await delete_data(world, "danac")
    assert await count(world, "members", user_id="dana") == 0
    assert await stored_contacts(world) == [(CONTACT, "")]  # Priya's stays hers


async def test_erasing_blanks_the_profile_contact_of_the_person_and_accounts(
    world: World,
) -> None:
    """The storage step on its own, with the profile still there (the delete command has
    removed it before)."""
    await introduced_and_shared(world)
    async with world.db.transaction() as conn:
        priya = (
            await conn.execute(sa.select(members.c.id).where(members.c.user_id == "priya"))
        ).scalar_one()
        await erase_member(conn, priya, "priya")
        contact = await conn.execute(
            sa.select(volunteers.c.contact).where(volunteers.c.member_id == priya)
        )
        assert contact.scalar_one() == ""
    assert await stored_contacts(world) == [("", DANA)]
