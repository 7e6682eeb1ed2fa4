"""The volunteer's answers: accept, decline (and moving on), not right now, suggest a colleague."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.views import Reply
from tests.support import (
    GOOD_REQUEST,
    World,
    button,
    count,
    join_all,
    make_world,
    stored_load,
    text_of,
)


async def ask_priya(world: World) -> None:
    await join_all(world)
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    assert (await world.press("sam", button(suggestions, "Ask Priya"))).ok


async def test_accept_introduces_both_once(world: World) -> None:
    await ask_priya(world)
    ask = world.last_with_buttons("priya")
    assert "What does a typical week" in text_of(ask)
    assert "15-minute" in ask.text
    reply = await world.press("priya", button(ask, "Accept"))
    assert reply.ok and reply.update is not None and not reply.update.buttons
    ((destination, intro),) = world.groups()
    assert set(destination.user_ids) == {"sam", "priya"}
    assert "15 minutes" in text_of(intro) and "thank-you" in text_of(intro)
    again = await world.press("priya", button(ask, "Accept"))
    assert not again.ok and "already accepted" in again.messages[0].text
    # The clicked message is stale: it shows what it says now, the winner's outcome.
    assert again.stale and again.update == reply.update
    assert await count(world, "introductions") == 1
    status = await world.say("sam", "/infochat status")
    assert "introduced to Priya" in text_of(status.messages[0])


async def test_someone_elses_ask_is_unknown(world: World) -> None:
    await ask_priya(world)
    ask = world.last_with_buttons("priya")
    for user in ("bob", "sam"):
        reply = await world.press(user, button(ask, "Accept"))
        assert not reply.ok and "no ask" in reply.messages[0].text
    assert not (await world.act("priya", "ask.accept", "not-a-number")).ok
    assert not (await world.act("priya", "ask.accept", "424242")).ok
    assert await count(world, "introductions") == 0


async def test_decline_moves_on_without_naming_anyone(world: World) -> None:
    await ask_priya(world)
    before = len(world.inbox("sam"))
    reply = await world.press("priya", button(world.last_with_buttons("priya"), "Decline"))
    assert reply.ok
    after = world.inbox("sam")[before:]
    assert after and "Still looking" in after[-1].text
    assert all("Priya" not in text_of(m) for m in after)
    assert world.last_with_buttons("bob").buttons[0].label == "Accept"  # the next best fit


async def test_declined_volunteer_is_not_suggested_again_during_the_cooldown(world: World) -> None:
    await ask_priya(world)
    await world.press("priya", button(world.last_with_buttons("priya"), "Decline"))
    await world.say("sam", "/infochat cancel 1")
    again = (await world.say("sam", GOOD_REQUEST)).messages[0]
    assert "Priya" not in text_of(again)
    world.clock.advance(timedelta(days=91))
    later = (await world.say("sam", GOOD_REQUEST)).messages[0]
    assert "Priya" in text_of(later)


async def test_nobody_left_closes_kindly(world: World) -> None:
    await ask_priya(world)
    await world.press("priya", button(world.last_with_buttons("priya"), "Decline"))
    await world.press("bob", button(world.last_with_buttons("bob"), "Decline"))
    await world.press("chen", button(world.last_with_buttons("chen"), "Decline"))
    assert "it's not about you" in world.inbox("sam")[-1].text
    assert await count(world, "requests", status="closed") == 1


async def test_not_now_pauses_until_the_chosen_day(world: World) -> None:
    await ask_priya(world)
    ask = world.last_with_buttons("priya")
    bad = await world.press("priya", button(ask, "Not right now"), until="next tuesday")
    assert not bad.ok and "until" in bad.field_errors
    past = await world.press("priya", button(ask, "Not right now"), until="2020-01-01")
    assert not past.ok
    assert await count(world, "asks", status="asked") == 1
    reply = await world.press("priya", button(ask, "Not right now"), until="2026-02-01")
    assert reply.ok and "2026-02-01" in reply.messages[0].text
    shown = await world.say("priya", "/infochat volunteer show")
    assert "paused until 2026-02-01" in shown.messages[0].text
    await world.say("sam", "/infochat cancel 1")
    assert "Priya" not in text_of((await world.say("sam", GOOD_REQUEST)).messages[0])


async def test_not_now_defaults_to_two_weeks(world: World) -> None:
    await ask_priya(world)
    reply = await world.press("priya", button(world.last_with_buttons("priya"), "Not right now"))
    assert reply.ok and "2026-01-19" in reply.messages[0].text


async def test_suggest_a_colleague_who_must_consent(world: World) -> None:
    await ask_priya(world)
    ask = world.last_with_buttons("priya")
    assert not (await world.press("priya", button(ask, "Suggest"))).ok
    assert not (await world.press("priya", button(ask, "Suggest"), colleague="@sam")).ok
    assert not (await world.press("priya", button(ask, "Suggest"), colleague="priya")).ok
    assert not (await world.press("priya", button(ask, "Suggest"), colleague="<!channel>")).ok
    reply = await world.press(
        "priya", button(ask, "Suggest"), colleague="@dana", note="Dana runs our pipelines"
    )
    assert reply.ok
    assert await count(world, "introductions") == 0
    dana_ask = world.last_with_buttons("dana")
    assert "Priya thought you'd be a good person" in dana_ask.text
    assert "Dana runs our pipelines" in text_of(dana_ask)
    assert (await world.press("dana", button(dana_ask, "Accept"))).ok
    ((destination, _),) = world.groups()
    assert set(destination.user_ids) == {"sam", "dana"}


async def test_a_colleague_picked_from_the_member_list_is_named_until_they_act(
    world: World,
) -> None:
    await ask_priya(world)
    ask = world.last_with_buttons("priya")
    reply = await world.press(
        "priya", button(ask, "Suggest"), colleague="U0DANA", colleague_name="Dana\x00 <!here>"
    )
    assert reply.ok and "We'll ask Dana" in reply.messages[0].text
    assert "<!here>" not in reply.messages[0].text  # a name is text like any other
    assert await count(world, "members", user_id="U0DANA", display_name="U0DANA") == 0


async def test_capacity_counts_per_calendar_month(world: World) -> None:
    await join_all(world, ("priya",))
    await world.say("priya", "/infochat volunteer edit capacity=1")
    world.clock.set(world.clock.now().replace(day=30))
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    await world.press("sam", button(suggestions, "Ask Priya"))
    await world.press("priya", button(world.last_with_buttons("priya"), "Accept"))
    full = await world.say("ana", GOOD_REQUEST)
    assert "closed" in full.messages[0].text or "Nobody" in full.messages[0].text
    world.clock.advance(timedelta(days=3))  # February in Berlin
    reply = await world.say("ana", GOOD_REQUEST)
    assert "Priya" in text_of(reply.messages[0])


async def suggest_who_cant_be_asked(world: World, reason: str) -> tuple[Reply, str]:
    """sam's request reaches a volunteer who suggests a colleague that can't be asked now,
    for `reason`; the suggester's reply, and who was suggested."""
    await join_all(world)
    if reason == "declined this seeker before":
        first = (await world.say("sam", GOOD_REQUEST)).messages[0]
        await world.press("sam", button(first, "Ask Priya"))
        await world.press("priya", button(world.last_with_buttons("priya"), "Decline"))
        await world.say("sam", "/infochat cancel 1")
    elif reason == "paused":
        await world.say("priya", "/infochat volunteer pause")
    elif reason == "left":
        await world.say("priya", "/infochat volunteer leave")
    elif reason == "full this month":
        await world.say("priya", "/infochat volunteer edit capacity=1")
        first = (await world.say("ana", GOOD_REQUEST)).messages[0]
        await world.press("ana", button(first, "Ask Priya"))
        await world.press("priya", button(world.last_with_buttons("priya"), "Accept"))
    assert (await world.say("sam", GOOD_REQUEST + " person=bob")).ok
    suggest = button(world.last_with_buttons("bob"), "Suggest")
    if reason != "already asked":
        return await world.press("bob", suggest, colleague="priya"), "priya"
    # bob suggests dana, and dana suggests bob back: bob was already asked on this request.
    assert (await world.press("bob", suggest, colleague="dana")).ok
    suggest = button(world.last_with_buttons("dana"), "Suggest")
    return await world.press("dana", suggest, colleague="bob"), "bob"


