"""The `/infochat` slash commands: every subcommand synced and answered privately, the
shared text grammar, moderators, and the 3-second rule."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.discord import replies
from adapters.discord.render import commands_here
from tests.adapters.discord.harness import FakeDiscord
from tests.adapters.discord.payloads import slash
from tests.adapters.discord.session import USERS, Bot
from tests.support import VOLUNTEERS, count


async def test_help_is_an_ephemeral_reply(bot: Bot) -> None:
    callback = await bot.slash("sam", "help")
    assert callback.body["type"] == 4
    assert callback.body["data"]["flags"] & 64
    assert "request" in json.dumps(callback.body["data"]["embeds"]).lower()


async def test_help_names_the_moderator_command_as_discord_has_it(bot: Bot) -> None:
    shown = json.dumps((await bot.slash("sam", "help")).body)
    assert "/infochat-mod queue" in shown and "/infochat mod " not in shown


async def test_my_data_export_and_delete(bot: Bot) -> None:
    await bot.slash("priya", "volunteer", "join", fields=VOLUNTEERS["priya"])
    exported = await bot.slash("priya", "my-data", what="export")
    assert "direct messages" in json.dumps(exported.body)
    asked = await bot.slash("priya", "my-data", what="delete")
    assert "Delete my data" in json.dumps(asked.body)
    assert await count(bot.world, "volunteers") == 1  # asking first changes nothing


async def test_an_invalid_request_is_refused_privately_and_sends_nothing(bot: Bot) -> None:
    callback = await bot.slash("sam", "request", fields='topic="x" why="job?"')
    assert callback.body["type"] == 4 and callback.body["data"]["flags"] & 64
    assert await count(bot.world, "requests") == 0
    assert not bot.fake.find("POST", "/users/@me/channels")


async def test_moderator_commands_need_the_role_or_manage_server(bot: Bot) -> None:
    refused = await bot.send(slash(USERS["sam"], "sam", "mod", "queue"))
    manage_guild = str(1 << 5)
    allowed = await bot.send(slash(USERS["bob"], "bob", "mod", "queue", permissions=manage_guild))
    assert "moderator" in json.dumps(refused.body).lower()
    assert json.dumps(refused.body) != json.dumps(allowed.body)
    assert allowed.body["data"]["flags"] & 64


async def test_subcommand_options_become_the_shared_text_grammar(bot: Bot) -> None:
    await bot.slash("priya", "volunteer", "join", fields=VOLUNTEERS["priya"])
    paused = await bot.slash("priya", "volunteer", "pause", until="2026-12-01")
    assert "2026-12-01" in json.dumps(paused.body) or "Dec" in json.dumps(paused.body)


async def test_a_slow_core_is_deferred_then_answered_by_a_follow_up(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replies, "DEFER_AFTER", 0)
    payload = slash(USERS["sam"], "sam", "help")
    callback = await bot.send(payload)
    assert callback.body["type"] == 5  # deferred, with "thinking…"
    followup = await bot.followup(payload)
    assert followup.body["flags"] & 64 and followup.body["embeds"]


SUBCOMMANDS: dict[tuple[str, ...], dict[str, str]] = {
    ("help",): {},
    ("request",): {},
    ("status",): {},
    ("cancel",): {},
    ("pick",): {"id": "1"},
    ("availability",): {},
    ("me",): {},
    ("home",): {},
    ("my-data",): {"what": "export"},
    ("link",): {},
    ("unlink",): {},
    ("volunteer", "join"): {},
    ("volunteer", "edit"): {},
    ("volunteer", "show"): {},
    ("volunteer", "pause"): {"until": "2026-12-01"},
    ("volunteer", "resume"): {},
    ("volunteer", "leave"): {},
    ("mod", "queue"): {},
    ("mod", "approve"): {"id": "1"},
    ("mod", "deny"): {"id": "1", "reason": "not a fit"},
    ("mod", "audit"): {},
    ("mod", "settings"): {},
    ("mod", "ledger"): {},
    ("mod", "digest"): {},
    ("mod", "health"): {"period": "12w"},
    ("mod", "export"): {"names": "on"},
    ("mod", "setup"): {},
    ("mod", "link-place"): {},
    ("mod", "unlink-place"): {"n": 2},
    ("mod", "places"): {},
}


def synced_leaves(fake: FakeDiscord) -> set[tuple[str, ...]]:
    """Subcommand paths as `slash()` takes them (`/infochat-mod queue` is ("mod", "queue"))."""
    top, mod = fake.find("PUT", r"/applications/\d+/guilds/\d+/commands")[-1].body
    assert (top["name"], mod["name"]) == ("infochat", "infochat-mod")
    leaves: set[tuple[str, ...]] = {("mod", sub["name"]) for sub in mod["options"]}
    for option in top["options"]:
        if option["type"] == 2:  # a subcommand group
            leaves |= {(option["name"], sub["name"]) for sub in option["options"]}
        else:
            leaves.add((option["name"],))
    return leaves


async def test_every_subcommand_is_synced_and_answered_privately(bot: Bot) -> None:
    assert synced_leaves(bot.fake) == set(SUBCOMMANDS)
    for path, options in SUBCOMMANDS.items():
        callback = await bot.send(slash(USERS["sam"], "sam", *path, **options))
        kind = callback.body["type"]
        assert kind == 9 or (kind == 4 and callback.body["data"]["flags"] & 64), path


LINKING: list[tuple[tuple[str, ...], dict[str, str | int], str]] = [
    (("link",), {}, "link"),
    (("link",), {"code": "K7QF-2MXH-9TRW"}, "link code=K7QF-2MXH-9TRW"),
    (("unlink",), {}, "unlink"),
    (("mod", "link-place"), {}, "mod link-place"),
    (("mod", "link-place"), {"code": "k7qf 2mxh"}, "mod link-place code='k7qf 2mxh'"),
    (("mod", "unlink-place"), {}, "mod unlink-place"),
    (("mod", "unlink-place"), {"n": 2}, "mod unlink-place 2"),
    (("mod", "places"), {}, "mod places"),
]


@pytest.mark.parametrize(("path", "options", "text"), LINKING)
async def test_linking_commands_hand_the_core_its_text_grammar(
    bot: Bot,
    monkeypatch: pytest.MonkeyPatch,
    path: tuple[str, ...],
    options: dict[str, str | int],
    text: str,
) -> None:
    core = bot.world.app
    forward = core.dispatch_text
    seen: list[str] = []

    async def recording(actor: Any, words: str, key: str) -> Any:
        seen.append(words)
        return await forward(actor, words, key)

    monkeypatch.setattr(core, "dispatch_text", recording)
    manage_guild = str(1 << 5)
    callback = await bot.send(slash(USERS["mo"], "mo", *path, permissions=manage_guild, **options))
    assert seen == [text]
    assert callback.body["type"] == 4 and callback.body["data"]["flags"] & 64


def test_the_linking_options_are_registered_as_discord_documents_them(bot: Bot) -> None:
    top, mod = bot.fake.find("PUT", r"/applications/\d+/guilds/\d+/commands")[-1].body
    by_name = {o["name"]: o for o in top["options"]}
    mods = {o["name"]: o for o in mod["options"]}
    (code,) = by_name["link"]["options"]
    assert (code["name"], code["type"], code.get("required", False)) == ("code", 3, False)
    assert "options" not in by_name["unlink"] or not by_name["unlink"]["options"]
    (place_code,) = mods["link-place"]["options"]
    assert (place_code["name"], place_code["type"], place_code.get("required", False)) == (
        "code",
        3,
        False,
    )
    (n,) = mods["unlink-place"]["options"]
    assert (n["name"], n["type"], n["min_value"], n.get("required", False)) == ("n", 4, 1, False)
    assert int(mod["default_member_permissions"]) == 1 << 5  # hidden from members by default


def test_the_cores_linking_commands_are_shown_with_discords_options() -> None:
    text = (
        "Enter it on the other place: `/infochat mod link-place code=K7QF-2MXH-9TRW`; "
        "members use `/infochat link code=AAAA-BBBB-CCCC`. `/infochat mod unlink-place 2` "
        "undoes it; `/infochat mod places` lists them; `/infochat link` shows a code."
    )
    assert commands_here(text) == (
        "Enter it on the other place: `/infochat-mod link-place code:K7QF-2MXH-9TRW`; "
        "members use `/infochat link code:AAAA-BBBB-CCCC`. `/infochat-mod unlink-place n:2` "
        "undoes it; `/infochat-mod places` lists them; `/infochat link` shows a code."
    )
