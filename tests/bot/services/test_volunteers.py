"""Volunteers: join, edit, availability, pause, resume, leave, and every refusal."""

from __future__ import annotations

from tests.support import GOOD_REQUEST, VOLUNTEERS, World, button, count, join_all, text_of


async def test_join_without_fields_opens_the_form(world: World) -> None:
    reply = await world.say("priya", "/infochat volunteer join")
    assert reply.form is not None and reply.form.action == "volunteer.join"
    assert await count(world, "volunteers") == 0


async def test_join_validates_every_field(world: World) -> None:
    reply = await world.say(
        "priya",
        '/infochat volunteer join role="" topics="" timezone=Mars/Olympus capacity=99 formats=carrier-pigeon windows="someday"',
    )
    assert not reply.ok
    assert set(reply.field_errors) >= {
        "role",
        "organisation",
        "topics",
        "timezone",
        "monthly_capacity",
        "formats",
        "windows",
    }
    assert await count(world, "volunteers") == 0


async def test_join_twice_and_edit(world: World) -> None:
    await join_all(world, ("priya",))
    again = await world.say("priya", f"/infochat volunteer join {VOLUNTEERS['priya']}")
    assert not again.ok and "already a volunteer" in again.messages[0].text
    edited = await world.say(
        "priya", '/infochat volunteer edit formats="video, phone" minutes=20 capacity=3'
    )
    assert edited.ok
    shown = text_of(edited.messages[0])
    assert "video, phone" in shown and "up to 20 minutes, 3 a month" in shown
    form = await world.say("priya", "/infochat volunteer edit")
    assert form.form is not None
    defaults = {f.name: f.default for f in form.form.fields}
    assert defaults["role"] == "Data engineer" and defaults["timezone"] == "Europe/Berlin"


async def test_availability_windows_cross_midnight(world: World) -> None:
    await join_all(world, ("priya",))
    reply = await world.say(
        "priya", '/infochat availability windows="Mon 18:00-20:00; Tue-Thu 12-13; Fri 22:00-01:00"'
    )
    assert reply.ok
    windows = text_of(reply.messages[0])
    assert (
        "Mon 18:00-20:00" in windows
        and "Wed 12:00-13:00" in windows
        and "Fri 22:00-01:00" in windows
    )
    assert "Fri 22:00-01:00 (overnight)" in windows
    bad = await world.say("priya", '/infochat availability windows="Mon 25:00-26:00"')
    assert not bad.ok and "windows" in bad.field_errors
    assert not (await world.say("priya", "/infochat availability role=boss")).ok


async def test_a_window_ending_before_it_starts_is_refused_everywhere_windows_are_typed(
    world: World,
) -> None:
    await join_all(world, ("priya",))
    shown = text_of((await world.say("priya", "/infochat volunteer show")).messages[0])
    for command in (
        '/infochat availability windows="Mon 18:00-17:00"',
        '/infochat volunteer edit windows="Mon 18:00-17:00"',
    ):
        refused = await world.say("priya", command)
        assert not refused.ok
        assert "ends before it starts" in refused.field_errors["windows"]
    assert text_of((await world.say("priya", "/infochat volunteer show")).messages[0]) == shown
    request = await world.say("sam", GOOD_REQUEST + ' windows="Wed 18:00-17:30"')
    assert not request.ok and "ends before it starts" in request.field_errors["windows"]
    assert await count(world, "requests") == 0


async def test_commands_for_volunteers_refuse_non_volunteers(world: World) -> None:
    for text in (
        "volunteer edit role=x",
        "volunteer show",
        "volunteer pause",
        "volunteer resume",
        "volunteer leave",
        "availability",
    ):
        reply = await world.say("sam", f"/infochat {text}")
        assert not reply.ok and "not a volunteer" in reply.messages[0].text, text


async def test_pause_and_resume(world: World) -> None:
    await join_all(world, ("priya",))
    assert not (await world.say("priya", "/infochat volunteer pause until=yesterday")).ok
    assert not (await world.say("priya", "/infochat volunteer pause 2030-01-01")).ok  # over a year
    reply = await world.say("priya", "/infochat volunteer pause 2026-01-20")
    assert reply.ok and "2026-01-20" in reply.messages[0].text
    closed = await world.say("sam", GOOD_REQUEST)
    assert "Nobody" in closed.messages[0].text
    assert (await world.say("priya", "/infochat volunteer resume")).ok
    assert "Priya" in text_of((await world.say("sam", GOOD_REQUEST)).messages[0])
    assert "not paused" in (await world.say("priya", "/infochat volunteer resume")).messages[0].text


async def test_leaving_withdraws_waiting_asks_kindly(world: World) -> None:
    await join_all(world)
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    await world.press("sam", button(suggestions, "Ask Priya"))
    reply = await world.say("priya", "/infochat volunteer leave")
    assert reply.ok and "passed on" in reply.messages[0].text
    assert "Still looking" in world.inbox("sam")[-1].text
    assert await count(world, "asks", status="withdrawn") == 1
    assert await count(world, "asks", status="asked") == 1  # the next volunteer
    late = await world.press("priya", button(world.last_with_buttons("priya"), "Accept"))
    assert not late.ok
    assert (await world.say("priya", f"/infochat volunteer join {VOLUNTEERS['priya']}")).ok


async def test_me_and_help(world: World) -> None:
    await join_all(world, ("priya",))
    me = await world.say("priya", "/infochat me")
    assert "Chats given" in text_of(me.messages[0]) and len(me.messages) == 2
    help_reply = await world.say("sam", "/infochat help")
    assert "volunteer join" in text_of(help_reply.messages[0])
    assert (await world.say("sam", "")).ok  # an empty command is help
