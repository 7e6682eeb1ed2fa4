"""Follow up once, then move on (R7), travelling in time with the injected clock."""

from __future__ import annotations

from datetime import timedelta

from tests.support import GOOD_REQUEST, World, button, count, join_all, stored_load, text_of

DAY = timedelta(days=1)


async def ask_priya(world: World) -> None:
    await join_all(world)
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    assert (await world.press("sam", button(suggestions, "Ask Priya"))).ok


async def test_one_reminder_then_expiry_and_the_next_candidate(world: World) -> None:
    await ask_priya(world)
    asks_before = len([m for m in world.inbox("priya") if m.buttons])
    await world.travel(2 * DAY)
    assert len([m for m in world.inbox("priya") if m.buttons]) == asks_before  # not yet
    await world.travel(1 * DAY)  # day 3: the one reminder
    reminder = world.inbox("priya")[-1]
    assert "reminder" in (reminder.title or "")
    assert reminder.buttons[0].label == "Accept"  # still answerable from the reminder
    await world.travel(2 * DAY)
    assert sum("reminder" in (m.title or "") for m in world.inbox("priya")) == 1  # only once
    sam_before = len(world.inbox("sam"))
    await world.travel(2 * DAY)  # day 7: the ask lapses, the request moves on
    assert await count(world, "asks", status="expired") == 1
    assert "lapsed" in world.inbox("priya")[-1].text
    news = world.inbox("sam")[sam_before:]
    assert [m.text for m in news if "Still looking" in m.text]
    assert all("Priya" not in text_of(m) for m in news)  # never who was silent
    assert world.last_with_buttons("bob").buttons[0].label == "Accept"
    late = await world.press("priya", button(reminder, "Accept"))
    assert not late.ok
    assert "expired" in late.messages[0].text


async def test_a_lapsed_ask_counts_in_the_volunteers_load_for_sixty_days(world: World) -> None:
    """Someone who let an ask expire is asked after those who weren't asked lately (R7)."""
    await ask_priya(world)
    await world.travel(7 * DAY)  # the ask lapses
    assert await stored_load(world, "priya") == 1
    await world.travel(61 * DAY)
    assert await stored_load(world, "priya") == 0


async def test_an_answered_ask_gets_no_reminder(world: World) -> None:
    await ask_priya(world)
    await world.press("priya", button(world.last_with_buttons("priya"), "Accept"))
    await world.travel(10 * DAY)
    assert not any("reminder" in (m.title or "") for m in world.inbox("priya"))
    assert await count(world, "asks", status="accepted") == 1


async def test_a_request_with_nobody_left_closes_kindly(world: World) -> None:
    await ask_priya(world)
    for _ in range(3):  # priya, bob, chen each stay silent until their ask lapses
        await world.travel(7 * DAY)
    assert await count(world, "asks", status="expired") == 3
    assert await count(world, "requests", status="closed") == 1
    assert "it's not about you" in world.inbox("sam")[-1].text


async def test_a_request_past_its_overall_expiry_closes(world: World) -> None:
    await join_all(world, ("priya",))
    await world.say("sam", GOOD_REQUEST)  # open, sam hasn't picked anyone
    await world.travel(29 * DAY)
    assert await count(world, "requests", status="open") == 1
    await world.travel(1 * DAY)
    assert await count(world, "requests", status="closed") == 1
    assert "wider topic" in world.inbox("sam")[-1].text


async def test_not_now_volunteer_is_eligible_again_on_the_chosen_day(world: World) -> None:
    await ask_priya(world)
    await world.press(
        "priya", button(world.last_with_buttons("priya"), "Not right now"), until="2026-01-10"
    )
    await world.say("sam", "/infochat cancel 1")
    assert "Priya" not in text_of((await world.say("ana", GOOD_REQUEST)).messages[0])
    await world.travel(5 * DAY)  # 2026-01-10 09:00 UTC, after midnight in Berlin
    assert "Priya" in text_of((await world.say("eve", GOOD_REQUEST)).messages[0])


async def test_jobs_run_once_however_often_the_runner_runs(world: World) -> None:
    await ask_priya(world)
    world.clock.advance(3 * DAY)
    runner = world.app.job_runner()
    assert await runner.run_due() >= 1
    assert await runner.run_due() == 0
    await world.worker.drain()
    assert sum("reminder" in (m.title or "") for m in world.inbox("priya")) == 1


async def test_after_downtime_past_the_expiry_the_ask_lapses_without_a_stale_reminder(
    world: World,
) -> None:
    await ask_priya(world)
    world.clock.advance(8 * DAY)  # the bot was down over the reminder and the expiry
    await world.app.job_runner().run_due()
    await world.worker.drain()
    assert not any("reminder" in (m.title or "") for m in world.inbox("priya"))
    assert "lapsed" in world.inbox("priya")[-1].text
    assert world.last_with_buttons("bob").buttons[0].label == "Accept"
