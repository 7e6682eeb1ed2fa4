"""How approval works: in a moderator's first answer as a moderator, once."""

from __future__ import annotations

from bot.commands import Actor, Command, CommunityRef
from tests.support import World, count, text_of

NOTE = "How introduction approval works"


def said(reply: object) -> str:
    return "\n".join(text_of(m) for m in reply.messages)  # type: ignore[attr-defined]


async def test_a_moderator_is_told_how_approval_works_once(world: World) -> None:
    world.moderators.update({"mo", "max"})
    member_help = await world.say("sam", "/infochat help")
    assert NOTE not in said(member_help)

    refused = await world.say("mo", "/infochat mod approve 999")  # a refusal doesn't count
    assert not refused.ok and NOTE not in said(refused)
    first = await world.say("mo", "/infochat mod queue")
    assert first.ok and len(first.messages) == 1  # one answer, not an extra message
    text = said(first)
    assert NOTE in text and "Nothing waiting for approval." in text
    assert "`/infochat mod settings approval_required=true`" in text
    assert "INFOCHAT_COMMUNITY__APPROVAL_REQUIRED=true" in text and "first time" in text

    for again in ("/infochat mod queue", "/infochat help", "/infochat mod settings"):
        assert NOTE not in said(await world.say("mo", again))
    assert NOTE in said(await world.say("max", "/infochat help"))  # each moderator once
    assert NOTE not in said(await world.say("max", "/infochat mod audit"))
    assert await count(world, "notices") == 2


async def test_a_repeated_delivery_of_the_first_answer_is_the_same_answer(world: World) -> None:
    world.moderators.add("mo")
    first = await world.say("mo", "/infochat mod settings", key="first")
    again = await world.say("mo", "/infochat mod settings", key="first")
    assert NOTE in said(first) and said(again) == said(first)


async def test_a_discord_moderator_is_told_in_discord_syntax(world: World) -> None:
    mo = Actor(CommunityRef("discord", "42", "Guild"), "mo", "Mo", is_moderator=True)
    reply = await world.app.dispatch(Command(mo, "mod.queue", "discord-note", "", {}))
    text = said(reply)
    assert NOTE in text
    assert "`/infochat-mod settings fields:approval_required=true`" in text
    assert "`/infochat-mod setup`" in text and "/infochat mod " not in text
