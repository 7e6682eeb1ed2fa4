"""Help: the whole list, or one group's commands."""

from __future__ import annotations

from tests.support import World, text_of


async def test_a_group_without_its_subcommand_shows_that_groups_help(world: World) -> None:
    for text in ("/infochat mod help", "/infochat mod"):
        reply = await world.say("mo", text)
        assert reply.ok, reply.messages
        shown = text_of(reply.messages[0])
        assert "/infochat mod queue" in shown and "/infochat mod settings" in shown
        assert "/infochat request" not in shown
        assert "don't know" not in shown
    volunteer = text_of((await world.say("sam", "/infochat volunteer")).messages[0])
    assert "/infochat volunteer join" in volunteer and "/infochat volunteer leave" in volunteer
    assert "/infochat mod" not in volunteer


async def test_help_without_a_group_lists_everything(world: World) -> None:
    shown = text_of((await world.say("sam", "/infochat help")).messages[0])
    assert "/infochat request" in shown and "/infochat mod queue" in shown
    assert "replaces=<draft>" in shown
