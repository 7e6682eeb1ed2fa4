"""After the chat (R12): did it happen, completion, thanks, no-shows, the invitation to volunteer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from bot.services.followups import KIND
from bot.storage import jobs
from bot.storage.requests import get_request
from bot.storage.schema import introductions, requests
from bot.views import Message
from tests import reference_pool
from tests.support import (
    GOOD_REQUEST,
    World,
    button,
    count,
    join_all,
    make_world,
    replay_of,
    text_of,
)

DAY = timedelta(days=1)
QUESTION = "Did your chat with"


async def introduce(world: World) -> None:
    """Sam asks about data engineering; Priya says yes (introduction #1)."""
    await join_all(world)
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    assert (await world.press("sam", button(suggestions, "Ask Priya"))).ok
    assert (await world.press("priya", button(world.last_with_buttons("priya"), "Accept"))).ok


def questions(world: World, user: str) -> list[Message]:
    return [m for m in world.inbox(user) if (m.title or "").startswith(QUESTION)]


def question(world: World, user: str) -> Message:
    return questions(world, user)[-1]


async def introduction(world: World) -> sa.Row[tuple[object, ...]]:
    async with world.db.transaction() as conn:
        return (await conn.execute(sa.select(introductions))).one()


async def request_status(world: World) -> str:
    async with world.db.transaction() as conn:
        return str((await conn.execute(sa.select(requests.c.status))).scalar_one())


async def test_both_are_asked_privately_after_the_followup_days(world: World) -> None:
    await introduce(world)
    await world.travel(2 * DAY)
    assert questions(world, "sam") == [] and questions(world, "priya") == []
    await world.travel(DAY)
    sam, priya = question(world, "sam"), question(world, "priya")
    assert sam.title == "Did your chat with Priya happen?"
    assert priya.title == "Did your chat with Sam happen?"
    assert "15-minute chat with Priya about data engineering" in sam.text
    assert [b.label for b in sam.buttons] == ["Yes", "Not yet", "It didn't happen"]
    asked_privately = [d for d, m, _ in world.transport.sent if m in (sam, priya)]
    assert all(d.kind == "member" and len(d.user_ids) == 1 for d in asked_privately)
    await world.travel(10 * DAY)
    assert len(questions(world, "sam")) == 1 and len(questions(world, "priya")) == 1


async def test_seeker_yes_completes_and_prompts_thanks(world: World) -> None:
    await introduce(world)
    await world.travel(3 * DAY)
    reply = await world.press("sam", button(question(world, "sam"), "Yes"))
    assert reply.ok and reply.update is not None and not reply.update.buttons
    intro = await introduction(world)
    assert intro.status == "completed" and intro.completed_at == world.clock.now()
    assert intro.seeker_confirmed and not intro.volunteer_confirmed
    assert await request_status(world) == "completed"

    prompt = reply.messages[1]
    send = button(prompt, "Send thanks")
    assert send.form is not None
    (field,) = send.form.fields
    draft = field.default or ""
    assert draft.startswith("Hi Priya, thank you for the 15 minutes on data engineering.")
    assert "“What does a typical week look like in your role?”" in draft
    assert draft in text_of(prompt)

    mine = draft.replace("…", "start with the pipelines I already run. @everyone")
    sent = await world.press("sam", send, text=mine)
    assert sent.ok and "Sent to Priya" in sent.messages[0].text
    note = world.inbox("priya")[-1]
    assert note.title == "A thank-you from Sam"
    assert "start with the pipelines I already run" in note.text
    assert "@everyone" not in note.text  # defused by the views
    assert "15 minutes on data engineering" in text_of(note)
    assert await count(world, "thanks", from_id=intro.seeker_id, to_id=intro.volunteer_id) == 1

    again = await world.press("sam", send, text="Thanks again!")
    assert not again.ok and "already thanked" in again.messages[0].text
    assert await count(world, "thanks") == 1

    # The volunteer's own Yes is recorded; the chat was completed once, by the first Yes.
    completed_at = intro.completed_at
    await world.travel(DAY)
    assert (await world.press("priya", button(question(world, "priya"), "Yes"))).ok
    intro = await introduction(world)
    assert intro.volunteer_confirmed and intro.completed_at == completed_at
    repeat = await world.press("priya", button(question(world, "priya"), "Yes"))
    assert not repeat.ok and "already confirmed" in repeat.messages[0].text


async def test_volunteer_yes_completes_too_and_seeker_can_still_thank(world: World) -> None:
    await introduce(world)
    await world.travel(3 * DAY)
    reply = await world.press("priya", button(question(world, "priya"), "Yes"))
    assert reply.ok and "Thank you for giving Sam your time" in reply.messages[0].text
    assert len(reply.messages) == 1  # no thanks prompt for the volunteer
    assert (await introduction(world)).status == "completed"
    assert await request_status(world) == "completed"
    later = await world.press("sam", button(question(world, "sam"), "Yes"))
    assert later.ok and button(later.messages[1], "Send thanks")
    assert (await introduction(world)).seeker_confirmed


async def test_thanks_checks_who_sends_what(world: World) -> None:
    await introduce(world)
    early = await world.act("sam", "thanks.send", "1", text="Thank you!")
    assert not early.ok and "Confirm the chat happened first" in early.messages[0].text
    await world.travel(3 * DAY)
    reply = await world.press("sam", button(question(world, "sam"), "Yes"))
    send = button(reply.messages[1], "Send thanks")
    for user in ("priya", "bob"):
        refused = await world.press(user, send, text="Thank you!")
        assert not refused.ok and "no chat #1" in refused.messages[0].text
    empty = await world.press("sam", send, text=" \u200b ")
    assert not empty.ok and "text" in empty.field_errors
    long = await world.press("sam", send, text="Thanks! " * 200)
    assert not long.ok and "1000" in long.messages[0].text
    assert await count(world, "thanks") == 0
    assert (await world.press("sam", send, text="Thank you, Priya!")).ok


async def test_not_yet_asks_again_later_three_times_at_most(world: World) -> None:
    await introduce(world)
    await world.travel(3 * DAY)
    first = question(world, "sam")
    reply = await world.press("sam", button(first, "Not yet"))
    assert reply.ok and "ask again" in reply.messages[0].text
    # A repeated click, or the other member's "Not yet", schedules nothing more.
    assert (await world.press("sam", button(first, "Not yet"))).ok
    assert (await world.press("priya", button(question(world, "priya"), "Not yet"))).ok
    assert await count(world, "jobs", kind=KIND) == 2  # after the introduction, again-1
    for round_ in (1, 2, 3):
        await world.travel(3 * DAY)
        assert len(questions(world, "sam")) == round_ + 1
        assert len(questions(world, "priya")) == round_ + 1
        asked = question(world, "sam")
        assert asked.text.startswith("Checking in again")
        reply = await world.press("sam", button(asked, "Not yet"))
        assert reply.ok
    assert "won't ask again" in reply.messages[0].text and reply.update is None
    await world.travel(30 * DAY)
    assert len(questions(world, "sam")) == 4
    # The last question's buttons still work when the chat finally happens.
    assert (await world.press("sam", button(question(world, "sam"), "Yes"))).ok
    assert (await introduction(world)).status == "completed"


async def test_an_answered_member_is_not_asked_again(world: World) -> None:
    await introduce(world)
    await world.travel(3 * DAY)
    await world.press("priya", button(question(world, "priya"), "It didn't happen"))
    await world.press("sam", button(question(world, "sam"), "Not yet"))
    await world.travel(3 * DAY)
    assert len(questions(world, "sam")) == 2
    assert len(questions(world, "priya")) == 1


async def test_no_question_while_a_completed_chat_or_a_picked_slot_is_ahead(world: World) -> None:
    await introduce(world)
    async with world.db.transaction() as conn:  # as if a slot had been picked for day 5
        await conn.execute(sa.update(introductions).values(slot_start=world.clock.now() + 5 * DAY))
        await jobs.schedule(
            conn, 1, KIND, 1, world.clock.now() + 5 * DAY + timedelta(hours=1),
            world.clock.now(), period="slot",
        )  # fmt: skip
    await world.travel(3 * DAY)  # the follow-up after the introduction: the slot is ahead
    assert questions(world, "sam") == []
    await world.travel(2 * DAY + timedelta(hours=1))
    assert len(questions(world, "sam")) == 1 and len(questions(world, "priya")) == 1
    await world.press("sam", button(question(world, "sam"), "Yes"))
    async with world.db.transaction() as conn:
        await jobs.schedule(conn, 1, KIND, 1, world.clock.now(), world.clock.now(), "again-1")
    await world.travel(DAY)
    assert len(questions(world, "priya")) == 1  # completed: nobody is asked any more


async def test_didnt_happen_is_private_and_lowers_priority_for_a_while(world: World) -> None:
    await introduce(world)
    await world.travel(3 * DAY)
    sent_before = len(world.transport.sent)
    reply = await world.press("sam", button(question(world, "sam"), "It didn't happen"))
    assert reply.ok and "private" in reply.messages[0].text
    assert "/infochat request" in reply.messages[0].text
    assert len(world.transport.sent) == sent_before  # nobody else is told anything
    intro = await introduction(world)
    assert intro.status == "not_happened" and intro.completed_at is None
    assert await count(world, "no_shows", member_id=intro.volunteer_id) == 1
    assert await request_status(world) == "introduced"
    again = await world.press("sam", button(question(world, "sam"), "It didn't happen"))
    assert not again.ok and "already told us" in again.messages[0].text
    not_yet = await world.press("sam", button(question(world, "sam"), "Not yet"))
    assert not not_yet.ok
    assert await count(world, "no_shows") == 1

    async def missed() -> dict[str, int]:
        async with world.db.transaction() as conn:
            stored = await get_request(conn, 1)
            assert stored is not None
            pool = await reference_pool.pool(conn, 1, 0, 0, world.clock.now())
        return {s.profile.display_name: s.no_shows_recently for s in pool}

    assert (await missed())["Priya"] == 1
    world.clock.advance(timedelta(days=59))
    assert (await missed())["Priya"] == 1
    world.clock.advance(timedelta(days=2))  # 61 days after the report: forgotten
    assert (await missed())["Priya"] == 0


async def test_yes_after_didnt_happen_counts_the_chat(world: World) -> None:
    await introduce(world)
    await world.travel(3 * DAY)
    await world.press("sam", button(question(world, "sam"), "It didn't happen"))
    assert (await world.press("sam", button(question(world, "sam"), "Yes"))).ok
    intro = await introduction(world)
    assert intro.status == "completed" and intro.seeker_confirmed
    assert await count(world, "no_shows") == 0  # the report was withdrawn


async def test_a_no_show_after_completion_keeps_the_chat_completed(world: World) -> None:
    await introduce(world)
    await world.travel(3 * DAY)
    await world.press("priya", button(question(world, "priya"), "Yes"))
    assert (await world.press("sam", button(question(world, "sam"), "It didn't happen"))).ok
    assert (await introduction(world)).status == "completed"
    assert await count(world, "no_shows") == 1


async def test_strangers_and_made_up_buttons_are_refused(world: World) -> None:
    await introduce(world)
    await world.travel(3 * DAY)
    yes = button(question(world, "sam"), "Yes")
    for user in ("bob", "ana"):
        for label in ("Yes", "Not yet", "It didn't happen"):
            refused = await world.press(user, button(question(world, "sam"), label))
            assert not refused.ok and "no chat #1" in refused.messages[0].text
    for target in ("", "x", "999", "1x:0", "99999999999999"):
        assert not (await world.act("sam", "followup.yes", target)).ok
    assert await count(world, "no_shows") == 0
    assert (await introduction(world)).status == "introduced"
    assert (await world.press("sam", yes)).ok
    again = await world.press("sam", yes)
    assert not again.ok and "already confirmed" in again.messages[0].text
    assert await count(world, "introductions", status="completed") == 1


async def test_the_same_click_delivered_twice_changes_nothing_twice(world: World) -> None:
    await introduce(world)
    await world.travel(3 * DAY)
    yes = button(question(world, "sam"), "Yes")
    first = await world.act("sam", yes.action, yes.target, key="click-1")
    second = await world.act("sam", yes.action, yes.target, key="click-1")
    assert replay_of(second, first) and first.ok
    assert (await introduction(world)).completed_at is not None


async def test_invite_to_volunteer_after_the_first_completed_chat(world: World) -> None:
    await introduce(world)
    await world.travel(3 * DAY)
    await world.press("sam", button(question(world, "sam"), "Yes"))
    await world.travel(DAY)
    invites = [m for m in world.inbox("sam") if m.title == "Your story could help the next person"]
    assert len(invites) == 1
    text = text_of(invites[0])
    assert "You had a chat about data engineering with Priya" in text
    assert "15 minutes of your story" in text
    assert "I am a backend developer moving toward data pipelines" in text
    assert "/infochat volunteer join" in text
    # A second completed chat doesn't invite again.
    suggestions = (
        await world.say("sam", GOOD_REQUEST.replace("data engineering", "python"))
    ).messages[0]
    await world.press("sam", button(suggestions, "Ask Priya"))
    await world.press("priya", button(world.last_with_buttons("priya"), "Accept"))
    await world.act("sam", "followup.yes", "2:0")
    await world.travel(5 * DAY)
    assert await count(world, "introductions", status="completed") == 2
    assert len([m for m in world.inbox("sam") if m.title == invites[0].title]) == 1


async def test_no_invite_for_volunteers_or_when_switched_off(tmp_path: Path) -> None:
    world = await make_world(tmp_path / "off.db", invite_after_chats=0)
    try:
        await introduce(world)
        await world.act("sam", "followup.yes", "1:0")
        await world.travel(5 * DAY)
        assert not any("Your story" in (m.title or "") for m in world.inbox("sam"))
    finally:
        await world.db.dispose()


async def test_active_volunteers_are_not_invited(world: World) -> None:
    await introduce(world)
    joined = await world.say(
        "sam", "/infochat volunteer join role=Developer org=Initrode topics=backend timezone=UTC"
    )
    assert joined.ok
    await world.act("sam", "followup.yes", "1:0")
    await world.travel(5 * DAY)
    assert not any("Your story" in (m.title or "") for m in world.inbox("sam"))
