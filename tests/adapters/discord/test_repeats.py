"""One effect however often Discord delivers something: a repeated interaction id, ten
concurrent clicks, a form sent twice; and no mass mention ever sent live, whatever members
type into requests, profiles, reasons or thanks."""

from __future__ import annotations

import json

from tests.adapters.discord.harness import Call, inject, settle
from tests.adapters.discord.payloads import buttons_of, click, fill, inputs_of
from tests.adapters.discord.session import CALLBACK, MANAGE_GUILD, USERS, Bot, fields
from tests.support import GOOD_REQUEST, VOLUNTEERS, count

WHY = (
    "I am a backend developer moving toward data pipelines and want to hear how the work "
    "differs day to day"
)
PAGE_1 = {
    "topic": "data engineering",
    "why": WHY,
    "questions": "What does a typical week look like?\nWhich skills mattered most?",
}
PINGS = "@everyone @here <@&800000000000000099> <!channel>"


async def many(bot: Bot, payloads: list[dict[str, object]]) -> None:
    """Deliver interactions all at once, then wait for every answer."""
    for payload in payloads:
        inject(bot.client, payload)
    for payload in payloads:
        await bot.fake.wait_for("POST", CALLBACK.format(id=payload["id"]))
    await settle()
    await bot.worker.drain()


async def suggest_a_colleague(bot: Bot) -> Call:
    """Priya is asked for Sam's request and opens *Suggest a colleague*: its modal."""
    await bot.slash("priya", "volunteer", "join", fields=VOLUNTEERS["priya"])
    await bot.slash("sam", "request", fields=fields(GOOD_REQUEST))
    await bot.press("sam", "Ask Priya")
    seen = bot.last_with("priya", "Suggest a colleague")
    return await bot.send(click(USERS["priya"], "priya", seen.buttons["Suggest a colleague"]))


async def test_ten_concurrent_send_now_clicks_send_one_request(bot: Bot) -> None:
    for name in VOLUNTEERS:
        await bot.slash(name, "volunteer", "join", fields=VOLUNTEERS[name])
    modal = (await bot.slash("sam", "request")).body["data"]
    step = (await bot.send(fill(USERS["sam"], "sam", modal, PAGE_1))).body["data"]
    send_now = buttons_of(step)["Send now"]
    await many(bot, [click(USERS["sam"], "sam", send_now, in_dm=False) for _ in range(10)])
    assert await count(bot.world, "requests") == 1
    late = await bot.send(click(USERS["sam"], "sam", send_now, in_dm=False))
    assert "already sent" in late.body["data"]["content"]
    assert await count(bot.world, "requests") == 1


async def test_a_modal_submit_delivered_twice_has_one_effect(bot: Bot) -> None:
    opened = await suggest_a_colleague(bot)
    submit = fill(USERS["priya"], "priya", opened.body["data"], {"colleague": "<@104>"}, in_dm=True)
    await bot.send(submit)
    await bot.send({**submit, "token": "the-same-interaction-again"})
    assert len(bot.fake.dms("104")) == 1  # the colleague is asked once
    assert await count(bot.world, "asks") == 2


async def test_ten_concurrent_approvals_ask_the_volunteer_once(bot: Bot) -> None:
    bot.moderators = {"mo"}
    await bot.slash("mo", "mod", "settings", fields="approval_required=true")
    await bot.slash("priya", "volunteer", "join", fields=VOLUNTEERS["priya"])
    await bot.slash("sam", "request", fields=fields(GOOD_REQUEST))
    await bot.press("sam", "Ask Priya")
    approve = bot.last_with("mo", "Approve").buttons["Approve"]
    payloads = [
        click(USERS["mo"], "mo", approve, in_dm=False, permissions=MANAGE_GUILD) for _ in range(10)
    ]
    await many(bot, payloads)
    asks = [body for body in bot.dms_to("priya") if "Accept" in buttons_of(body)]
    assert len(asks) == 1
    assert await count(bot.world, "audit_log", action="approve") == 1


async def test_mass_mentions_typed_anywhere_are_never_sent_live(bot: Bot) -> None:
    bot.moderators = {"mo"}
    priya = VOLUNTEERS["priya"].replace('role="Data engineer"', f'role="Data engineer {PINGS}"')
    await bot.slash("priya", "volunteer", "join", fields=priya)
    await bot.slash("bob", "volunteer", "join", fields=VOLUNTEERS["bob"])
    request = GOOD_REQUEST.replace('why="', f'why="{PINGS} ')
    await bot.slash("sam", "request", fields=fields(request))
    await bot.press("sam", "Ask Priya")
    await bot.press("priya", "Accept")
    await bot.slash("sam", "request", fields="topic=x why=" + json.dumps(PINGS))  # refused
    await bot.slash("mo", "mod", "settings", fields=f"digest_channel={json.dumps(PINGS)}")

    sent = [
        c.body
        for c in bot.fake.calls
        if c.method in ("POST", "PATCH")
        and isinstance(c.body, dict)
        and ("embeds" in c.body or "content" in c.body or "data" in c.body)
    ]
    assert len(sent) > 10
    for body in sent:
        data = body.get("data") if isinstance(body.get("data"), dict) else body
        if "allowed_mentions" in data:
            assert data["allowed_mentions"]["parse"] == [], data
            assert not data["allowed_mentions"].get("roles")
        text = json.dumps(data, ensure_ascii=False)
        for live in ("@everyone", "@here", "<@&", "<!channel>"):
            assert live not in text, (live, text[:300])


async def test_a_stale_button_shows_what_the_message_says_now(bot: Bot) -> None:
    await bot.slash("priya", "volunteer", "join", fields=VOLUNTEERS["priya"])
    await bot.slash("sam", "request", fields=fields(GOOD_REQUEST))
    await bot.press("sam", "Ask Priya")
    accept = bot.last_with("priya", "Accept").buttons["Accept"]
    first = await bot.send(click(USERS["priya"], "priya", accept))
    assert first.body["type"] == 7  # the clicked ask is replaced by its outcome
    late = click(USERS["priya"], "priya", accept)
    second = await bot.send(late)
    assert second.body["type"] == 7 and second.body["data"]["components"] == []
    # The outcome, as the first click showed it; not the ask as it was.
    assert second.body["data"]["embeds"] == first.body["data"]["embeds"]
    refusal = await bot.followup(late)
    assert "already accepted" in json.dumps(refusal.body)
    assert await count(bot.world, "introductions") == 1


async def test_a_colleague_is_picked_with_a_user_select(bot: Bot) -> None:
    """Mentions can't be typed in a modal, so a member field is Discord's user picker."""
    opened = await suggest_a_colleague(bot)
    (picker,) = [i for i in inputs_of(opened.body["data"]) if i["custom_id"] == "colleague"]
    assert picker["type"] == 5 and picker["max_values"] == 1
    await bot.send(
        fill(USERS["priya"], "priya", opened.body["data"], {"colleague": ["104"]}, in_dm=True)
    )
    assert len(bot.fake.dms("104")) == 1  # the colleague is asked, and must say yes too
    assert any("We'll ask user104" in json.dumps(c.body) for c in bot.fake.calls)
