"""Slack's side of `infochat run`: Socket Mode (app-level token) or HTTP mode (bolt's
aiohttp adapter at /slack/events on `slack_host:slack_port`), on a core shared with the other
platforms. `serve_http` and `serve_socket` run Slack alone, with their own database, worker
and runner (the benchmark and the Slack tests use them)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from adapters.inflight import InFlight
from adapters.services import background, services
from adapters.slack.acks import AckFirst
from adapters.slack.app import EVENTS_PATH, build_app, http_app, identify, web_client
from adapters.slack.channels import Channels
from adapters.slack.moderators import Moderators
from adapters.slack.setup_probe import SlackProbe
from adapters.slack.transport import SlackTransport
from bot.app import Infochat
from bot.config import Settings
from bot.outbox import Transport
from bot.setup_checks import SetupProbe

log = logging.getLogger(__name__)


class SlackStartError(RuntimeError):
    """The bot can't start: Slack rejected the token, or couldn't be reached."""


class SlackAdapter:
    """One Slack app: `serve` checks the token (auth.test) and takes events until cancelled;
    the Web API client (and so the transport) stays usable until `close`."""

    name = "slack"

    def __init__(
        self,
        settings: Settings,
        core: Infochat,
        inflight: InFlight,
        host: str | None = None,
        probes: dict[str, SetupProbe] | None = None,
    ) -> None:
        if settings.slack_bot_token is None:
            raise ValueError("Slack needs the bot token")
        self.settings = settings
        self.core = core
        self.inflight = inflight
        self.host = settings.slack_host if host is None else host
        self.socket_mode = settings.slack_app_token is not None
        secret = settings.slack_signing_secret
        if not self.socket_mode and secret is None:
            raise ValueError("Slack HTTP mode needs the signing secret")
        self.secret = secret.get_secret_value() if secret else ""
        self.session = aiohttp.ClientSession()  # one connection pool for every Web API call
        token = settings.slack_bot_token.get_secret_value()
        self.client = web_client(token, settings.slack_api_url, self.session)
        self.channels = Channels(self.client, settings.slack_channels)
        self._transport = SlackTransport(self.client, self.channels)
        self._identified = False
        self.acks = AckFirst()
        self.probes = probes  # where `/infochat mod setup` finds Slack's checks

    def transport(self) -> Transport | None:
        return self._transport if self._identified and not self.session.closed else None

    async def app(self) -> AsyncApp:
        """auth.test, then the bolt app; `SlackStartError` (without the token) on refusal."""
        try:
            identity = await identify(self.client)
        except SlackApiError as exc:
            raise SlackStartError(
                f"Slack didn't accept the bot token (auth.test: {exc.response.get('error')})"
            ) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SlackStartError(
                f"Slack is unreachable at {self.settings.slack_api_url} (auth.test: {exc!r})"
            ) from None
        self._identified = True
        if self.probes is not None:
            self.probes["slack"] = SlackProbe(
                self.client,
                mapped=self.settings.slack_channels,
                moderators=self.settings.slack_moderators,
                moderator_group=self.settings.slack_moderator_group,
            )
        moderators = Moderators(
            self.client,
            self.settings.slack_moderators,
            usergroup=self.settings.slack_moderator_group,
            channel=self.settings.community.moderators_channel,
            channels=self.channels,
        )
        return build_app(
            self.core, self.client, self.secret, identity, moderators, self.acks, self.inflight
        )

    async def serve(self, connected: Callable[[bool], None]) -> None:
        app = await self.app()
        if self.socket_mode:
            await self._socket(app, connected)
        else:
            await self._http(app, connected)

    async def _http(self, app: AsyncApp, connected: Callable[[bool], None]) -> None:
        runner = web.AppRunner(http_app(app, self.acks, self.secret), shutdown_timeout=5.0)
        await runner.setup()
        try:
            port = self.settings.slack_port
            await web.TCPSite(runner, host=self.host or None, port=port).start()
            url = f"http://{self.host or '0.0.0.0'}:{port}{EVENTS_PATH}"
            log.warning("infochat: Slack HTTP mode: listening on %s", url)
            connected(True)
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()  # stops listening, lets requests in progress end

    async def _socket(self, app: AsyncApp, connected: Callable[[bool], None]) -> None:
        assert self.settings.slack_app_token is not None
        handler = AsyncSocketModeHandler(app, self.settings.slack_app_token.get_secret_value())
        try:
            await handler.connect_async()  # type: ignore[no-untyped-call]
            log.warning("infochat: Slack Socket Mode connected")
            connected(True)
            await asyncio.Event().wait()
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]

    async def finish(self, within: float) -> None:
        """Nothing more to wait for: each listener is counted in `InFlight` to its end."""

    async def close(self) -> None:
        await self.session.close()


async def serve_http(
    settings: Settings, ready: asyncio.Event | None = None, host: str | None = None
) -> None:
    """Run until cancelled. Needs the bot token and the signing secret. `host`: the
    interface to listen on (`settings.slack_host` by default)."""
    if settings.slack_signing_secret is None:
        raise ValueError("Slack HTTP mode needs the signing secret")
    await _alone(settings, ready, host)


async def serve_socket(settings: Settings, ready: asyncio.Event | None = None) -> None:
    """Socket Mode: no public URL; events come over a websocket opened with the app token."""
    if settings.slack_app_token is None:
        raise ValueError("Slack Socket Mode needs the app-level token")
    await _alone(settings, ready, None)


async def _alone(settings: Settings, ready: asyncio.Event | None, host: str | None) -> None:
    """Slack by itself, without supervision: a refused token raises `SlackStartError`."""
    async with services(settings) as shared:
        adapter = SlackAdapter(settings, shared.core, shared.inflight, host)
        shared.router.transports["slack"] = adapter.transport

        def up(connected: bool) -> None:
            if connected and ready is not None:
                ready.set()

        try:
            async with background(shared):
                await adapter.serve(up)
        finally:
            await adapter.close()
