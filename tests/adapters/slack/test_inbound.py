"""What reaches /slack/events is checked before bolt sees it: the signature first (401, no
parsing, no log line), then the body's shape (400 and one warning line)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from adapters.slack.serve import serve_socket
from bot.config import Settings
from tests.adapters.slack.clicks import settle
from tests.adapters.slack.harness import TEAM, FakeSlack, Slack, sign

MALFORMED = [
    "payload={not json",
    "payload=[1,2]",
    "payload=%22just%20a%20string%22",
    urlencode({"payload": json.dumps({"type": "block_actions", "user": {"id": "USAM"}})}),
    urlencode(
        {
            "payload": json.dumps(
                {"type": "block_actions", "user": {"id": 7}, "actions": [{"action_id": "x"}]}
            )
        }
    ),
    urlencode(
        {"payload": json.dumps({"type": "block_actions", "user": "USAM", "actions": "click"})}
    ),
    urlencode({"payload": json.dumps({"type": "view_submission", "user": {"id": "USAM"}})}),
    urlencode(
        {
            "payload": json.dumps(
                {"type": "view_submission", "user": {"id": "USAM"}, "view": {"state": []}}
            )
        }
    ),
    urlencode({"payload": json.dumps({"type": "block_suggestion", "user": {"id": "U"}})}),
    urlencode({"command": "/infochat", "text": "help"}),  # no team, no user
    "payload=%FF",
]


def loud(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Log lines at INFO or above, but the HTTP server's access log."""
    return [r for r in caplog.records if r.levelno >= logging.INFO and r.name != "aiohttp.access"]


@pytest.mark.parametrize("body", MALFORMED)
async def test_unsigned_or_badly_signed_gets_401_without_a_log_line(
    slack: Slack, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    unsigned = await slack.post(body, {"Content-Type": "application/x-www-form-urlencoded"})
    wrong = await slack.post(body, sign(body, secret="not-the-secret"))
    odd_stamp = {**sign(body), "X-Slack-Request-Timestamp": "soon"}
    odd = await slack.post(body, odd_stamp)
    assert [unsigned[0], wrong[0], odd[0]] == [401, 401, 401]
    assert not loud(caplog)
    assert not slack.fake.calls


@pytest.mark.parametrize("body", MALFORMED)
async def test_signed_but_malformed_gets_400_and_one_warning(
    slack: Slack, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    status, _ = await slack.post(body)
    assert status == 400
    (line,) = loud(caplog)
    assert line.levelno == logging.WARNING and line.exc_info is None
    assert not slack.fake.calls


async def test_a_malformed_event_gets_400(slack: Slack) -> None:
    body = json.dumps({"type": "event_callback", "team_id": TEAM, "event": "home"})
    status, _ = await slack.post(body, sign(body, content_type="application/json"))
    assert status == 400
    body = "[1, 2]"
    status, _ = await slack.post(body, sign(body, content_type="application/json"))
    assert status == 400


async def test_a_well_formed_request_still_works(slack: Slack) -> None:
    status, _ = await slack.command("USAM", "help")
    assert status == 200
    await slack.fake.wait_for("response")


async def test_a_command_whose_text_says_payload_is_still_a_command(slack: Slack) -> None:
    """bolt alone reads such a form as an empty interactive payload and drops it."""
    status, _ = await slack.command("USAM", "request topic=payload-engineering")
    assert status == 200
    (answer,) = await slack.fake.wait_for("response")
    assert "why: This is required" in answer.params["text"]  # the request was read


async def test_url_verification_is_still_answered(slack: Slack) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "t"})
    status, answer = await slack.post(body, sign(body, content_type="application/json"))
    assert status == 200 and "c-123" in answer


async def test_odd_values_inside_a_well_formed_payload_are_not_trusted(slack: Slack) -> None:
    """A click whose container lacks its message, a pick that isn't a user id: nothing is
    updated at a made-up address, and the form says what is missing."""
    clicked = {"action_id": "infochat:0:request.status", "value": "request.status:"}
    body = slack.click_body("USAM", clicked, "C0GENERAL", "1.1")
    payload = json.loads(dict(parse_qsl(body))["payload"])
    payload["container"] = {"type": "message"}  # no channel, no ts
    status, _ = await slack.post(urlencode({"payload": json.dumps(payload)}))
    assert status == 200
    await settle()
    assert not slack.fake.of("chat.update")
    form = {
        "type": "modal",
        "callback_id": "infochat_form",
        "private_metadata": json.dumps({"action": "ask.suggest", "target": "1"}),
        "blocks": [{"type": "input", "block_id": "colleague", "label": "not a text object"}],
    }
    odd = {"colleague": {"type": "users_select", "selected_user": 7}}
    status, answer = await slack.post(slack.submit_body("UPRIYA", form, odd))
    assert status == 200 and json.loads(answer)["response_action"] == "errors"


async def test_socket_mode_payloads_get_the_same_shape_check(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeSlack()
    server = TestServer(fake.application(), host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("/"))
    settings = Settings(
        data_dir=tmp_path,
        slack_bot_token=SecretStr("xoxb-test"),
        slack_app_token=SecretStr("xapp-test"),
        slack_api_url=f"{fake.url}api/",
    )
    ready = asyncio.Event()
    running = asyncio.create_task(serve_socket(settings, ready))
    try:
        await asyncio.wait_for(ready.wait(), 10)
        started = len(fake.calls)
        caplog.set_level(logging.INFO)
        caplog.clear()
        payload = {"type": "block_actions", "user": {"id": "U1"}, "actions": "click"}
        ack = await fake.push({"envelope_id": "e1", "type": "interactive", "payload": payload})
        assert ack["envelope_id"] == "e1"
        (line,) = loud(caplog)
        assert line.levelno == logging.WARNING and "actions" in line.getMessage()
        assert fake.calls[started:] == []
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await server.close()
