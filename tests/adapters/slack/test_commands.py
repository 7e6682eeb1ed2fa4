"""`/infochat` over signed HTTP through the real bolt app: help, request, refusals, forms."""

from __future__ import annotations

import json

from tests.adapters.slack.clicks import settle
from tests.adapters.slack.harness import Slack, sign
from tests.support import GOOD_REQUEST, VOLUNTEERS


def response_text(slack: Slack) -> str:
    return "\n".join(json.dumps(c.params) for c in slack.fake.of("response"))


async def join_volunteers(slack: Slack) -> None:
    for name, profile in VOLUNTEERS.items():
        await slack.setup(f"U{name.upper()}", f"volunteer join {profile}")


async def test_help_is_acked_and_answered_privately(slack: Slack) -> None:
    status, body = await slack.command("USAM", "help")
    assert status == 200 and body == ""
    (call,) = await slack.fake.wait_for("response")
    assert call.params["response_type"] == "ephemeral"
    assert "/infochat request" in json.dumps(call.params)
    assert not slack.fake.of("chat.postMessage")


async def test_unknown_subcommand_gets_a_friendly_refusal(slack: Slack) -> None:
    await slack.command("USAM", "frobnicate")
    await slack.fake.wait_for("response")
    assert "I don't know the command" in response_text(slack)


async def test_valid_request_gets_suggestions_with_buttons(slack: Slack) -> None:
    await join_volunteers(slack)
    await slack.command("USAM", GOOD_REQUEST)
    (call,) = await slack.fake.wait_for("response")
    actions = [b for b in call.params["blocks"] if b["type"] == "actions"]
    buttons = actions[0]["elements"]
    assert any(b["text"]["text"].startswith("Ask") for b in buttons)
    assert len({b["action_id"] for b in buttons}) == len(buttons)
    assert all(":" in b["value"] for b in buttons)


async def test_vague_request_is_refused(slack: Slack) -> None:
    await join_volunteers(slack)
    await slack.command("USAM", 'request topic="data" why="job pls" q="can you refer me?"')
    await slack.fake.wait_for("response")
    assert "actions" not in response_text(slack)


async def test_request_without_fields_opens_the_modal(slack: Slack) -> None:
    await slack.command("USAM", "request")
    (call,) = await slack.fake.wait_for("views.open")
    view = call.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["type"] == "modal" and view["callback_id"] == "infochat_form"
    assert {"topic", "why"} <= {b["block_id"] for b in view["blocks"]}


MENTIONS = ("<!channel>", "<!here>", "<!everyone>", "<!subteam^S0ALL|@all>", "@everyone", "@here")


async def test_mass_mentions_never_reach_slack_in_anything_posted(slack: Slack) -> None:
    await join_volunteers(slack)
    why = "I want to learn how data pipelines work day to day " + " ".join(MENTIONS) + " <@U999>"
    text = GOOD_REQUEST.replace(
        "I am a backend developer moving toward data pipelines and want to hear how the work differs day to day",
        why,
    ).replace("/infochat request", f"/infochat request role={MENTIONS[0]!r}")
    await slack.command("USAM", text)
    (call,) = await slack.fake.wait_for("response")
    ask = next(b for b in call.params["blocks"] if b["type"] == "actions")["elements"][0]
    await slack.post(slack.click_body("USAM", ask, "DSAM", "1.1"))
    await settle()
    await slack.worker.drain()
    await slack.fake.wait_for("chat.postMessage")
    await slack.command("USAM", "status")
    await slack.fake.wait_for("response", count=3)
    everything = json.dumps([c.params for c in slack.fake.calls], ensure_ascii=False)
    assert "data pipelines" in everything
    for raw in (*MENTIONS, "<!subteam^", "<@U999>"):
        assert raw not in everything, raw
    assert "&lt;" in everything


async def test_bad_stale_and_tampered_signatures_get_401_and_no_call(slack: Slack) -> None:
    body = slack.command_body("USAM", "help")
    wrong = await slack.post(body, sign(body, secret="not-the-secret"))
    stale = await slack.post(body, sign(body, timestamp=1_000_000_000))
    tampered = await slack.post(body.replace("help", "status"), sign(body))
    unsigned = await slack.post(body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert [wrong[0], stale[0], tampered[0], unsigned[0]] == [401, 401, 401, 401]
    assert slack.fake.calls == []  # no Web API call at all
    assert await slack.count("processed_commands") == 0
    assert (await slack.command("USAM", "help"))[0] == 200  # the fake is up; the next works
    await slack.fake.wait_for("response")


async def test_a_retried_command_has_one_effect(slack: Slack) -> None:
    await join_volunteers(slack)
    body = slack.command_body("USAM", GOOD_REQUEST, trigger_id="trig-retry")
    await slack.post(body)
    await slack.fake.wait_for("response")
    retry = {**sign(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    status, _ = await slack.post(body, retry)
    assert status == 200
    await settle()
    assert await slack.count("requests") == 1
    assert len(slack.fake.of("response")) == 1  # answered once: the retry shows nothing again
