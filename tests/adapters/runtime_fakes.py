"""Slack's and Discord's fakes together, and the settings of an `infochat run` that uses
both (HTTP mode for Slack): for the tests of the runtime, in-process and in a subprocess."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp.test_utils import TestServer

from tests.adapters.discord.gateway import FakeGateway
from tests.adapters.discord.harness import FakeDiscord
from tests.adapters.discord.payloads import GUILD_ID
from tests.adapters.slack.harness import DOMAIN, SECRET, TEAM, FakeSlack, sign


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Fakes:
    slack: FakeSlack
    discord: FakeDiscord
    gateway: FakeGateway
    slack_port: int
    ops_port: int

    def env(self, data_dir: Path) -> dict[str, str]:
        """INFOCHAT_* settings of a process that serves both platforms against the fakes."""
        return {
            "INFOCHAT_DATA_DIR": str(data_dir),
            "INFOCHAT_SLACK_BOT_TOKEN": "xoxb-fake-runtime-token",
            "INFOCHAT_SLACK_SIGNING_SECRET": SECRET,
            "INFOCHAT_SLACK_API_URL": f"{self.slack.url}api/",
            "INFOCHAT_SLACK_PORT": str(self.slack_port),
            "INFOCHAT_SLACK_HOST": "127.0.0.1",
            "INFOCHAT_DISCORD_TOKEN": "fake-discord-runtime-token",
            "INFOCHAT_DISCORD_API_BASE": self.discord.base,
            "INFOCHAT_DISCORD_GUILD_ID": GUILD_ID,
            "INFOCHAT_OPS_ADDRESS": f"127.0.0.1:{self.ops_port}",
        }

    def settings(self, data_dir: Path) -> dict[str, Any]:
        """The same, as keyword arguments of `load_settings`."""
        return {k.removeprefix("INFOCHAT_").lower(): v for k, v in self.env(data_dir).items()}

    async def command(self, user: str, text: str, trigger: str) -> int:
        """A signed Slack slash command to the bot's HTTP endpoint; the status it got."""
        body = urlencode(
            {
                "team_id": TEAM,
                "team_domain": DOMAIN,
                "channel_id": "C0GENERAL",
                "user_id": user,
                "user_name": user.lower(),
                "command": "/infochat",
                "text": text,
                "response_url": f"{self.slack.url}response/{user}/{trigger}",
                "trigger_id": trigger,
            }
        )
        url = f"http://127.0.0.1:{self.slack_port}/slack/events"
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=body, headers=sign(body)) as response,
        ):
            return response.status


@contextlib.asynccontextmanager
async def fakes() -> AsyncIterator[Fakes]:
    slack = FakeSlack()
    slack_server = TestServer(slack.application(), host="127.0.0.1")
    await slack_server.start_server()
    slack.url = str(slack_server.make_url("/"))
    discord = FakeDiscord()
    await discord.start()
    gateway = FakeGateway()
    await gateway.start()
    discord.gateway_url = gateway.url
    try:
        yield Fakes(slack, discord, gateway, free_port(), free_port())
    finally:
        await gateway.close()
        await discord.close()
        await slack_server.close()
