"""Buttons and modals through signed `block_actions` and `view_submission` payloads."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.adapters.slack.clicks import settle
from tests.adapters.slack.harness import Call, Slack
from tests.adapters.slack.test_commands import join_volunteers
from tests.support import GOOD_REQUEST


def buttons_of(call: Call) -> list[dict[str, Any]]:
    blocks = call.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def labelled(call: Call, label: str) -> dict[str, Any]:
    return next(b for b in buttons_of(call) if b["text"]["text"].startswith(label))


async def ask_priya(slack: Slack) -> Call:
    """Sam requests and asks Priya; returns Priya's ask as posted in her DM."""
    await join_volunteers(slack)
    await slack.command("USAM", GOOD_REQUEST)
    (suggestions,) = await slack.fake.wait_for("response")
    ask = labelled(suggestions, "Ask priya")
    await slack.post(slack.click_body("USAM", ask, "C0GENERAL", "1.1", kind="ephemeral"))
    replaced = await slack.fake.wait_for("response", count=2)
    assert replaced[1].params["replace_original"] is True  # the ephemeral suggestions
    await slack.worker.drain()
    posts = await slack.fake.wait_for("chat.postMessage")
    return next(c for c in posts if c.params["channel"] == "DUPRIYA" and buttons_of(c))


async def test_accept_posts_the_introduction_to_a_group_dm_and_updates_the_ask(
    slack: Slack,
) -> None:
    ask = await ask_priya(slack)
    accept = labelled(ask, "Accept")
    assert accept["value"].startswith("ask.accept:") and accept["style"] == "primary"
    status, _ = await slack.post(slack.click_body("UPRIYA", accept, "DUPRIYA", "9.9"))
    assert status == 200
    (update,) = await slack.fake.wait_for("chat.update")
    assert update.params["channel"] == "DUPRIYA" and update.params["ts"] == "9.9"
    assert not buttons_of(update)
    await slack.worker.drain()
    opened = [c.params["users"] for c in slack.fake.of("conversations.open")]
    assert any(set(users.split(",")) == {"USAM", "UPRIYA"} for users in opened)
    group = [c for c in slack.fake.of("chat.postMessage") if c.params["channel"].startswith("G")]
    assert len(group) == 1 and "15 minutes" in json.dumps(group[0].params)
    assert await slack.count("introductions") == 1


async def test_ten_concurrent_clicks_make_one_introduction(slack: Slack) -> None:
    ask = await ask_priya(slack)
    accept = labelled(ask, "Accept")
    bodies = [slack.click_body("UPRIYA", accept, "DUPRIYA", "9.9") for _ in range(10)]
    before = len(slack.fake.of("response"))
    statuses = await asyncio.gather(*(slack.post(b) for b in bodies))
    assert {s for s, _ in statuses} == {200}
    await slack.fake.wait_for("chat.update")  # the one that won
    await slack.fake.wait_for("response", count=before + 9)  # the nine refused
    await slack.worker.drain()
    assert await slack.count("introductions") == 1
    assert all(not buttons_of(c) for c in slack.fake.of("chat.update"))  # never clickable again
    group = [c for c in slack.fake.of("chat.postMessage") if c.params["channel"].startswith("G")]
    assert len(group) == 1


async def test_a_stale_button_shows_what_the_message_says_now(slack: Slack) -> None:
    ask = await ask_priya(slack)
    accept = labelled(ask, "Accept")
    blocks = ask.params["blocks"]
    message = {
        "text": ask.params["text"],
        "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks,
    }
    await slack.post(slack.click_body("UPRIYA", accept, "DUPRIYA", "9.9"))
    await slack.fake.wait_for("chat.update")
    # A second, separate click on a copy of the ask that still shows its buttons.
    await slack.post(slack.click_body("UPRIYA", accept, "DUPRIYA", "8.8", message=message))
    updates = await slack.fake.wait_for("chat.update", count=2)
    first = next(c for c in updates if c.params["ts"] == "9.9")
    stale = next(c for c in updates if c.params["ts"] == "8.8")
    assert not buttons_of(stale)
    # The outcome, not the ask as the click's own copy had it.
    assert stale.params["text"] == first.params["text"] != ask.params["text"]
    assert "You accepted" in stale.params["text"]
    assert await slack.count("introductions") == 1


async def test_a_form_button_opens_a_modal_and_field_errors_come_back_inline(
    slack: Slack,
) -> None:
    ask = await ask_priya(slack)
    await slack.post(slack.click_body("UPRIYA", labelled(ask, "Suggest"), "DUPRIYA", "9.9"))
    (opened,) = await slack.fake.wait_for("views.open")
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert [b["block_id"] for b in view["blocks"]] == ["colleague", "note"]
    empty = {"colleague": {"type": "users_select", "selected_user": None}}
    status, body = await slack.post(slack.submit_body("UPRIYA", view, empty))
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors" and "colleague" in answer["errors"]
    assert not slack.fake.of("chat.update")
    assert view["blocks"][0]["dispatch_action"] is True  # Slack says who was picked
    status, _ = await slack.post(slack.pick_body("UPRIYA", view, "colleague", "UDANA"))
    assert status == 200
    await settle()  # Dana's name is read now, after the pick's ack
    assert slack.fake.of("users.info")[-1].params["user"] == "UDANA"
    picked_at = len(slack.fake.calls)
    chosen = {"colleague": {"type": "users_select", "selected_user": "UDANA"}}
    status, body = await slack.post(slack.submit_body("UPRIYA", view, chosen))
    assert not [c for c in slack.fake.calls[picked_at:] if c.method == "users.info"]
    assert status == 200 and body == ""
    (update,) = await slack.fake.wait_for("chat.update")
    assert update.params["ts"] == "9.9"
    await slack.worker.drain()
    assert any(c.params["users"] == "UDANA" for c in slack.fake.of("conversations.open"))
    # Named (from users.info) before Dana first acts, not by her id.
    thanks = [c for c in slack.fake.of("chat.postMessage") if c.params["channel"] == "UPRIYA"]
    assert any("We'll ask Dana" in str(c.params["text"]) for c in thanks)


async def test_request_modal_submit_with_bad_fields_gets_errors(slack: Slack) -> None:
    await slack.command("USAM", "request")
    (opened,) = await slack.fake.wait_for("views.open")
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    status, body = await slack.post(slack.submit_body("USAM", view, {"topic": "data", "why": "x"}))
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors" and answer["errors"]
    blocks = {b["block_id"] for b in view["blocks"]}
    assert set(answer["errors"]) <= blocks
    assert await slack.count("requests") == 0
