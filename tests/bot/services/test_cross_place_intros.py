"""Introductions across places: a seeker on one platform (OTHER_PLACE), a volunteer on
another (COMMUNITY). Nothing about the volunteer reaches the seeker before the Accept; the
Accept asks how they'd like to be reached; each is introduced on their own place; the seeker
gives theirs; slots, the invite, the check-in and thanks reach each on their own place."""

from __future__ import annotations

import base64
from datetime import timedelta

import sqlalchemy as sa
from icalendar import Calendar

from bot.storage.schema import asks, introductions
from bot.views import Message, Reply
from tests.support import (
    COMMUNITY,
    GOOD_REQUEST,
    OTHER_PLACE,
    VOLUNTEERS,
    World,
    button,
    count,
    join_places,
    replay_of,
    text_of,
)

CONTACT = "priya@example.org"
PRIYA = VOLUNTEERS["priya"] + f' windows="Tue 18:00-20:00; Thu 18-20" contact="{CONTACT}"'
DANA = GOOD_REQUEST + ' timezone=America/New_York windows="Tue-Thu 12:00-14:00"'


async def two_places(world: World) -> None:
    """Priya volunteers on COMMUNITY; Dana (the seeker) and Olu act from OTHER_PLACE."""
    assert (await world.say("priya", f"/infochat volunteer join {PRIYA}")).ok
    await join_places(world, COMMUNITY, OTHER_PLACE)
    world.homes["dana"] = OTHER_PLACE
    world.homes["olu"] = OTHER_PLACE


def everything(message: Message) -> str:
    """All a member can read in a message: text, lines, buttons and their forms."""
    parts = [text_of(message), *(b.label for b in message.buttons)]
    parts += [f.model_dump_json() for b in message.buttons if b.form for f in b.form.fields]
    return "\n".join(parts)


def knows_nothing_of_priya(texts: list[str], mentions: tuple[str, ...] = ()) -> None:
    for text in texts:
        assert "priya" not in text.lower() and CONTACT not in text, text
    assert "priya" not in mentions


def seen_by_dana(world: World, replies: list[Reply]) -> tuple[list[str], tuple[str, ...]]:
    messages = world.inbox("dana") + [m for r in replies for m in r.messages]
    messages += [r.update for r in replies if r.update is not None]
    return [everything(m) for m in messages], tuple(u for m in messages for u in m.mentions)


async def asked(world: World) -> tuple[Reply, Message]:
    """Dana asks; the suggestions name nobody from the other place; she picks volunteer 1."""
    suggestions = await world.say("dana", DANA)
    assert suggestions.ok, suggestions.messages
    picked = await world.press("dana", button(suggestions.messages[0], "Ask volunteer 1"))
    assert picked.ok, picked.messages
    ask = world.last_with_buttons("priya")
    return suggestions, ask


async def accepted(world: World) -> Message:
    """Through Accept (with Priya's contact as her profile has it); the ask message."""
    _, ask = await asked(world)
    form = (await world.press("priya", button(ask, "Accept"))).form
    assert form is not None
    reply = await world.act("priya", form.action, form.target, contact=form.fields[0].default)
    assert reply.ok, reply.messages
    return ask


def introduction_for(world: World, user: str) -> Message:
    return next(m for m in world.inbox(user) if (m.title or "").startswith("Introduction"))


async def test_the_ask_reaches_the_volunteer_on_her_place_and_nothing_of_hers_the_seeker(
    world: World,
) -> None:
    await two_places(world)
    suggestions, ask = await asked(world)
    assert "Volunteer 1 (on another platform)" in text_of(suggestions.messages[0])
    assert "Data engineer at Acme" in text_of(suggestions.messages[0])  # what she does, not who
    assert world.inbox("priya", COMMUNITY)[-1] == ask and not world.inbox("priya", OTHER_PLACE)
    assert "Dana" in ask.text  # the seeker asked: the volunteer may know who
    replies = [suggestions]
    replies.append(await world.say("dana", "/infochat status"))
    assert "waiting for the volunteer" in text_of(replies[-1].messages[0])
    await world.travel(timedelta(days=world.app.defaults.reminder_after_days, minutes=1))
    assert world.inbox("priya")[-1].title.startswith("A gentle reminder")  # type: ignore[union-attr]
    # She declines: the seeker hears "still looking", never who.
    assert (await world.press("priya", button(ask, "Decline"))).ok
    replies.append(await world.say("dana", "/infochat status"))
    texts, mentions = seen_by_dana(world, replies)
    knows_nothing_of_priya(texts, mentions)
    assert all(place == OTHER_PLACE for _, place in dana_places(world))


