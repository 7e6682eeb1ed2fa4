"""A click that loses (a concurrent or a late one) shows what the clicked message says now:
the winner's outcome, read from the database, never the message as it was before. A
replayed key is marked so adapters repeat nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.commands import Command
from bot.views import Message, Reply
from tests.bot.services.test_requests import VAGUE
from tests.bot.services.test_scheduling import PRIYA, SAM
from tests.bot.services.test_scheduling import introduce as introduce_with_times
from tests.support import GOOD_REQUEST, World, button, join_all, make_world


@pytest.fixture
async def modworld(database_url: str) -> AsyncIterator[World]:
    w = await make_world(database_url, approval_required=True)
    w.moderators.update({"mo", "max"})
    yield w
    await w.db.dispose()


async def together(world: World, *commands: tuple[str, str, str, dict[str, str]]) -> list[Reply]:
    """Dispatch commands at once, as concurrent clicks arrive: (user, action, target, args)."""
    replies = await asyncio.gather(
        *(
            world.app.dispatch(Command(world.actor(user), action, f"c{i}", target, args))
            for i, (user, action, target, args) in enumerate(commands)
        )
    )
    await world.worker.drain()
    return list(replies)


def one_winner(replies: list[Reply]) -> tuple[Reply, list[Reply]]:
    winners = [r for r in replies if r.ok]
    assert len(winners) == 1, replies
    return winners[0], [r for r in replies if not r.ok]


async def asked(world: World) -> Message:
    """Sam's request is with Priya: her ask."""
    await join_all(world)
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    assert (await world.press("sam", button(suggestions, "Ask Priya"))).ok
    return world.last_with_buttons("priya")


async def test_two_moderators_approving_at_once_both_show_who_approved(modworld: World) -> None:
    await join_all(modworld)
    suggestions = (await modworld.say("sam", GOOD_REQUEST)).messages[0]
    await modworld.press("sam", button(suggestions, "Ask Priya"))
    approve = button(modworld.channel("moderators")[-1], "Approve")
    replies = await together(
        modworld,
        ("mo", approve.action, approve.target, {}),
        ("max", approve.action, approve.target, {}),
    )
    winner, (loser,) = one_winner(replies)
    assert loser.stale and "already handled" in loser.messages[0].text
    assert winner.update is not None and loser.update == winner.update
    name = "Mo" if winner is replies[0] else "Max"
    assert f"approved by {name}; Priya has been asked" in winner.update.text
    assert not winner.update.buttons


async def test_a_deny_that_loses_to_an_approval_shows_the_approval(modworld: World) -> None:
    await join_all(modworld)
    suggestions = (await modworld.say("sam", GOOD_REQUEST)).messages[0]
    await modworld.press("sam", button(suggestions, "Ask Priya"))
    approval = modworld.channel("moderators")[-1]
    assert (await modworld.press("max", button(approval, "Approve"))).ok
    late = await modworld.press("mo", button(approval, "Deny"), reason="Too broad")
    assert not late.ok and late.update is not None
    assert "approved by Max" in late.update.text
    # And the other way round: an approval after a denial says who denied.
    suggestions = (await modworld.say("bob", GOOD_REQUEST)).messages[0]
    await modworld.press("bob", button(suggestions, "Ask Priya"))
    approval = modworld.channel("moderators")[-1]
    denied = await modworld.press("max", button(approval, "Deny"), reason="Too broad")
    late = await modworld.press("mo", button(approval, "Approve"))
    assert late.update is not None and late.update == denied.update
    assert "denied by Max" in late.update.text


async def test_a_double_accept_shows_the_acceptance_on_both_clicks(world: World) -> None:
    ask = await asked(world)
    accept = button(ask, "Accept")
    replies = await together(
        world, *(("priya", accept.action, accept.target, {}) for _ in range(3))
    )
    winner, losers = one_winner(replies)
    assert winner.update is not None
    assert "You accepted Sam's request about data engineering" in winner.update.text
    assert all(r.stale and r.update == winner.update for r in losers)


