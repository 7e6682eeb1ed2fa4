"""Nothing on the way to an ack waits for Slack: with the Web API answering slowly, a modal
submit is answered at once, and no Web API call arrives before that answer. auth.test runs
once, at start-up; names and the moderator check come from caches there."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from adapters.slack.serve import serve_http
from bot.config import Settings
from tests.adapters.slack.clicks import settle
from tests.adapters.slack.harness import SECRET, Call, FakeSlack, Slack, sign
from tests.adapters.slack.test_buttons import labelled
from tests.adapters.slack.test_modals import request_values
from tests.adapters.slack.test_moderation import approval, approving  # noqa: F401
from tests.adapters.slack.test_serve import free_port

SLOW = 2.0  # seconds Slack takes to answer each Web API call: anything awaited shows
# Lookups a listener might make before its ack (who is this, are they a moderator).
LOOKUPS = {"auth.test", "users.info", "conversations.list", "conversations.members"}


def lookups(calls: list[Call]) -> list[str]:
    return [c.method for c in calls if c.method in LOOKUPS or c.method.startswith("usergroups")]


def request_submit(fake_url: str) -> str:
    """A request modal's submit, from a modal opened before the bot (re)started."""
    blocks = [
        {"type": "input", "block_id": name, "label": {"type": "plain_text", "text": label}}
        for name, label in (
            ("topic", "Topic"),
            ("why", "Why"),
            ("questions", "Questions (one per line)"),
            ("minutes", "Minutes"),
            ("timezone", "Time zone"),
        )
    ]
    values = request_values("20", "Europe/Berlin")
    state = {
        name: {"value": v if isinstance(v, dict) else {"type": "plain_text_input", "value": v}}
        for name, v in values.items()
    }
    view = {
        "id": "V1",
        "type": "modal",
        "callback_id": "infochat_form",
        "private_metadata": json.dumps({"action": "request.create", "target": ""}),
        "blocks": blocks,
        "state": {"values": state},
    }
    payload = {
        "type": "view_submission",
        "team": {"id": "T1", "domain": "acme"},
        "user": {"id": "USAM", "username": "sam"},
        "view": view,
        "response_url": f"{fake_url}response/sam",
    }
    return urlencode({"payload": json.dumps(payload)})


async def test_the_first_submit_after_a_start_waits_for_no_web_api_call(tmp_path: Path) -> None:
    fake = FakeSlack(latency=SLOW, moderators={"UMO"})
    server = TestServer(fake.application(), host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("/"))
    port = free_port()
    settings = Settings(
        data_dir=tmp_path,
        slack_bot_token=SecretStr("xoxb-test"),
        slack_signing_secret=SecretStr(SECRET),
        slack_api_url=f"{fake.url}api/",
        slack_port=port,
    )
    ready = asyncio.Event()
    running = asyncio.create_task(serve_http(settings, ready, host="127.0.0.1"))
    try:
        await asyncio.wait_for(ready.wait(), 10)
        assert [c.method for c in fake.calls] == ["auth.test"]  # at start-up, once
        body = request_submit(fake.url)
        loop = asyncio.get_running_loop()
        async with aiohttp.ClientSession() as session:
            start = loop.time()
            url = f"http://127.0.0.1:{port}/slack/events"
            async with session.post(url, data=body, headers=sign(body)) as response:
                answer = await response.text()
                answered = loop.time()
        assert response.status == 200 and answer == ""
        assert answered - start < SLOW  # no Web API call was waited for
        await fake.wait_for("chat.postMessage", within=10)  # the reply, after the ack
        assert lookups(fake.arrived_between(start, answered)) == []
        assert [c.method for c in fake.calls].count("auth.test") == 1
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await server.close()


async def test_a_moderators_form_is_answered_from_the_cache_its_button_warmed(
    approving: Slack,  # noqa: F811
) -> None:
    slack = approving
    message = await approval(slack)
    await slack.post(slack.click_body("UMOD", labelled(message, "Deny"), "C0MODS", "5.5"))
    (opened,) = await slack.fake.wait_for("views.open")
    await settle()  # the click looked mo up, after its ack
    view: dict[str, Any] = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    slack.fake.latency = SLOW
    loop = asyncio.get_running_loop()
    start = loop.time()
    reason = {"reason": "Priya is on leave this month."}
    status, body = await slack.post(slack.submit_body("UMOD", view, reason))
    answered = loop.time()
    assert status == 200 and body == ""  # a moderator: denied, not refused
    assert answered - start < SLOW  # no Web API call was waited for
    await slack.fake.wait_for("chat.update", within=10)
    assert lookups(slack.fake.arrived_between(start, answered)) == []
    assert await slack.count("introductions") == 0
