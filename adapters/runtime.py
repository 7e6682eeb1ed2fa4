"""`infochat run` with platform credentials: every configured platform (Slack, Discord) in
one process, on one database, core, delivery worker and due-jobs runner, each platform's
connection supervised on its own; the operations server beside them; SIGTERM and SIGINT stop
it gracefully.

A graceful stop: stop taking events (Slack's HTTP site or socket, Discord's gateway), let the
commands in progress finish, give the delivery worker up to `shutdown_grace` seconds to send
what is due (whatever it can't send stays pending for the next start), stop the runner,
close the platforms' clients and the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any

from adapters.ops import Ops, serving
from adapters.services import Services, background, cancel, services
from adapters.supervise import Adapter, Backoff, PlatformState, Sleep, supervise
from bot.clock import SystemClock
from bot.config import Settings
from bot.metrics import Metrics
from bot.storage.database import Database

if TYPE_CHECKING:
    from adapters.console.runner import ConsoleOptions

log = logging.getLogger("infochat")


class StartError(RuntimeError):
    """`infochat run` can't start: the message says what to change (and holds no secret)."""


class Terminated(SystemExit):
    """SIGTERM in the console, whose reads block the event loop: leave with status 0."""


@dataclass
class Options:
    """What tests change; `infochat run` uses the defaults."""

    backoff: Backoff = field(default_factory=Backoff)
    sleep: Sleep = asyncio.sleep
    discord: dict[str, Any] = field(default_factory=dict)  # options for discord.py's client
    ready: asyncio.Event | None = None  # set once every part is started
    stop: asyncio.Event | None = None  # set to stop, as SIGTERM does
    ops_port: list[int] = field(default_factory=list)  # the operations server's bound port
    services: list[Services] = field(default_factory=list)  # what the platforms share


def check(settings: Settings) -> None:
    """Refuse a half-configured platform or a missing library before anything starts."""
    platforms = settings.platforms
    if "slack" in platforms:
        problem = settings.slack_problem()
        if problem is not None:
            raise StartError(problem)
        _needs("slack_bolt", "Slack tokens are set, but slack-bolt is not installed", "slack")
    if "discord" in platforms:
        _needs(
            "discord", "INFOCHAT_DISCORD_TOKEN is set, but discord.py is not installed", "discord"
        )


def _needs(module: str, problem: str, extra: str) -> None:
    try:
        __import__(module)
    except ImportError:
        raise StartError(f"{problem}; install it with: pip install -e '.[{extra}]'") from None


def build_adapters(settings: Settings, shared: Services, options: Options) -> list[Adapter]:
    """One adapter per configured platform (imported here: each is an optional extra)."""
    adapters: list[Adapter] = []
    if "slack" in settings.platforms:
        from adapters.slack.serve import SlackAdapter

        adapters.append(SlackAdapter(settings, shared.core, shared.inflight, probes=shared.probes))
    if "discord" in settings.platforms:
        from adapters.discord.bot_client import DiscordAdapter
        from adapters.inflight import TrackedCore

        core = TrackedCore(shared.core, shared.inflight)
        adapters.append(
            DiscordAdapter(settings, core, shared.clock, shared.probes, **options.discord)
        )
    return adapters


async def run_platforms(settings: Settings, options: Options | None = None) -> int:
    options = options or Options()
    check(settings)
    async with services(settings) as shared:
        options.services.append(shared)
        adapters = build_adapters(settings, shared, options)
        states = {adapter.name: PlatformState(adapter.name) for adapter in adapters}
        for adapter in adapters:
            shared.router.transports[adapter.name] = adapter.transport
        ops = Ops(
            shared.db,
            shared.clock,
            shared.metrics,
            states,
            settings.ready_outbox_age,
            settings.sqlite_path(),
        )
        stop = options.stop or asyncio.Event()
        try:
            with on_signals(stop.set):
                async with ops_server(ops, settings) as port:
                    if port is not None:
                        options.ops_port.append(port)
                    await _run(shared, adapters, states, stop, options)
        finally:
            for adapter in adapters:
                await adapter.close()
    log.warning("infochat: stopped")
    return 0


