"""Building the slack-bolt `AsyncApp`: one slash command, buttons, modals with external
selects, and the App Home tab, all through the handlers in `handler.py`."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.acks import AckFirst
from adapters.slack.handler import Handlers
from adapters.slack.modals import FORM_CALLBACK, VALUE_ACTION
from adapters.slack.moderators import Moderators
from adapters.slack.render import ACTION_PREFIX
from adapters.slack.replies import Replies
from bot.app import Infochat

COMMAND = "/infochat"
EVENTS_PATH = "/slack/events"


def web_client(
    token: str, base_url: str, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """The Web API client; with `session`, calls share its connection pool (without, each
    call opens and closes its own)."""
    return AsyncWebClient(token=token, base_url=base_url, session=session)


def http_app(app: AsyncApp, acks: AckFirst, port: int = 3000) -> web.Application:
    """HTTP mode: bolt's aiohttp app at /slack/events, counting requests for `acks`."""
    application = app.web_app(path=EVENTS_PATH, port=port)
    application.middlewares.append(acks.middleware)
    return application


def build_app(
    core: Infochat,
    client: AsyncWebClient,
    signing_secret: str,
    moderators: Moderators | None = None,
    acks: AckFirst | None = None,
) -> AsyncApp:
    app = AsyncApp(client=client, signing_secret=signing_secret)
    handlers = Handlers(core, moderators or Moderators(client), Replies(client), acks or AckFirst())

    @app.command(COMMAND)
    async def infochat_command(ack: AsyncAck, body: dict[str, Any]) -> None:
        await handlers.on_command(ack, body)

    @app.action(re.compile(f"^{ACTION_PREFIX}:"))
    async def infochat_button(ack: AsyncAck, body: dict[str, Any]) -> None:
        await handlers.on_action(ack, body)

    @app.view(FORM_CALLBACK)
    async def infochat_form(ack: AsyncAck, body: dict[str, Any]) -> None:
        await handlers.on_submit(ack, body)

    @app.options(VALUE_ACTION)
    async def infochat_options(ack: AsyncAck, body: dict[str, Any]) -> None:
        await handlers.on_options(ack, body)

    @app.event("app_home_opened")
    async def infochat_home(body: dict[str, Any], event: dict[str, Any]) -> None:
        await handlers.on_home_opened(body, event)

    return app
