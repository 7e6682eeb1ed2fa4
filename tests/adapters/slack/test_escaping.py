"""`&`, `<` and `>` typed by members: Slack escapes them in a slash command's text (the
harness sends them so), the adapter decodes that once on the way in, and everything posted
escapes them exactly once (mrkdwn); plain text (headers, modal inputs) is not escaped."""

from __future__ import annotations

import json
from typing import Any

from adapters.slack.render import from_slack
from bot.storage.schema import requests, volunteers
from tests.adapters.slack.clicks import settle
from tests.adapters.slack.harness import Slack, view_of
from tests.adapters.slack.test_buttons import labelled
from tests.adapters.slack.test_modals import request_modal, request_values

PROFILE = (
    'volunteer join role="Data & ML <lead>" org="Smith & Sons > Acme" '
    'topics="data engineering, R&D <tools>" timezone=Europe/Berlin '
    'affiliations="Toronto & <Waterloo>"'
)
WHY = (
    "I am a backend developer moving toward data & ML <pipelines> and want to hear how "
    "the work differs day to day"
)
REQUEST = (
    f'request topic="data engineering" why="{WHY}" '
    'q="What does a typical week look like in R&D <labs>?" '
    'q="Which skills mattered most when you moved into data > analytics?" minutes=15'
)
TWICE = ("&amp;amp;", "&amp;lt;", "&amp;gt;")


def posted(slack: Slack) -> str:
    shown = ("chat.postMessage", "chat.update", "response", "views.open", "views.publish")
    return json.dumps([c.params for c in slack.fake.calls if c.method in shown])


def mrkdwn_of(slack: Slack, channel: str) -> str:
    calls = [c for c in slack.fake.of("chat.postMessage") if c.params["channel"] == channel]
    return json.dumps([c.params for c in calls])


async def ask_priya_for_sam(slack: Slack) -> None:
    await slack.command("UPRIYA", PROFILE)
    await settle()
    await slack.command("USAM", REQUEST)
    await settle()
    suggestions = slack.fake.of("response")[-1]
    await slack.post(
        slack.click_body("USAM", labelled(suggestions, "Ask"), "C0GENERAL", "1.1", "ephemeral")
    )
    await settle()
    await slack.worker.drain()


async def test_slash_command_text_is_decoded_once_and_posted_escaped_once(slack: Slack) -> None:
    await ask_priya_for_sam(slack)
    v = volunteers.c
    stored = await slack.one(v.role, v.organisation, v.topics, v.affiliations)
    assert stored.role == "Data & ML <lead>" and stored.organisation == "Smith & Sons > Acme"
    assert "R&D <tools>" in stored.topics and "Toronto & <Waterloo>" in stored.affiliations
    assert (await slack.one(requests.c.why)).why == WHY
    everything = posted(slack)
    for twice in TWICE:
        assert twice not in everything, twice
    suggestions = json.dumps([c.params for c in slack.fake.of("response")])
    assert "Data &amp; ML &lt;lead&gt; at Smith &amp; Sons &gt; Acme" in suggestions
    ask = mrkdwn_of(slack, "DUPRIYA")
    assert "data &amp; ML &lt;pipelines&gt;" in ask
    assert "R&amp;D &lt;labs&gt;?" in ask and "data &gt; analytics?" in ask


async def test_a_profile_shows_in_its_modal_as_typed(slack: Slack) -> None:
    await slack.command("UPRIYA", PROFILE)
    await slack.fake.wait_for("response")
    await slack.command("UPRIYA", "volunteer edit")
    (opened,) = await slack.fake.wait_for("views.open")
    initial = {
        b["block_id"]: b["element"].get("initial_value")
        for b in view_of(opened)["blocks"]
        if b["element"]["type"] == "plain_text_input"
    }
    assert initial["role"] == "Data & ML <lead>"  # plain text: never entity-escaped
    assert initial["organisation"] == "Smith & Sons > Acme"
    assert "Toronto & <Waterloo>" in initial["affiliations"]


async def test_modal_values_arrive_unescaped_and_are_posted_escaped_once(slack: Slack) -> None:
    await slack.setup("UPRIYA", PROFILE)
    view = await request_modal(slack)
    values: dict[str, Any] = request_values("15", "Europe/Berlin")
    values["why"] = WHY
    values["questions"] = "What does a typical week look like in R&D <labs>?\nWhat is a > b?"
    status, body = await slack.post(slack.submit_body("USAM", view, values))
    assert status == 200 and body == ""
    (suggestions,) = await slack.fake.wait_for("chat.postMessage")  # a DM from a modal
    assert (await slack.one(requests.c.why)).why == WHY
    await slack.post(
        slack.click_body("USAM", labelled(suggestions, "Ask"), "DUSAM", "2.2", "message")
    )
    await settle()
    await slack.worker.drain()
    ask = mrkdwn_of(slack, "DUPRIYA")
    assert "data &amp; ML &lt;pipelines&gt;" in ask and "R&amp;D &lt;labs&gt;?" in ask
    for twice in TWICE:
        assert twice not in posted(slack), twice


def test_slack_control_sequences_read_as_text() -> None:
    assert from_slack("a &amp;lt; b &lt;tag&gt; &amp; c") == "a &lt; b <tag> & c"
    assert from_slack("ask <@U123|dana> in <#C1|general>") == "ask @dana in #general"
    assert from_slack("see <https://example.org|the docs> or <https://x.org>") == (
        "see the docs or https://x.org"
    )
    assert from_slack("<!here> and <!subteam^S1|@mods>") == "@here and @mods"