async def _run(
    shared: Services,
    adapters: list[Adapter],
    states: dict[str, PlatformState],
    stop: asyncio.Event,
    options: Options,
) -> None:
    async with background(shared) as tasks:
        supervisors = [
            asyncio.create_task(
                supervise(
                    adapter,
                    states[adapter.name],
                    shared.metrics,
                    backoff=options.backoff,
                    sleep=options.sleep,
                ),
                name=f"platform:{adapter.name}",
            )
            for adapter in adapters
        ]
        log.warning("infochat: running %s", ", ".join(states))
        if options.ready is not None:
            options.ready.set()
        try:
            await stop.wait()
        finally:
            await shutdown(shared, adapters, supervisors, tasks)


async def shutdown(
    shared: Services,
    adapters: list[Adapter],
    supervisors: list[asyncio.Task[None]],
    tasks: list[asyncio.Task[None]],
) -> None:
    grace = shared.settings.shutdown_grace
    deadline = time.monotonic() + grace
    log.warning("infochat: stopping (up to %g s to finish commands and deliveries)", grace)
    await cancel(supervisors)  # no new events from here on
    for adapter in adapters:
        await adapter.finish(max(0.0, deadline - time.monotonic()))
    if not await shared.inflight.idle(max(0.0, deadline - time.monotonic())):
        log.warning(
            "infochat: %s command(s) still in progress at the deadline", shared.inflight.count
        )
    await cancel(tasks)  # the runner and the worker's loop; the worker's claims go back
    left = max(0.0, deadline - time.monotonic())
    try:
        async with asyncio.timeout(left):
            sent = await shared.worker.drain()
        log.warning("infochat: %s message(s) sent while stopping", sent)
    except TimeoutError:
        log.warning("infochat: the rest of the outbox is sent at the next start")
    except Exception:
        log.exception("infochat: delivering while stopping failed; the outbox keeps the rest")


@contextlib.asynccontextmanager
async def ops_server(ops: Ops, settings: Settings) -> AsyncIterator[int | None]:
    """The operations server, or nothing (with one line saying why) when its address is
    taken: the bot itself still runs."""
    stack = contextlib.AsyncExitStack()
    try:
        port = await stack.enter_async_context(serving(ops, settings.ops_host_port()))
    except OSError as exc:
        log.error("ops: can't listen on %s (%s); running without it", settings.ops_address, exc)
        port = None
    async with stack:
        yield port


@contextlib.contextmanager
def on_signals(stop: Callable[[], None]) -> Iterator[None]:
    """SIGTERM (what Docker and systemd send) and SIGINT (Ctrl-C) call `stop`."""
    loop = asyncio.get_running_loop()
    installed = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop)
            installed.append(signum)
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


def terminate_console(signum: int, frame: FrameType | None) -> None:
    raise Terminated(0)


@contextlib.contextmanager
def console_ops(settings: Settings, options: ConsoleOptions) -> Iterator[Metrics | None]:
    """The operations server beside the console, unless it plays a script (a batch run, not
    a service). On a thread with its own event loop: the console's reads block its loop.
    Its database is the console's own (`database_file`). Yields the metrics it serves, for
    the console's core and delivery worker to count into (None when there is no server)."""
    if options.script is not None or settings.ops_host_port() is None:
        yield None
        return
    from adapters.console.runner import database_file

    url, path = database_file(settings, options)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="ops", daemon=True)
    thread.start()
    stack = contextlib.AsyncExitStack()
    metrics = Metrics()

    async def start() -> None:
        db = Database(url)
        stack.push_async_callback(db.dispose)
        ops = Ops(db, SystemClock(), metrics, {}, settings.ready_outbox_age, path)
        await stack.enter_async_context(ops_server(ops, settings))

    try:
        asyncio.run_coroutine_threadsafe(start(), loop).result(30)
        yield metrics
    finally:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(stack.aclose(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