def dana_places(world: World) -> list[tuple[Message, object]]:
    return [
        (m, world.transport.places[row])
        for d, m, row in world.transport.sent
        if "dana" in d.user_ids
    ]


async def test_accept_across_places_asks_how_to_be_reached_first(world: World) -> None:
    await two_places(world)
    suggestions, ask = await asked(world)
    first = await world.press("priya", button(ask, "Accept"))
    assert first.ok and first.form is not None and not first.messages
    (field,) = first.form.fields
    assert field.name == "contact" and field.default == CONTACT and field.required
    assert first.form.action == "ask.accept_contact" and first.form.target == ask.buttons[0].target
    # Clicking Accept again only shows the form again: nothing is decided yet.
    assert (await world.press("priya", button(ask, "Accept"))).form == first.form
    assert await count(world, "introductions") == 0
    assert await count(world, "asks", status="asked") == 1
    for bad in ("", "   ", "@everyone", "ping @here please", "<!channel>", "<@&123>", "a\nb"):
        refused = await world.act("priya", "ask.accept_contact", first.form.target, contact=bad)
        assert not refused.ok and "contact" in refused.field_errors, bad
    missing = await world.act("priya", "ask.accept_contact", first.form.target)
    assert not missing.ok and "contact" in missing.field_errors
    long = await world.act("priya", "ask.accept_contact", first.form.target, contact="x" * 301)
    assert not long.ok and "300" in long.messages[0].text
    assert await count(world, "introductions") == 0
    assert await count(world, "asks", status="asked") == 1
    texts, mentions = seen_by_dana(world, [suggestions])
    knows_nothing_of_priya(texts, mentions)


async def test_each_is_introduced_on_their_own_place_the_seeker_with_the_contact(
    world: World,
) -> None:
    await two_places(world)
    _, ask = await asked(world)
    form = (await world.press("priya", button(ask, "Accept"))).form
    assert form is not None
    reply = await world.act("priya", form.action, form.target, contact="cal.com/priya")
    assert reply.ok and "cal.com/priya" in reply.messages[0].text
    assert reply.update is not None and "accepted" in reply.update.text
    assert not world.groups()  # no group DM can hold both
    seeker_copy = introduction_for(world, "dana")
    volunteer_copy = introduction_for(world, "priya")
    assert seeker_copy.text == volunteer_copy.text  # the same words
    assert "different platforms" in seeker_copy.text
    assert "How to reach Priya cal.com/priya" in text_of(seeker_copy)
    assert "What Dana got from you cal.com/priya" in text_of(volunteer_copy)
    assert seeker_copy in world.inbox("dana", OTHER_PLACE)
    assert volunteer_copy in world.inbox("priya", COMMUNITY)
    assert "priya" not in seeker_copy.mentions and "dana" not in volunteer_copy.mentions
    assert [b.label for b in seeker_copy.buttons] == [b.label for b in volunteer_copy.buttons]
    share = world.last_with_buttons("dana")
    assert button(share, "Share how to reach me").action == "intro.share_contact"
    assert world.inbox("dana", OTHER_PLACE)[-1] == share
    async with world.db.transaction() as conn:
        row = (
            await conn.execute(
                sa.select(introductions.c.volunteer_contact, introductions.c.seeker_contact)
            )
        ).one()
    assert tuple(row) == ("cal.com/priya", None)
    # Her profile's contact stays as it was: the answer was for this introduction.
    shown = await world.say("priya", "/infochat volunteer show")
    assert CONTACT in text_of(shown.messages[0])


async def test_repeated_accepts_change_nothing(world: World) -> None:
    await two_places(world)
    ask = await accepted(world)
    before = len(world.transport.sent)
    again = await world.press("priya", button(ask, "Accept"))
    assert not again.ok and "already accepted" in again.messages[0].text and again.stale
    submit = await world.act("priya", "ask.accept_contact", ask.buttons[0].target, contact="x")
    assert not submit.ok and "already accepted" in submit.messages[0].text
    assert len(world.transport.sent) == before
    assert await count(world, "introductions") == 1
    key = "same-submit"
    await join_second_ask(world)
    form_target = world.last_with_buttons("priya").buttons[0].target
    first = await world.act("priya", "ask.accept_contact", form_target, key=key, contact="y@z.org")
    replay = await world.act("priya", "ask.accept_contact", form_target, key=key, contact="y@z.org")
    assert first.ok and replay_of(replay, first)
    assert await count(world, "introductions") == 2


