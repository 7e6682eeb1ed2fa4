"""Scheduling help through the core (R8): proposed times in both zones, picking one, the
calendar invite, the follow-up after the chat, and refusals that change nothing."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from icalendar import Calendar

from bot.storage.schema import introductions, jobs
from tests.support import (
    GOOD_REQUEST,
    VOLUNTEERS,
    World,
    button,
    count,
    join_all,
    replay_of,
    text_of,
)

PRIYA = VOLUNTEERS["priya"] + ' windows="Tue 18:00-20:00; Thu 18-20"'  # Europe/Berlin
SAM = GOOD_REQUEST + ' timezone=America/New_York windows="Tue-Thu 12:00-14:00"'
# The clock starts on Monday 5 January 2026, 09:00 UTC; the request runs for 14 days.
# Berlin Tue/Thu 18–20 (CET) and New York Tue–Thu 12–14 (EST) share 17:00–19:00 UTC.
SLOTS = (
    datetime(2026, 1, 6, 17, tzinfo=UTC),
    datetime(2026, 1, 8, 17, tzinfo=UTC),
    datetime(2026, 1, 15, 17, tzinfo=UTC),
)


async def introduce(world: World, request: str = SAM, volunteer: str = PRIYA) -> None:
    assert (await world.say("priya", f"/infochat volunteer join {volunteer}")).ok
    suggestions = (await world.say("sam", request)).messages[0]
    assert (await world.press("sam", button(suggestions, "Ask Priya"))).ok
    assert (await world.press("priya", button(world.last_with_buttons("priya"), "Accept"))).ok


async def stored(world: World) -> tuple[list[str], datetime | None]:
    async with world.db.transaction() as conn:
        row = (
            await conn.execute(sa.select(introductions.c.slots, introductions.c.slot_start))
        ).one()
    return list(row.slots), row.slot_start


async def followups(world: World) -> list[tuple[str, datetime]]:
    """The follow-ups scheduled for after a picked slot (others may exist too)."""
    async with world.db.transaction() as conn:
        rows = await conn.execute(
            sa.select(jobs.c.target, jobs.c.due_at).where(
                jobs.c.kind == "followup", jobs.c.period == "slot"
            )
        )
        return [(r.target, r.due_at) for r in rows]


def invites(world: World) -> list[Calendar]:
    return [
        Calendar.from_ical(base64.b64decode(a.data))
        for _, m in world.groups()
        for a in m.attachments
    ]


async def test_accept_proposes_times_in_both_zones(world: World) -> None:
    await introduce(world)
    ((destination, intro),) = world.groups()
    assert set(destination.user_ids) == {"sam", "priya"}
    text = text_of(intro)
    assert "Slot 1 Tue 6 Jan 18:00 Europe/Berlin (Priya) / 12:00 America/New_York (Sam)" in text
    assert "Slot 2 Thu 8 Jan 18:00 Europe/Berlin (Priya) / 12:00 America/New_York (Sam)" in text
    assert "Slot 3 Thu 15 Jan 18:00 Europe/Berlin" in text
    assert [b.label for b in intro.buttons] == ["Slot 1", "Slot 2", "Slot 3", "None of these fit"]
    assert [b.target for b in intro.buttons] == ["1:1", "1:2", "1:3", "1"]
    slots, picked = await stored(world)
    assert [datetime.fromisoformat(s) for s in slots] == list(SLOTS)
    assert picked is None


async def test_dates_differ_when_the_zones_are_on_different_days(world: World) -> None:
    request = GOOD_REQUEST + " timezone=Pacific/Auckland"  # no windows: the volunteer's count
    await introduce(world, request)
    text = text_of(world.groups()[0][1])
    # Tue 6 Jan 18:00 in Berlin is Wed 7 Jan 06:00 in Auckland (NZDT, +13)
    assert "Tue 6 Jan 18:00 Europe/Berlin (Priya) / Wed 7 Jan 06:00 Pacific/Auckland (Sam)" in text


async def test_pick_sends_an_invite_and_schedules_the_followup(world: World) -> None:
    await introduce(world)
    intro = world.groups()[0][1]
    reply = await world.press("sam", button(intro, "Slot 2"))
    assert reply.ok, reply.messages
    assert reply.update is not None and not reply.update.buttons
    assert "Picked time Thu 8 Jan 18:00 Europe/Berlin" in text_of(reply.update)
    destination, message = world.groups()[-1]
    assert set(destination.user_ids) == {"sam", "priya"}
    assert "12:00 America/New_York" in (message.title or "")
    (attachment,) = message.attachments
    assert attachment.filename == "infochat-1.ics"
    assert attachment.content_type == "text/calendar"
    (calendar,) = invites(world)
    (event,) = calendar.walk("VEVENT")
    assert event.get("UID") == "intro-1@infochat"
    assert event.decoded("DTSTART") == SLOTS[1]
    assert event.decoded("DTEND") == SLOTS[1] + timedelta(minutes=15)
    assert event.decoded("DTSTAMP") == world.clock.now()
    assert "Sam" in str(event.get("SUMMARY")) and "Priya" in str(event.get("SUMMARY"))
    assert "What does a typical week look like" in str(event.get("DESCRIPTION"))
    assert event.get("ATTENDEE") is None and event.get("ORGANIZER") is None  # no addresses known
    assert b"DTSTART:20260108T170000Z" in calendar.to_ical()
    assert (await stored(world))[1] == SLOTS[1]
    assert await followups(world) == [("1", SLOTS[1] + timedelta(minutes=15, hours=1))]


async def test_the_volunteer_may_pick_too(world: World) -> None:
    await introduce(world)
    assert (await world.press("priya", button(world.groups()[0][1], "Slot 3"))).ok
    assert (await stored(world))[1] == SLOTS[2]


async def test_refusals_change_nothing(world: World) -> None:
    await introduce(world)
    await join_all(world, ("bob",))
    intro = world.groups()[0][1]
    stranger = await world.press("bob", button(intro, "Slot 1"))
    assert not stranger.ok and "no introduction #1" in stranger.messages[0].text
    for target in ("42:1", "1:4", "1:0", "1:x", "x:1"):
        assert not (await world.act("sam", "intro.pick_slot", target)).ok, target
    assert not (await world.act("bob", "intro.no_slot", "1")).ok
    assert (await stored(world))[1] is None
    assert (await world.press("sam", button(intro, "Slot 1"))).ok
    again = await world.press("sam", button(intro, "Slot 1"))
    assert not again.ok and "already picked" in again.messages[0].text
    other = await world.press("priya", button(intro, "Slot 3"))
    assert not other.ok and "already picked" in other.messages[0].text
    none = await world.press("priya", button(intro, "None of these fit"))
    assert not none.ok and "already picked" in none.messages[0].text
    assert (await stored(world))[1] == SLOTS[0]
    assert len(invites(world)) == 1
    assert len(await followups(world)) == 1


async def test_the_same_click_delivered_twice_sends_one_invite(world: World) -> None:
    await introduce(world)
    slot = button(world.groups()[0][1], "Slot 1")
    first = await world.press("sam", slot, key="click-1")
    second = await world.press("sam", slot, key="click-1")
    assert replay_of(second, first) and first.ok
    assert len(invites(world)) == 1


async def test_none_of_these_fit(world: World) -> None:
    await introduce(world)
    intro = world.groups()[0][1]
    reply = await world.press("priya", button(intro, "None of these fit"))
    assert reply.ok and reply.update is not None and not reply.update.buttons
    destination, message = world.groups()[-1]
    assert set(destination.user_ids) == {"sam", "priya"}
    assert "agree on a time between you" in message.text
    assert (await stored(world)) == ([], None)
    late = await world.press("sam", button(intro, "Slot 1"))
    assert not late.ok and "no proposed times" in late.messages[0].text
    assert not (await world.press("sam", button(intro, "None of these fit"))).ok
    assert invites(world) == [] and await followups(world) == []


async def test_a_time_that_has_passed_cannot_be_picked(world: World) -> None:
    await introduce(world)
    intro = world.groups()[0][1]
    world.clock.advance(timedelta(days=2))  # slot 1 (Tuesday) is over
    late = await world.press("sam", button(intro, "Slot 1"))
    assert not late.ok and "passed" in late.messages[0].text
    assert (await world.press("sam", button(intro, "Slot 2"))).ok


async def test_seeker_without_windows_gets_the_volunteers_times_in_utc(world: World) -> None:
    await introduce(world, GOOD_REQUEST)
    text = text_of(world.groups()[0][1])
    assert "Slot 1 Tue 6 Jan 18:00 Europe/Berlin (Priya) / 17:00 UTC (Sam)" in text


async def test_no_windows_no_slots(world: World) -> None:
    await introduce(world, SAM, VOLUNTEERS["priya"])
    intro = world.groups()[0][1]
    assert not intro.buttons
    assert "please suggest a couple of times" in intro.text
    assert await stored(world) == ([], None)


async def test_a_suggested_colleague_without_a_profile_gets_no_slots(world: World) -> None:
    assert (await world.say("priya", f"/infochat volunteer join {PRIYA}")).ok
    suggestions = (await world.say("sam", SAM)).messages[0]
    await world.press("sam", button(suggestions, "Ask Priya"))
    ask = world.last_with_buttons("priya")
    assert (await world.press("priya", button(ask, "Suggest a colleague"), colleague="dana")).ok
    assert (await world.press("dana", button(world.last_with_buttons("dana"), "Accept"))).ok
    ((_, intro),) = world.groups()
    assert not intro.buttons and "Slot" not in text_of(intro)
    assert await count(world, "introductions") == 1


async def test_request_availability_is_validated(world: World) -> None:
    await join_all(world, ("priya",))
    bad_zone = await world.say("sam", GOOD_REQUEST + " timezone=Mars/Olympus")
    assert not bad_zone.ok and "timezone" in bad_zone.field_errors
    bad_windows = await world.say("sam", GOOD_REQUEST + ' windows="sometimes"')
    assert not bad_windows.ok and "windows" in bad_windows.field_errors
    assert await count(world, "requests") == 0


async def test_with_a_picked_slot_each_member_is_asked_once_after_it(world: World) -> None:
    await introduce(world)
    await world.press("sam", button(world.groups()[0][1], "Slot 1"))
    await world.travel(timedelta(days=10))  # past both the slot and the usual 3-day follow-up
    for member in ("sam", "priya"):
        questions = [m for m in world.inbox(member) if (m.title or "").startswith("Did your chat")]
        assert len(questions) == 1, member
