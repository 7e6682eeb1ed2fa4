"""Building the slack-bolt `AsyncApp`: one slash command, buttons, modals with external
selects, and the App Home tab, all through the handlers in `handler.py`."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.inflight import InFlight
from adapters.slack.acks import AckFirst
from adapters.slack.handler import Handlers
from adapters.slack.inbound import Endpoint
from adapters.slack.modals import FORM_CALLBACK, VALUE_ACTION
from adapters.slack.moderators import Moderators
from adapters.slack.payloads import Malformed, check
from adapters.slack.render import ACTION_PREFIX
from adapters.slack.replies import Replies
from bot.app import Infochat

log = logging.getLogger(__name__)
COMMAND = "/infochat"
EVENTS_PATH = "/slack/events"


def web_client(
    token: str, base_url: str, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """The Web API client; with `session`, calls share its connection pool (without, each
    call opens and closes its own)."""
    return AsyncWebClient(token=token, base_url=base_url, session=session)


def http_app(app: AsyncApp, acks: AckFirst, signing_secret: str) -> web.Application:
    """HTTP mode: one endpoint at /slack/events (signature, then shape, then bolt),
    counting requests for `acks`."""
    application = web.Application(middlewares=[acks.middleware])
    application.router.add_post(EVENTS_PATH, Endpoint(app, signing_secret).handle)
    return application


async def identify(client: AsyncWebClient) -> AuthorizeResult:
    """auth.test, once at start-up: who the bot is. Requests then never wait for it (bolt
    would call it on the first request, on the way to that request's ack)."""
    response = await client.auth_test()
    return AuthorizeResult.from_auth_test_response(
        auth_test_response=response, bot_token=client.token
    )


def build_app(
    core: Infochat,
    client: AsyncWebClient,
    signing_secret: str,
    identity: AuthorizeResult,
    moderators: Moderators | None = None,
    acks: AckFirst | None = None,
    inflight: InFlight | None = None,
) -> AsyncApp:
    """`inflight` counts every listener from the ack to the end of its work, so a shutdown
    lets the commands it acknowledged finish."""
    inflight = inflight or InFlight()

    async def authorize(**_: Any) -> AuthorizeResult:
        return identity

    # The app's own client carries no token: bolt takes it from `authorize` per request.
    tokenless = AsyncWebClient(base_url=client.base_url, session=client.session)
    app = AsyncApp(client=tokenless, signing_secret=signing_secret, authorize=authorize)
    moderators = moderators or Moderators(client)
    handlers = Handlers(core, moderators, Replies(client), acks or AckFirst())

    @app.middleware
    async def well_formed(body: dict[str, Any], next: Callable[[], Awaitable[Any]]) -> Any:
        """Socket Mode's payloads get the shape check HTTP mode's endpoint does; one that
        fails is acknowledged (so it isn't sent again) and dropped."""
        try:
            check(body)
        except Malformed as exc:
            log.warning("slack: a payload that isn't what Slack sends: %s", exc)
            return BoltResponse(status=200, body="")
        return await next()

    @app.command(COMMAND)
    async def infochat_command(ack: AsyncAck, body: dict[str, Any]) -> None:
        async with inflight.track():
            await handlers.on_command(ack, body)

    @app.action(re.compile(f"^{ACTION_PREFIX}:"))
    async def infochat_button(ack: AsyncAck, body: dict[str, Any]) -> None:
        async with inflight.track():
            await handlers.on_action(ack, body)

    @app.action(VALUE_ACTION)
    async def infochat_picked(ack: AsyncAck, body: dict[str, Any]) -> None:
        async with inflight.track():
            await handlers.on_picked(ack, body)

    @app.view(FORM_CALLBACK)
    async def infochat_form(ack: AsyncAck, body: dict[str, Any]) -> None:
        async with inflight.track():
            await handlers.on_submit(ack, body)

    @app.options(VALUE_ACTION)
    async def infochat_options(ack: AsyncAck, body: dict[str, Any]) -> None:
        async with inflight.track():
            await handlers.on_options(ack, body)

    @app.event("app_home_opened")
    async def infochat_home(body: dict[str, Any], event: dict[str, Any]) -> None:
        async with inflight.track():
            await handlers.on_home_opened(body, event)

    return app
