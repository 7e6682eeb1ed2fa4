"""What a losing or repeated click shows on Discord: a click that lost the race edits the
message to what it says now (the winner's outcome); the same interaction delivered again
gets a silent answer and changes nothing visible."""

from __future__ import annotations

import json
from typing import Any

from tests.adapters.discord.harness import Call, inject, settle
from tests.adapters.discord.payloads import click, message_payload, slash
from tests.adapters.discord.session import CALLBACK, MANAGE_GUILD, USERS, Bot, fields
from tests.adapters.discord.test_repeats import many
from tests.support import GOOD_REQUEST, VOLUNTEERS, count


def callbacks(bot: Bot, payloads: list[dict[str, Any]]) -> list[Call]:
    return [c for p in payloads for c in bot.fake.find("POST", CALLBACK.format(id=p["id"]))]


def described(call: Call) -> str:
    """The text an edited message (a type 7 callback) shows."""
    assert call.body["type"] == 7, call.body
    data = call.body["data"]
    assert data["components"] == []  # nobody clicks it again
    return " ".join(str(e.get("description")) for e in data.get("embeds") or [])


async def test_two_moderators_approving_at_once_leave_who_approved(bot: Bot) -> None:
    bot.moderators = {"mo", "bob"}
    await bot.slash("mo", "mod", "settings", fields="approval_required=true")
    await bot.slash("priya", "volunteer", "join", fields=VOLUNTEERS["priya"])
    await bot.slash("sam", "request", fields=fields(GOOD_REQUEST))
    await bot.press("sam", "Ask Priya")
    seen = bot.last_with("mo", "Approve")
    message = message_payload(seen.channel_id, seen.body)
    payloads = [
        click(
            USERS[name], name, seen.buttons["Approve"], in_dm=False,
            permissions=MANAGE_GUILD, message=message,
        )
        for name in ("mo", "bob")
    ]  # fmt: skip
    await many(bot, payloads)
    shown = [described(c) for c in callbacks(bot, payloads)]
    assert len(shown) == 2 and shown[0] == shown[1]
    assert "approved by" in shown[0] and "Approval needed" not in json.dumps(shown)
    assert await count(bot.world, "audit_log", action="approve") == 1


async def test_a_double_accept_leaves_the_acceptance(bot: Bot) -> None:
    await bot.slash("priya", "volunteer", "join", fields=VOLUNTEERS["priya"])
    await bot.slash("sam", "request", fields=fields(GOOD_REQUEST))
    await bot.press("sam", "Ask Priya")
    seen = bot.last_with("priya", "Accept")
    message = message_payload(seen.channel_id, seen.body)
    payloads = [
        click(USERS["priya"], "priya", seen.buttons["Accept"], message=message) for _ in range(2)
    ]
    await many(bot, payloads)
    shown = [described(c) for c in callbacks(bot, payloads)]
    assert shown == ["✅ You accepted Sam's request about data engineering."] * 2
    assert await count(bot.world, "introductions") == 1


async def test_a_redelivered_click_is_answered_silently(bot: Bot) -> None:
    await bot.slash("priya", "volunteer", "join", fields=VOLUNTEERS["priya"])
    await bot.slash("sam", "request", fields=fields(GOOD_REQUEST))
    await bot.press("sam", "Ask Priya")
    accept = bot.last_with("priya", "Accept").buttons["Accept"]
    payload = click(USERS["priya"], "priya", accept)
    first = await bot.send(payload)
    assert first.body["type"] == 7
    before = len(bot.fake.calls)
    inject(bot.client, payload)  # the same interaction, delivered again
    await bot.fake.wait_for("POST", CALLBACK.format(id=payload["id"]), count=2)
    await settle()
    await bot.worker.drain()
    (answer,) = bot.fake.calls[before:]
    assert answer.body == {"type": 6}  # deferred update: no loading state, nothing changes
    assert await count(bot.world, "introductions") == 1


async def test_a_redelivered_command_shows_nothing(bot: Bot) -> None:
    await bot.slash("priya", "volunteer", "join", fields=VOLUNTEERS["priya"])
    command = slash(USERS["sam"], "sam", "request", fields=fields(GOOD_REQUEST))
    await bot.send(command)
    before = len(bot.fake.calls)
    inject(bot.client, command)
    await bot.fake.wait_for("POST", CALLBACK.format(id=command["id"]), count=2)
    await settle()
    calls = bot.fake.calls[before:]
    # It tries a private deferral only, which Discord refuses for an interaction it has
    # had an answer to (40060): nothing else is sent, and nothing is logged as an error.
    assert calls[0].body["type"] == 5
    assert [(c.method, c.path) for c in calls[1:]] == []
    assert await count(bot.world, "requests") == 1