async def test_a_late_click_on_an_ask_shows_how_it_was_answered(world: World) -> None:
    ask = await asked(world)
    suggested = await world.press("priya", button(ask, "Suggest"), colleague="@dana")
    assert suggested.ok and suggested.update is not None
    for label in ("Accept", "Decline", "Not right now"):
        late = await world.press("priya", button(ask, label))
        assert not late.ok and late.update == suggested.update
    assert "You suggested dana" in suggested.update.text


async def test_a_late_click_on_a_withdrawn_ask_says_it_was_withdrawn(world: World) -> None:
    ask = await asked(world)
    assert (await world.say("sam", "/infochat cancel 1")).ok
    late = await world.press("priya", button(ask, "Accept"))
    assert not late.ok and late.update is not None and "withdrawn" in late.update.text


async def test_picking_twice_at_once_shows_where_the_request_stands(world: World) -> None:
    await join_all(world)
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    picks = [button(suggestions, "Ask Priya"), button(suggestions, "Let the bot choose")]
    replies = await together(world, *(("sam", b.action, b.target, {}) for b in picks))
    winner, (loser,) = one_winner(replies)
    assert winner.update is not None and loser.update == winner.update
    assert "Request #1: waiting for the volunteer to answer" in winner.update.text


async def test_a_draft_sent_and_discarded_at_once_shows_which_won(world: World) -> None:
    await join_all(world)
    draft = (await world.say("sam", VAGUE)).messages[0]
    clicks = [button(draft, "Send anyway"), button(draft, "Discard")]
    replies = await together(world, *(("sam", b.action, b.target, {}) for b in clicks))
    winner, (loser,) = one_winner(replies)
    assert winner.update is not None and loser.update == winner.update
    assert winner.update.text in ("Request #1 sent.", "Draft #1 discarded.")


async def test_two_slot_picks_at_once_both_show_the_picked_time(world: World) -> None:
    await introduce_with_times(world, SAM, PRIYA)
    times = world.groups()[-1][1]
    slots = [button(times, "Slot 1"), button(times, "Slot 2")]
    replies = await together(
        world,
        ("sam", slots[0].action, slots[0].target, {}),
        ("priya", slots[1].action, slots[1].target, {}),
    )
    winner, (loser,) = one_winner(replies)
    assert winner.update is not None and loser.update == winner.update
    assert any(line.label == "Picked time" for line in winner.update.lines)
    assert not winner.update.buttons


async def test_late_follow_up_and_thanks_clicks_show_the_answer_given(world: World) -> None:
    await asked(world)
    await world.press("priya", button(world.last_with_buttons("priya"), "Accept"))
    await world.travel(timedelta(days=world.app.defaults.followup_days, hours=1))
    question = next(m for m in reversed(world.inbox("sam")) if "Did your chat" in (m.title or ""))
    yes = await world.press("sam", button(question, "Yes"))
    assert yes.ok and yes.update is not None
    for label in ("Not yet", "It didn't happen"):
        late = await world.press("sam", button(question, label))
        assert not late.ok and late.update == yes.update
    prompt = yes.messages[1]
    sent = await world.press("sam", button(prompt, "Send thanks"), text="Thank you, Priya!")
    again = await world.press("sam", button(prompt, "Send thanks"), text="Thanks again!")
    assert sent.update is not None and again.update == sent.update
    assert "Thanks sent to Priya" in sent.update.text


async def test_a_late_delete_click_shows_the_data_is_deleted(world: World) -> None:
    await asked(world)
    prompt = await world.say("priya", "/infochat me delete")
    confirm = button(prompt.messages[0], "Delete my data")
    done = await world.press("priya", confirm)
    late = await world.press("priya", confirm)
    assert not late.ok and late.update is not None and late.update == done.update


async def test_a_replayed_key_is_marked_as_a_replay(world: World) -> None:
    accept = button(await asked(world), "Accept").target
    first = await world.act("priya", "ask.accept", accept, key="retry-1")
    again = await world.act("priya", "ask.accept", accept, key="retry-1")
    assert not first.replay and again.replay
    assert again.model_copy(update={"replay": False}) == first
    # A refusal remembered under its key is a replay too.
    refused = await world.act("priya", "ask.decline", "999", key="retry-2")
    assert not refused.ok and not refused.replay
    assert (await world.act("priya", "ask.decline", "999", key="retry-2")).replay