REASONS = ("declined this seeker before", "already asked", "paused", "left", "full this month")


async def test_a_colleague_who_cant_be_asked_reads_the_same_whatever_the_reason(
    tmp_path: Path,
) -> None:
    seen = set()
    for number, reason in enumerate(REASONS):
        world = await make_world(tmp_path / f"{number}.db")
        try:
            reply, colleague = await suggest_who_cant_be_asked(world, reason)
            assert reply.ok, (reason, reply.messages)
            assert reply.update is not None
            seen.add((tuple(m.text for m in reply.messages), reply.update.text))
            # Nobody is asked who can't be, and sam's request moves on (here: nobody is left).
            assert not any("thought you'd be" in m.text for m in world.inbox(colleague))
            assert "it's not about you" in world.inbox("sam")[-1].text
        finally:
            await world.db.dispose()
    ((texts, update),) = seen
    assert "someone else" in texts[0] and "Thank you" in texts[0]
    for name in ("Priya", "Bob", "declin", "paus", "full", "already"):
        assert name not in texts[0] + update


async def test_a_decline_counts_in_the_volunteers_load(world: World) -> None:
    """What was asked of them counts, whatever they answered: the next seeker's ask goes
    first to someone who wasn't asked lately."""
    await ask_priya(world)
    await world.press("priya", button(world.last_with_buttons("priya"), "Decline"))
    assert await stored_load(world, "priya") == 1
