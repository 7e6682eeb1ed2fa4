"""A real `infochat run` in Slack HTTP mode and Socket Mode, at DEBUG, logging in text and in
JSON: the bot token, the app-level token and the signing secret appear in no line, whoever
logged it (slack_sdk logs each request it makes at DEBUG), and every JSON line parses. A
refused token is not logged either."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from tests.adapters.process import (
    assert_context_logged,
    environment,
    free_port,
    infochat_run,
    run_until_logged,
)
from tests.adapters.slack.harness import DOMAIN, TEAM, FakeSlack, sign

BOT_TOKEN = "xoxb-4242-SLACKBOTTOKEN-q7f3"
SIGNING_SECRET = "SLACKSIGNING-5e1d-secret"
APP_TOKEN = "xapp-1-A0APP-SLACKAPPTOKEN-9d2c"
SECRETS = (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, "SLACKBOTTOKEN", "SLACKSIGNING", "SLACKAPPTOKEN")


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack()
    server = TestServer(slack.application(), host="127.0.0.1")
    await server.start_server()
    slack.url = str(server.make_url("/"))
    yield slack
    await server.close()


def command(fake: FakeSlack, user: str, text: str, trigger: str) -> str:
    return urlencode(
        {
            "team_id": TEAM,
            "team_domain": DOMAIN,
            "channel_id": "C0GENERAL",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/infochat",
            "text": text,
            "response_url": f"{fake.url}response/{trigger}",
            "trigger_id": trigger,
        }
    )


def assert_no_secret(output: str) -> None:
    assert output.strip(), "the run logged nothing: nothing was checked"
    for secret in SECRETS:
        assert secret not in output


# A member pastes the token by mistake: the refusal quotes it back to them, and slack_sdk
# logs that reply's body at DEBUG, where the filter must catch it. The export is a delivery:
# the outbox's worker uploads the file to the member's DM.
COMMANDS = (("help", "t1"), ("me export", "t2"), (f"help {BOT_TOKEN}", "t3"))


async def over_http(fake: FakeSlack, port: int) -> None:
    async with aiohttp.ClientSession() as session:
        for text, trigger in COMMANDS:
            body = command(fake, "U0SAM", text, trigger)
            url = f"http://127.0.0.1:{port}/slack/events"
            async with session.post(url, data=body, headers=sign(body, SIGNING_SECRET)) as r:
                assert r.status == 200


async def over_socket_mode(fake: FakeSlack) -> None:
    for text, trigger in COMMANDS:
        payload = dict(parse_qsl(command(fake, "U0SAM", text, trigger)))
        envelope = {"envelope_id": trigger, "type": "slash_commands", "payload": payload}
        ack = await fake.push(envelope, within=30)
        assert ack["envelope_id"] == trigger


@pytest.mark.parametrize("mode", ["http", "socket"])
@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_a_debug_run_logs_no_secret(
    fake: FakeSlack, tmp_path: Path, log_format: str, mode: str
) -> None:
    port = free_port()
    env = environment(
        tmp_path,
        log_level="DEBUG",
        log_format=log_format,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=f"{fake.url}api/",
        slack_port=str(port),
        slack_host="127.0.0.1",
        **({"slack_app_token": APP_TOKEN} if mode == "socket" else {}),
    )
    async with infochat_run(tmp_path, env) as run:
        if mode == "http":
            await run.listening(port)
            await over_http(fake, port)
        else:
            await over_socket_mode(fake)
            (opened,) = fake.of("apps.connections.open")
            assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"  # it was in use
        answers = await fake.wait_for("response", count=3, within=30)  # all answered
        assert any(BOT_TOKEN in call.raw.decode() for call in answers)
        (done,) = await fake.wait_for("files.completeUploadExternal", within=30)
        assert done.headers["Authorization"] == f"Bearer {BOT_TOKEN}"  # it was in use
    assert run.process.returncode == 0  # SIGTERM: a clean stop
    assert_no_secret(run.output)
    assert "slack_sdk" in run.output  # the library's DEBUG request lines are among them
    assert_context_logged(run, log_format)


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_a_refused_token_is_not_logged(
    fake: FakeSlack, tmp_path: Path, log_format: str
) -> None:
    fake.fail("auth.test", ok=False, error="invalid_auth")
    env = environment(
        tmp_path,
        log_level="DEBUG",
        log_format=log_format,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=f"{fake.url}api/",
        slack_port=str(free_port()),
        slack_host="127.0.0.1",
    )
    # Refused, it is retried with backoff (the other platform would go on); SIGTERM ends it.
    run = await run_until_logged(tmp_path, env, "retrying in")
    assert run.process.returncode == 0
    assert "invalid_auth" in run.output
    assert_no_secret(run.output)
    (call,) = fake.of("auth.test")
    assert call.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
