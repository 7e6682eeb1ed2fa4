"""Every action refuses fields it doesn't take: typed, submitted, or sent with a button's form."""

from __future__ import annotations

from bot.app import HANDLERS
from bot.commands import SUBCOMMANDS
from bot.domain.community import CommunitySettings
from bot.services.arguments import ACCEPTED
from bot.services.form_views import request_form, volunteer_form
from bot.services.home import PAUSE_FORM
from bot.services.render import ask_buttons
from bot.views import Form
from tests.support import GOOD_REQUEST, World, button, count, join_all


async def test_a_mistyped_field_on_a_buttons_form_is_refused_and_changes_nothing(
    world: World,
) -> None:
    await join_all(world)
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    assert (await world.press("sam", button(suggestions, "Ask Priya"))).ok
    ask = world.last_with_buttons("priya")
    reply = await world.press("priya", button(ask, "Not right now"), untill="2027-01-01")
    assert not reply.ok
    assert "untill" in reply.messages[0].text and "until" in reply.messages[0].text
    assert reply.field_errors == {"untill": "Unknown field."}
    assert await count(world, "asks", status="asked") == 1  # the ask still waits
    shown = (await world.say("priya", "/infochat volunteer show")).messages[0]
    assert "paused" not in (shown.text + str(shown.lines)).lower()
    # The same press spelled right pauses her.
    assert (await world.press("priya", button(ask, "Not right now"), until="2027-01-01")).ok


async def test_a_field_on_a_command_that_takes_none_is_refused(world: World) -> None:
    reply = await world.say("sam", "/infochat status topic=data")
    assert not reply.ok and "takes no fields" in reply.messages[0].text


def test_every_action_says_which_fields_it_takes() -> None:
    assert set(ACCEPTED) == set(HANDLERS)
    assert {action for action, _ in SUBCOMMANDS.values()} <= set(ACCEPTED)
    for action, positional in SUBCOMMANDS.values():
        accepted = ACCEPTED[action]
        assert accepted is None or set(positional) - {"target"} <= accepted, action


def test_every_form_the_core_offers_is_accepted_by_its_action() -> None:
    forms: list[Form] = [
        request_form(CommunitySettings()),
        volunteer_form(None),
        PAUSE_FORM,
        *(b.form for b in ask_buttons(1) if b.form is not None),
    ]
    for form in forms:
        accepted = ACCEPTED[form.action]
        assert accepted is not None
        assert {f.name for f in form.fields} <= accepted, form.action
        members = {f"{f.name}_name" for f in form.fields if f.kind == "member"}
        assert members <= accepted, form.action
