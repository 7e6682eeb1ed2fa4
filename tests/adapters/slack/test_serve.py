"""`infochat run` with Slack settings: HTTP mode and Socket Mode start, answer, stop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from adapters import cli
from adapters.services import services
from adapters.slack.serve import SlackAdapter, SlackStartError, serve_http, serve_socket
from bot.config import Settings, load_settings
from tests.adapters.slack.harness import SECRET, FakeSlack, sign


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_http_mode_serves_slash_commands_and_delivers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeSlack()
    server = TestServer(fake.application(), host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("/"))
    port = free_port()
    settings = Settings(
        data_dir=tmp_path,
        slack_bot_token=SecretStr("xoxb-test"),
        slack_signing_secret=SecretStr(SECRET),
        slack_api_url=f"{fake.url}api",
        slack_port=port,
    )
    ready = asyncio.Event()
    running = asyncio.create_task(serve_http(settings, ready))
    try:
        await asyncio.wait_for(ready.wait(), 10)
        url = f"http://0.0.0.0:{port}/slack/events"
        assert f"infochat: Slack HTTP mode: listening on {url}" in caplog.messages
        body = (
            "team_id=T1&team_domain=acme&user_id=U1&user_name=sam&command=%2Finfochat&text=help"
            f"&trigger_id=t1&response_url={fake.url}response/t1"
        )
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{port}/slack/events"
            async with session.post(url, data=body, headers=sign(body)) as response:
                assert response.status == 200
        (call,) = await fake.wait_for("response")
        assert "help" in str(call.params).lower()
        assert (tmp_path / "infochat.db").exists()
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await server.close()


def test_slack_needs_the_signing_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INFOCHAT_SLACK_BOT_TOKEN", "xoxb-very-secret")
    assert cli.main(["run"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "INFOCHAT_SLACK_SIGNING_SECRET" in err and "xoxb-very-secret" not in err


@pytest.mark.parametrize(
    ("env", "mode"),
    [
        ({"INFOCHAT_SLACK_SIGNING_SECRET": "s"}, False),
        ({"INFOCHAT_SLACK_APP_TOKEN": "xapp-1"}, True),
    ],
)
async def test_the_app_token_picks_socket_mode_else_http(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], mode: bool, tmp_path: Path
) -> None:
    monkeypatch.setenv("INFOCHAT_SLACK_BOT_TOKEN", "xoxb-1")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(data_dir=tmp_path)
    assert settings.platforms == ("slack",)
    async with services(settings) as shared:
        adapter = SlackAdapter(settings, shared.core, shared.inflight)
        try:
            assert adapter.socket_mode is mode
            assert adapter.transport() is None  # until auth.test has accepted the token
        finally:
            await adapter.close()


async def test_socket_mode_acks_a_command_and_answers(tmp_path: Path) -> None:
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
        payload = {
            "team_id": "T1",
            "team_domain": "acme",
            "user_id": "U1",
            "user_name": "sam",
            "command": "/infochat",
            "text": "help",
            "trigger_id": "t1",
            "response_url": f"{fake.url}response/t1",
        }
        envelope = {
            "envelope_id": "e1",
            "type": "slash_commands",
            "payload": payload,
            "accepts_response_payload": True,
        }
        ack = await fake.push(envelope)
        assert ack["envelope_id"] == "e1"
        (call,) = await fake.wait_for("response")
        assert "help" in str(call.params).lower()
        (opened,) = fake.of("apps.connections.open")
        assert opened.headers["Authorization"] == "Bearer xapp-test"
        home = {
            "type": "event_callback",
            "team_id": "T1",
            "event_id": "Ev1",
            "event": {"type": "app_home_opened", "user": "U1", "tab": "home"},
        }
        ack = await fake.push({"envelope_id": "e2", "type": "events_api", "payload": home})
        assert ack["envelope_id"] == "e2"
        (published,) = await fake.wait_for("views.publish")
        assert published.params["user_id"] == "U1"
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await server.close()


async def test_an_unreachable_api_is_named_as_such_not_as_a_refused_token(
    tmp_path: Path,
) -> None:
    closed = free_port()  # nothing listens there
    settings = Settings(
        data_dir=tmp_path,
        slack_bot_token=SecretStr("xoxb-unsent"),
        slack_signing_secret=SecretStr(SECRET),
        slack_api_url=f"http://127.0.0.1:{closed}/api/",
        slack_port=free_port(),
    )
    with pytest.raises(SlackStartError) as raised:
        await serve_http(settings)
    message = str(raised.value)
    assert message.startswith(f"Slack is unreachable at http://127.0.0.1:{closed}/api/")
    assert "didn't accept" not in message and "xoxb-unsent" not in message


async def test_a_rejected_token_stops_the_start_with_the_reason(tmp_path: Path) -> None:
    fake = FakeSlack()
    server = TestServer(fake.application(), host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("/"))
    fake.fail("auth.test", ok=False, error="invalid_auth")
    settings = Settings(
        data_dir=tmp_path,
        slack_bot_token=SecretStr("xoxb-revoked"),
        slack_signing_secret=SecretStr(SECRET),
        slack_api_url=f"{fake.url}api/",
        slack_port=free_port(),
    )
    try:
        with pytest.raises(SlackStartError, match="invalid_auth") as raised:
            await serve_http(settings)
        assert "xoxb-revoked" not in str(raised.value)
    finally:
        await server.close()
