"""Building the slack-bolt `AsyncApp`: one slash command, buttons and modals, all through
the handlers in `handler.py`."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.handler import Handlers
from adapters.slack.moderators import Moderators
from adapters.slack.render import ACTION_PREFIX, FORM_CALLBACK
from bot.app import Infochat

COMMAND = "/infochat"
EVENTS_PATH = "/slack/events"


def web_client(token: str, base_url: str) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=base_url)


def build_app(
    core: Infochat,
    client: AsyncWebClient,
    signing_secret: str,
    moderator_group: str = "",
) -> AsyncApp:
    app = AsyncApp(client=client, signing_secret=signing_secret)
    handlers = Handlers(core, Moderators(client, moderator_group))

    @app.command(COMMAND)
    async def infochat_command(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await handlers.on_command(ack, body, respond, client)

    @app.action(re.compile(f"^{ACTION_PREFIX}:"))
    async def infochat_button(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await handlers.on_action(ack, body, respond, client)

    @app.view(FORM_CALLBACK)
    async def infochat_form(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await handlers.on_submit(ack, body, client)

    return app
