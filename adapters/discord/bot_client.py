"""The discord.py client: minimal intents, the `/infochat` command tree, persistent buttons,
modal pages, sharding, and `DiscordAdapter`, which `infochat run` starts when a Discord token
is configured."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord
import yarl

from adapters.discord.commands import InfochatTree, build_group, build_mod_group
from adapters.discord.drafts import Drafts
from adapters.discord.forms import DraftButton, on_page_submit
from adapters.discord.interactions import CoreProtocol, PayloadButton, on_unknown_button
from adapters.discord.replies import answered_once
from adapters.discord.transport import DiscordTransport
from adapters.services import background, services
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.outbox import Transport
from bot.setup_checks import SetupProbe

log = logging.getLogger(__name__)

# discord.py waits out shorter rate limits itself; longer ones raise, and the outbox retries.
MAX_RATELIMIT_WAIT = 30.0


def intents() -> discord.Intents:
    """Guilds only: interactions arrive without privileged intents (no members, no content)."""
    result = discord.Intents.none()
    result.guilds = True
    return result


def permissions() -> discord.Permissions:
    """What the bot needs in a server (README, *Discord*, explains each one)."""
    return discord.Permissions(
        view_channel=True,
        send_messages=True,
        embed_links=True,
        attach_files=True,
        create_private_threads=True,
        send_messages_in_threads=True,
    )


def invite_url(application_id: int | str) -> str:
    return (
        f"https://discord.com/oauth2/authorize?client_id={application_id}"
        f"&scope=bot+applications.commands&permissions={permissions().value}"
    )


def use_api_base(base: str) -> None:
    """Point discord.py's REST calls (and interaction callbacks) at `base`."""
    discord.http.Route.BASE = base.rstrip("/")


