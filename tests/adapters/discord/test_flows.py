"""infochat through discord.py against a fake Discord: buttons, modals, the outbox's DMs
and introduction threads, restarts, repeats and mass mentions."""

from __future__ import annotations

import json

import pytest

from adapters.discord import render
from tests.adapters.discord.harness import inject, settle
from tests.adapters.discord.payloads import CHANNELS, buttons_of, click, fill, inputs_of
from tests.adapters.discord.session import CALLBACK, USERS, Bot, asked
from tests.support import count


async def test_accept_in_a_dm_opens_a_private_introduction_thread(bot: Bot) -> None:
    volunteer, ask = await asked(bot)
    accept = click(USERS[volunteer], volunteer, buttons_of(ask)["Accept"])
    callback = await bot.send(accept)
    assert callback.body["type"] == 7  # the clicked message is updated…
    assert callback.body["data"]["components"] == []  # …without buttons
    await bot.followup(accept)
    (thread,) = bot.fake.find("POST", rf"/channels/{CHANNELS['introductions']}/threads")
    assert thread.body["type"] == 12  # private thread
    added = {c.path.rsplit("/", 1)[1] for c in bot.fake.find("PUT", r".*/thread-members/\d+")}
    assert added == {USERS["sam"], USERS[volunteer]}
    assert await count(bot.world, "introductions") == 1


async def test_the_same_interaction_twice_has_one_effect(bot: Bot) -> None:
    volunteer, ask = await asked(bot)
    first = click(USERS[volunteer], volunteer, buttons_of(ask)["Accept"])
    await bot.send(first)
    await bot.followup(first)
    again = {**first, "token": "another-token"}
    inject(bot.client, again)
    answers = await bot.fake.wait_for("POST", CALLBACK.format(id=again["id"]), count=2)
    await settle()
    assert answers[-1].body == {"type": 6}  # answered, showing nothing again
    assert not bot.fake.find("POST", r"/webhooks/\d+/another-token")
    assert len(bot.fake.find("POST", r"/channels/\d+/threads")) == 1
    assert await count(bot.world, "introductions") == 1


async def test_a_button_sent_before_a_restart_still_works(bot: Bot) -> None:
    volunteer, ask = await asked(bot)
    await bot.restart()
    accept = click(USERS[volunteer], volunteer, buttons_of(ask)["Accept"])
    assert (await bot.send(accept)).body["type"] == 7
    await bot.followup(accept)
    assert await count(bot.world, "introductions") == 1
    assert len(bot.fake.find("POST", r"/channels/\d+/threads")) == 1


async def test_suggest_a_colleague_opens_a_modal_and_its_submit_is_dispatched(bot: Bot) -> None:
    volunteer, ask = await asked(bot)
    press = click(USERS[volunteer], volunteer, buttons_of(ask)["Suggest a colleague"])
    callback = await bot.send(press)
    assert callback.body["type"] == 9  # a modal
    modal = callback.body["data"]
    assert [i["custom_id"] for i in inputs_of(modal)] == ["colleague", "note"]
    empty = fill(USERS[volunteer], volunteer, modal, {"colleague": ""}, in_dm=True)
    refused = await bot.send(empty)
    assert refused.body["type"] == 4 and "Edit and resend" in buttons_of(refused.body["data"])
    # A submitted modal is closed; the volunteer presses the button again for a fresh one.
    again = click(USERS[volunteer], volunteer, buttons_of(ask)["Suggest a colleague"])
    modal = (await bot.send(again)).body["data"]
    values = {"colleague": "<@104>", "note": "Dana knows pipelines well"}
    filled = fill(USERS[volunteer], volunteer, modal, values, in_dm=True, message=press["message"])
    updated = await bot.send(filled)
    assert updated.body["type"] == 7  # the ask is updated: nobody clicks twice
    await bot.followup(filled)
    assert bot.fake.dms("104")  # the colleague is asked, and must consent too


async def test_mass_mentions_are_never_sent_live(bot: Bot) -> None:
    await asked(bot, why_extra="@everyone @here ")
    sent = [
        c.body
        for c in bot.fake.calls
        if c.method in ("POST", "PATCH") and isinstance(c.body, dict) and "embeds" in c.body
    ]
    assert sent
    for body in sent:
        assert body.get("allowed_mentions", {}).get("parse") == [], body
        assert "@everyone" not in json.dumps(body, ensure_ascii=False)


async def test_ten_concurrent_clicks_make_one_introduction(bot: Bot) -> None:
    volunteer, ask = await asked(bot)
    clicks = [click(USERS[volunteer], volunteer, buttons_of(ask)["Accept"]) for _ in range(10)]
    for payload in clicks:
        inject(bot.client, payload)
    for payload in clicks:
        await bot.fake.wait_for("POST", CALLBACK.format(id=payload["id"]))
    await bot.worker.drain()
    assert await count(bot.world, "introductions") == 1
    assert len(bot.fake.find("POST", r"/channels/\d+/threads")) == 1


async def test_not_right_now_opens_a_modal_and_its_submit_updates_the_ask(bot: Bot) -> None:
    volunteer, ask = await asked(bot)
    press = click(USERS[volunteer], volunteer, buttons_of(ask)["Not right now"])
    modal = (await bot.send(press)).body["data"]
    submit = fill(
        USERS[volunteer], volunteer, modal, {"until": ""}, in_dm=True, message=press["message"]
    )
    answer = await bot.send(submit)
    assert answer.body["type"] == 7 and answer.body["data"]["components"] == []
    assert await count(bot.world, "asks", status="accepted") == 0
    assert await count(bot.world, "introductions") == 0


async def test_a_form_button_after_a_restart_asks_for_what_the_core_needs(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    volunteer, ask = await asked(bot)
    await bot.restart()
    monkeypatch.setattr(render, "FORMS", render.FormMemory())  # the new process knows no form
    press = click(USERS[volunteer], volunteer, buttons_of(ask)["Suggest a colleague"])
    callback = await bot.send(press)
    assert callback.body["type"] == 9  # the core asked for a colleague: a modal for it
    modal = callback.body["data"]
    assert [i["custom_id"] for i in inputs_of(modal)] == ["colleague"]
    values = {"colleague": "<@104>"}
    submit = fill(USERS[volunteer], volunteer, modal, values, in_dm=True, message=press["message"])
    assert (await bot.send(submit)).body["type"] == 7
    await bot.followup(submit)
    assert bot.fake.dms("104")


async def test_a_fixed_form_still_updates_the_message_whose_button_opened_it(bot: Bot) -> None:
    volunteer, _ = await asked(bot)
    dm = bot.last_with(volunteer, "Suggest a colleague")
    await bot.press(volunteer, "Suggest a colleague", colleague="")  # refused: who?
    fixed = await bot.press(volunteer, "Edit and resend", colleague="<@104>")
    assert fixed.body["type"] == 7  # the private error message is updated…
    (edited,) = bot.fake.find("PATCH", rf"/channels/{dm.channel_id}/messages/\d+")
    assert edited.body["components"] == []  # …and so is the ask, so nobody clicks twice
    assert bot.fake.dms("104")
