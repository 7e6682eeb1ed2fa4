"""`infochat run` with Slack tokens: Socket Mode (app-level token) or HTTP mode (bolt's
aiohttp adapter at /slack/events), with the outbox's delivery worker and the due-jobs runner
as background tasks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from adapters.slack.acks import AckFirst
from adapters.slack.app import EVENTS_PATH, build_app, http_app, identify, web_client
from adapters.slack.channels import Channels
from adapters.slack.moderators import Moderators
from adapters.slack.transport import SlackTransport
from bot.app import Infochat
from bot.clock import SystemClock
from bot.config import Settings
from bot.outbox import DeliveryWorker
from bot.storage.database import Database

log = logging.getLogger(__name__)


class SlackStartError(RuntimeError):
    """The bot can't start: Slack rejected the token, or couldn't be reached."""


@contextlib.asynccontextmanager
async def running_app(
    settings: Settings, signing_secret: str, acks: AckFirst | None = None
) -> AsyncIterator[AsyncApp]:
    """The migrated database, the core, the bolt app, and the background workers."""
    if settings.slack_bot_token is None:
        raise ValueError("Slack needs the bot token")
    db = Database(settings.database_url)
    await db.migrate()
    clock = SystemClock()
    session = aiohttp.ClientSession()  # one connection pool for every Web API call
    token = settings.slack_bot_token.get_secret_value()
    client = web_client(token, settings.slack_api_url, session)
    try:
        identity = await identify(client)
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
        await session.close()
        await db.dispose()
        reason = exc.response.get("error") if isinstance(exc, SlackApiError) else repr(exc)
        raise SlackStartError(f"Slack didn't accept the bot token (auth.test: {reason})") from exc
    except BaseException:
        await session.close()
        await db.dispose()
        raise
    channels = Channels(client, settings.slack_channels)
    worker = DeliveryWorker(db, SlackTransport(client, channels), clock)
    core = Infochat(db, clock, settings.community, on_commit=worker.wake.set)
    moderators = Moderators(
        client,
        settings.slack_moderators,
        usergroup=settings.slack_moderator_group,
        channel=settings.community.moderators_channel,
        channels=channels,
    )
    app = build_app(core, client, signing_secret, identity, moderators, acks)
    tasks = [
        asyncio.create_task(worker.run_forever(), name="outbox"),
        asyncio.create_task(core.job_runner().run_forever(), name="jobs"),
    ]
    try:
        yield app
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await session.close()
        await db.dispose()


async def serve_http(
    settings: Settings, ready: asyncio.Event | None = None, host: str | None = None
) -> None:
    """Run until cancelled. Needs the bot token and the signing secret. `host`: the
    interface to listen on (all of them by default, as Slack must reach it)."""
    if settings.slack_signing_secret is None:
        raise ValueError("Slack HTTP mode needs the signing secret")
    acks = AckFirst()
    secret = settings.slack_signing_secret.get_secret_value()
    async with running_app(settings, secret, acks) as app:
        runner = web.AppRunner(http_app(app, acks, secret))
        await runner.setup()
        try:
            await web.TCPSite(runner, host=host, port=settings.slack_port).start()
            url = f"http://{host or '0.0.0.0'}:{settings.slack_port}{EVENTS_PATH}"
            log.warning("infochat: Slack HTTP mode: listening on %s", url)
            if ready is not None:
                ready.set()
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()


async def serve_socket(settings: Settings, ready: asyncio.Event | None = None) -> None:
    """Socket Mode: no public URL; events come over a websocket opened with the app token."""
    if settings.slack_app_token is None:
        raise ValueError("Slack Socket Mode needs the app-level token")
    secret = settings.slack_signing_secret
    async with running_app(settings, secret.get_secret_value() if secret else "") as app:
        handler = AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())
        try:
            await handler.connect_async()  # type: ignore[no-untyped-call]
            log.warning("infochat: Slack Socket Mode connected")
            if ready is not None:
                ready.set()
            await asyncio.Event().wait()
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]