def shard_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `AutoShardedClient`, or {} for one unsharded connection."""
    if not settings.discord_sharded:
        return {}
    options: dict[str, Any] = {"shard_count": settings.discord_shard_count}
    if settings.discord_shard_ids is not None:
        options["shard_ids"] = list(settings.discord_shard_ids)
    return options


class InfochatClient(discord.Client):
    def __init__(
        self,
        core: CoreProtocol,
        *,
        moderator_role: str = "Moderator",
        guild_id: int | None = None,
        gateway_url: str | None = None,
        sync_commands: bool = True,
        background: Sequence[Callable[[], Awaitable[None]]] = (),
        clock: Clock | None = None,
        **options: Any,
    ) -> None:
        super().__init__(intents=intents(), max_ratelimit_timeout=MAX_RATELIMIT_WAIT, **options)
        self.core = core
        self.moderator_role = moderator_role
        self.drafts = Drafts(clock or SystemClock())
        self.guild_id = guild_id
        self.gateway_url = gateway_url
        self.sync_commands = sync_commands
        self.background = background
        self._tasks: list[asyncio.Task[None]] = []
        # Told True when the gateway is READY (or RESUMED), False when it disconnects.
        self.on_state: Callable[[bool], None] = lambda _: None
        self.tree = InfochatTree(self)
        self.tree.add_command(build_group())
        self.tree.add_command(build_mod_group())

    async def setup_hook(self) -> None:
        if self.application_id is not None:
            log.info("discord: invite the bot with %s", invite_url(self.application_id))
        # Buttons of any message, including those sent before a restart.
        self.add_dynamic_items(PayloadButton, DraftButton)
        if self.sync_commands:
            if self.guild_id is not None:
                guild = discord.Object(self.guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
            else:
                synced = await self.tree.sync()
            log.info("discord: %s application commands synced", len(synced))
        self._tasks = [asyncio.create_task(_forever(job)) for job in self.background]

    async def connect(self, *, reconnect: bool = True) -> None:
        await self.use_gateway()
        await super().connect(reconnect=reconnect)

    async def use_gateway(self) -> None:
        """Dial the gateway of the configured API (`GET /gateway/bot`), or `gateway_url`.

        discord.py dials its built-in address (Discord's own gateway) for an unsharded first
        connect, for a session Discord invalidated and for shards of a fixed count; behind a
        REST and gateway proxy, or in a test against a local fake, that address is wrong. The
        READY event's `resume_gateway_url` is still used for resuming, as Discord asks."""
        url = self.gateway_url
        if url is None:
            _, url, _ = await self.http.get_bot_gateway()
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        log.info("discord: gateway %s", url)

    async def on_ready(self) -> None:
        self.on_state(True)

    async def on_resumed(self) -> None:
        self.on_state(True)

    async def on_disconnect(self) -> None:
        self.on_state(False)

    async def close_gateway(self) -> None:
        """Stop taking events: the gateway connection(s) close, the REST client stays."""
        if isinstance(self, discord.AutoShardedClient):
            for shard in self.shards.values():
                await shard.disconnect()
        elif self.ws is not None and self.ws.open:
            await self.ws.close(code=1000)
        self.on_state(False)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Modal pages are answered here, so a submit after a restart still gets a reply;
        so is a click on a button that is none of ours."""
        with answered_once(interaction):
            await on_page_submit(interaction)
            await on_unknown_button(interaction)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await super().close()


class ShardedInfochatClient(InfochatClient, discord.AutoShardedClient):
    """The same bot over several gateway connections (discord.py's AutoShardedClient):
    all shards, or the `shard_ids` this process runs."""


def make_client(
    core: CoreProtocol, settings: Settings, clock: Clock, **options: Any
) -> InfochatClient:
    """The client the settings ask for; `options` go to discord.py (e.g. `guild_ready_timeout`)."""
    options.update(shard_options(settings))
    kind = ShardedInfochatClient if settings.discord_sharded else InfochatClient
    return kind(
        core,
        moderator_role=settings.discord_moderator_role,
        guild_id=settings.discord_guild_id,
        gateway_url=settings.discord_gateway_url,
        clock=clock,
        **options,
    )


async def _forever(job: Callable[[], Awaitable[None]]) -> None:
    try:
        await job()
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("discord: background task stopped")


class DiscordAdapter:
    """Discord's side of `infochat run`: a fresh client for each connection attempt (login,
    command sync, gateway). Cancelled, `serve` closes the gateway connection only: the REST
    client goes on sending replies to interactions in progress and the outbox's messages
    until `close`."""

    name = "discord"

    def __init__(
        self,
        settings: Settings,
        core: CoreProtocol,
        clock: Clock,
        probes: dict[str, SetupProbe] | None = None,
        **options: Any,
    ) -> None:
        if settings.discord_token is None:
            raise ValueError("Discord needs a token")
        self.settings = settings
        self.probes = probes  # where `/infochat mod setup` finds Discord's checks
        self.core = core
        self.clock = clock
        self.options = options  # for discord.py (e.g. `guild_ready_timeout` in tests)
        self.client: InfochatClient | None = None
        self._transport: DiscordTransport | None = None

    def transport(self) -> Transport | None:
        if self.client is None or self.client.is_closed():
            return None
        return self._transport

    async def serve(self, connected: Callable[[bool], None]) -> None:
        assert self.settings.discord_token is not None
        await self.close()  # the previous attempt's client, if any
        use_api_base(self.settings.discord_api_base)
        client = make_client(self.core, self.settings, self.clock, **self.options)
        client.on_state = connected
        self.client = client
        try:
            await client.login(self.settings.discord_token.get_secret_value())
            self._probe(client)
            self._transport = DiscordTransport(
                client, self.settings.community.introductions_channel
            )
            await client.connect(reconnect=True)
        except discord.LoginFailure:
            await client.close()
            raise DiscordStartError("Discord refused the token (INFOCHAT_DISCORD_TOKEN)") from None
        except asyncio.CancelledError:
            await asyncio.shield(client.close_gateway())
            raise
        except BaseException:
            await client.close()
            raise

    def _probe(self, client: InfochatClient) -> None:
        """Discord's setup checks on this client's REST session (known once logged in)."""
        if self.probes is None or client.user is None:
            return
        from adapters.discord.setup_probe import DiscordProbe  # it imports this module

        self.probes["discord"] = DiscordProbe(
            client.http,
            str(client.user.id),
            moderator_role=self.settings.discord_moderator_role,
            application_id=str(client.application_id or client.user.id),
        )

    async def finish(self, within: float) -> None:
        """Wait (at most `within` s) for the handlers of interactions already received: the
        core's part is counted in `InFlight`, the reply sent after it is not."""
        loop_task = asyncio.current_task()
        pending = [
            task
            for task in asyncio.all_tasks()
            if task is not loop_task and not task.done() and task.get_name().startswith(HANDLERS)
        ]
        if pending and within > 0:
            await asyncio.wait(pending, timeout=within)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()


# discord.py's names for the tasks that handle one interaction (commands, buttons, modals,
# the `on_interaction` event).
HANDLERS = ("CommandTree-invoker", "discord-ui-", "discord.py: on_interaction")


class DiscordStartError(RuntimeError):
    """Discord refused the token; the message holds no secret."""


async def run_discord(settings: Settings) -> int:
    """Discord by itself, without supervision: migrate, build the core, start delivery and
    due jobs, then connect to the gateway; 2 when the token is refused."""
    if settings.discord_token is None:
        raise ValueError("run_discord needs a Discord token")
    async with services(settings) as shared:
        adapter = DiscordAdapter(settings, shared.core, shared.clock)
        shared.router.transports["discord"] = adapter.transport
        try:
            async with background(shared):
                await adapter.serve(lambda _: None)
        except DiscordStartError:
            log.error("discord: the token was refused; check INFOCHAT_DISCORD_TOKEN")
            return 2
        finally:
            await adapter.close()
    return 0
