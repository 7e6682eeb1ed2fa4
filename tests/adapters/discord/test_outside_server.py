"""What arrives without a server: a slash command or autocomplete sent from a DM, or a button
whose server is not a real one, is refused privately and stores nothing (a community is a
server); and a repeated delivery of an answered interaction is expected, not an error."""

from __future__ import annotations

import logging

import pytest

from adapters.discord.interactions import UNKNOWN_BUTTON
from adapters.discord.replies import SERVER_ONLY
from tests.adapters.discord.harness import inject, settle
from tests.adapters.discord.payloads import GUILD_ID, autocomplete, click, slash
from tests.adapters.discord.session import CALLBACK, USERS, Bot
from tests.support import count


@pytest.mark.parametrize(
    "path",
    [("help",), ("status",), ("volunteer", "show"), ("mod", "queue"), ("me",)],
)
async def test_a_command_from_a_dm_is_refused_and_stores_nothing(
    bot: Bot, path: tuple[str, ...]
) -> None:
    callback = await bot.send(slash(USERS["sam"], "sam", *path, in_dm=True))
    assert callback.body["type"] == 4 and callback.body["data"]["flags"] & 64
    assert callback.body["data"]["content"] == SERVER_ONLY
    assert await count(bot.world, "communities") == 0
    assert await count(bot.world, "members") == 0


async def test_autocomplete_from_a_dm_offers_nothing_and_stores_nothing(bot: Bot) -> None:
    callback = await bot.send(
        autocomplete(USERS["sam"], "sam", ("request",), "topic", "data", in_dm=True)
    )
    assert callback.body == {"type": 8, "data": {"choices": []}}
    assert await count(bot.world, "communities") == 0


async def test_a_button_naming_no_real_server_is_refused_and_stores_nothing(bot: Bot) -> None:
    callback = await bot.send(click(USERS["sam"], "sam", "0:request.status:"))
    assert callback.body["data"]["content"] == UNKNOWN_BUTTON
    assert await count(bot.world, "communities") == 0


async def test_a_repeated_interaction_is_one_debug_line_not_an_error(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    first = slash(USERS["sam"], "sam", "help")
    await bot.send(first)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        inject(bot.client, first)  # Discord delivers it again: its answer is refused (40060)
        await bot.fake.wait_for("POST", CALLBACK.format(id=first["id"]), count=2)
        await settle()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    repeats = [r for r in caplog.records if "answered already" in r.getMessage()]
    assert len(repeats) == 1 and repeats[0].levelno == logging.DEBUG


async def test_a_repeated_click_is_one_debug_line_not_an_error(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    first = click(USERS["sam"], "sam", f"{GUILD_ID}:request.status:")
    await bot.send(first)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        inject(bot.client, first)
        await bot.fake.wait_for("POST", CALLBACK.format(id=first["id"]), count=2)
        await settle()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("answered already" in r.getMessage() for r in caplog.records)