async def join_second_ask(world: World) -> None:
    """Olu (OTHER_PLACE) asks Priya too."""
    request = GOOD_REQUEST.replace("data pipelines", "data platforms")
    suggestions = await world.say("olu", request)
    assert (await world.press("olu", button(suggestions.messages[0], "Ask volunteer 1"))).ok


async def test_the_seeker_shares_how_to_reach_her_once(world: World) -> None:
    await two_places(world)
    await accepted(world)
    share = button(world.last_with_buttons("dana"), "Share how to reach me")
    assert share.form is not None and share.form.fields[0].name == "contact"
    for bad in ("", "@everyone", "<!here>", "x" * 301):
        refused = await world.press("dana", share, contact=bad)
        assert not refused.ok and "contact" in refused.field_errors, bad
    assert not (await world.press("dana", share)).ok
    for stranger in ("priya", "olu", "bob"):
        refused = await world.press(stranger, share, contact="me@example.org")
        assert not refused.ok and "no introduction" in refused.messages[0].text
    assert not (await world.act("dana", "intro.share_contact", "99", contact="a@b.c")).ok
    assert not (await world.act("dana", "intro.share_contact", "x", contact="a@b.c")).ok
    before = len(world.inbox("priya"))
    assert len(world.inbox("priya")) == before
    shared = await world.press("dana", share, contact="dana#4242 on Discord")
    assert shared.ok and shared.update is not None and "dana#4242" in shared.update.text
    delivered = world.inbox("priya", COMMUNITY)[-1]
    assert "How to reach Dana dana#4242 on Discord" in text_of(delivered)
    assert "data engineering" in delivered.text
    again = await world.press("dana", share, contact="other@example.org")
    assert not again.ok and "already shared" in again.messages[0].text
    assert again.stale and again.update == shared.update
    assert len(world.inbox("priya")) == before + 1
    async with world.db.transaction() as conn:
        stored = (await conn.execute(sa.select(introductions.c.seeker_contact))).scalar_one()
    assert stored == "dana#4242 on Discord"
    # From now on what the volunteer gets about the chat carries it, e.g. the invite.
    assert (await world.press("priya", button(introduction_for(world, "priya"), "Slot 1"))).ok
    (calendar,) = invites(world.inbox("priya", COMMUNITY))
    assert "How to reach Dana: dana#4242" in str(calendar.walk("VEVENT")[0].get("DESCRIPTION"))


async def test_a_same_place_introduction_has_no_contact_to_share(world: World) -> None:
    await two_places(world)
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    assert "Volunteer 1" not in text_of(suggestions)
    assert (await world.press("sam", button(suggestions, "Ask Priya"))).ok
    reply = await world.press("priya", button(world.last_with_buttons("priya"), "Accept"))
    assert reply.ok and reply.form is None
    ((destination, intro),) = world.groups()
    assert set(destination.user_ids) == {"sam", "priya"} and "platforms" not in intro.text
    assert "reach" not in text_of(intro).lower()
    refused = await world.act("sam", "intro.share_contact", "1", contact="sam@example.org")
    assert not refused.ok
    async with world.db.transaction() as conn:
        row = (
            await conn.execute(
                sa.select(introductions.c.volunteer_contact, introductions.c.seeker_contact)
            )
        ).one()
    assert tuple(row) == (None, None)


def invites(messages: list[Message]) -> list[Calendar]:
    return [Calendar.from_ical(base64.b64decode(a.data)) for m in messages for a in m.attachments]


