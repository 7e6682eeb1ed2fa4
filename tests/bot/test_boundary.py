"""What enters the core from an adapter: unreadable ids are refused and change nothing,
names and values are cleaned, so no command ends in the apology."""

from __future__ import annotations

import pytest

from bot.app import APOLOGY
from bot.commands import Actor, Command, CommunityRef
from tests.support import COMMUNITY, GOOD_REQUEST, World, count, text_of

LONE = "\ud800"


def command(user: str = "sam", name: str = "Sam", community: CommunityRef = COMMUNITY,
            key: str = "k1", action: str = "help", **args: str) -> Command:  # fmt: skip
    return Command(Actor(community, user, name), action, key, "", args)


@pytest.mark.parametrize(
    "bad",
    [
        command(user=f"sam{LONE}"),
        command(user="sam\x00"),
        command(user="sam\n"),
        command(user=" sam"),
        command(user=""),
        command(user="s" * 101),
        command(community=CommunityRef("console", f"test{LONE}", "Test")),
        command(community=CommunityRef("console", "te\x1bst", "Test")),
        command(community=CommunityRef(f"console{LONE}", "test", "Test")),
        command(key=f"k{LONE}"),
        command(key="k\x00"),
        command(action="request.create", **{"<!channel>": "x"}),
        command(action="request.create", **{f"topic{LONE}": "x"}),
    ],
    ids=[
        "surrogate in user",
        "NUL in user",
        "newline in user",
        "padded user",
        "no user",
        "long user",
        "surrogate in community",
        "escape in community",
        "surrogate in platform",
        "surrogate in key",
        "NUL in key",
        "mention as field name",
        "surrogate in field name",
    ],
)
async def test_an_unreadable_id_is_refused_and_changes_nothing(world: World, bad: Command) -> None:
    reply = await world.app.dispatch(bad)
    assert not reply.ok
    assert "nothing was done" in reply.messages[0].text
    for table in ("communities", "members", "processed_commands"):
        assert await count(world, table) == 0
    # The refusal itself reads plainly and pings nobody.
    assert "<!" not in text_of(reply.messages[0]) and "<!" not in str(reply.field_errors)


async def test_names_with_unstorable_characters_are_cleaned(world: World) -> None:
    community = CommunityRef("console", "test", f"Test{LONE} community\x00")
    reply = await world.app.dispatch(command(name=f"Sa{LONE}m\x07", community=community))
    assert reply.ok, reply.messages
    assert await count(world, "members", user_id="sam", display_name="Sam") == 1
    assert await count(world, "communities", name="Test community") == 1
    # A name with nothing readable left is the member's id.
    reply = await world.app.dispatch(command(user="ana", name=LONE * 3, key="k2"))
    assert reply.ok
    assert await count(world, "members", user_id="ana", display_name="ana") == 1


async def test_values_with_lone_surrogates_are_cleaned_like_text(world: World) -> None:
    reply = await world.app.dispatch_text(
        world.actor("sam"),
        GOOD_REQUEST.replace("data engineering", f"data{LONE} engineering"),
        "k1",
    )
    assert reply.ok, reply.messages
    assert reply.messages[0].text != APOLOGY
    assert await count(world, "requests", topic="data engineering") == 1