async def test_slots_invite_checkin_and_thanks_reach_each_on_their_place(world: World) -> None:
    await two_places(world)
    await accepted(world)
    intro = introduction_for(world, "dana")
    assert [b.label for b in intro.buttons][:2] == ["Slot 1", "Slot 2"]
    picked = await world.press("dana", button(intro, "Slot 1"))
    assert picked.ok, picked.messages
    # The clicked introduction, updated, still says how to reach the other.
    assert picked.update is not None and not picked.update.buttons
    assert f"How to reach Priya: {CONTACT}" in text_of(picked.update)
    reach = {
        "dana": f"How to reach Priya: {CONTACT}",
        "priya": "Dana hasn't shared how to reach them yet.",
    }
    for user, place in (("dana", OTHER_PLACE), ("priya", COMMUNITY)):
        (calendar,) = invites(world.inbox(user, place))
        (event,) = calendar.walk("VEVENT")
        assert "Dana" in str(event.get("SUMMARY")) and "Priya" in str(event.get("SUMMARY"))
        assert reach[user] in str(event.get("DESCRIPTION"))
        assert reach[user] in text_of(world.inbox(user, place)[-1])
    assert not invites(world.inbox("dana", COMMUNITY) + world.inbox("priya", OTHER_PLACE))
    late = await world.press("priya", button(introduction_for(world, "priya"), "Slot 2"))
    assert not late.ok and "already picked" in late.messages[0].text
    assert late.update is not None and "Dana hasn't shared" in text_of(late.update)
    await world.travel(timedelta(days=3))  # past the chat and the hour after it
    questions = {
        user: next(m for m in world.inbox(user, place) if (m.title or "").startswith("Did your"))
        for user, place in (("dana", OTHER_PLACE), ("priya", COMMUNITY))
    }
    assert "Priya" in (questions["dana"].title or "") and "Dana" in (questions["priya"].title or "")
    yes = await world.press("dana", button(questions["dana"], "Yes"))
    assert yes.ok
    prompt = next(m for m in yes.messages if m.buttons)
    thanks = await world.press("dana", button(prompt, "Send thanks"), text="Thank you, Priya!")
    assert thanks.ok, thanks.messages
    note = world.inbox("priya", COMMUNITY)[-1]
    assert note.text == "Thank you, Priya!" and (note.title or "").startswith("A thank-you")
    assert "dana" not in note.mentions  # Dana's id means nothing on Priya's place
    assert not world.inbox("priya", OTHER_PLACE)


async def test_the_volunteers_contact_in_her_profile(world: World) -> None:
    await world.say("priya", "/infochat volunteer join")  # the form, prefilled with nothing
    form = (await world.say("priya", "/infochat volunteer join")).form
    assert form is not None
    field = next(f for f in form.fields if f.name == "contact")
    assert not field.required and field.default is None
    assert (await world.say("priya", f"/infochat volunteer join {PRIYA}")).ok
    shown = await world.say("priya", "/infochat volunteer show")
    assert f"How to reach me after an introduction {CONTACT}" in text_of(shown.messages[0])
    edit_form = (await world.say("priya", "/infochat volunteer edit")).form
    assert edit_form is not None
    assert next(f for f in edit_form.fields if f.name == "contact").default == CONTACT
    for bad in ("@everyone", "<!channel>", "hi @here", "x" * 301):
        refused = await world.act("priya", "volunteer.edit", contact=bad)
        assert not refused.ok and "contact" in refused.field_errors, bad
    refused = await world.say("priya", '/infochat volunteer edit contact="a\nb"')
    assert not refused.ok
    assert CONTACT in text_of((await world.say("priya", "/infochat volunteer show")).messages[0])
    assert (await world.act("priya", "volunteer.edit", contact="  bob@here.com ")).ok
    shown = await world.say("priya", "/infochat volunteer show")
    # Accepted (an address, not a mention); shown defused like all text the bot posts.
    assert "bob@here.com" in text_of(shown.messages[0]).replace("\u200b", "")
    assert (await world.act("priya", "volunteer.edit", contact="")).ok  # cleared
    assert "introduction —" in text_of(
        (await world.say("priya", "/infochat volunteer show")).messages[0]
    )


async def test_an_accept_without_a_profile_contact_offers_an_empty_field(world: World) -> None:
    await world.say("priya", f"/infochat volunteer join {VOLUNTEERS['priya']}")
    await join_places(world, COMMUNITY, OTHER_PLACE)
    world.homes["dana"] = OTHER_PLACE
    _, ask = await asked(world)
    form = (await world.press("priya", button(ask, "Accept"))).form
    assert form is not None and form.fields[0].default is None
    reply = await world.act("priya", form.action, form.target, contact="linkedin.com/in/priya")
    assert reply.ok and "volunteer edit contact=" in reply.messages[0].text
    async with world.db.transaction() as conn:
        status = (await conn.execute(sa.select(asks.c.status))).scalar_one()
    assert status == "accepted"


async def test_none_fit_across_places_reaches_each_with_the_contact(world: World) -> None:
    await two_places(world)
    await accepted(world)
    none = await world.press("priya", button(introduction_for(world, "priya"), "None of these"))
    assert none.ok, none.messages
    assert none.update is not None and "Dana hasn't shared" in text_of(none.update)
    assert not world.groups()
    for user, place, reach in (
        ("dana", OTHER_PLACE, f"How to reach Priya: {CONTACT}"),
        ("priya", COMMUNITY, "Dana hasn't shared how to reach them yet."),
    ):
        latest = world.inbox(user, place)[-1]
        assert "agree on a time between you" in latest.text and reach in text_of(latest)
