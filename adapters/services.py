"""What every platform of one `infochat run` shares: the migrated database, the core, the
delivery worker (through a transport that routes by platform) and the due-jobs runner."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass

from adapters.inflight import InFlight
from adapters.routing import RoutingTransport
from bot.app import Infochat
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.metrics import Metrics
from bot.outbox import DeliveryWorker, Transport
from bot.setup_checks import SetupProbe
from bot.storage.database import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    core: Infochat
    worker: DeliveryWorker
    router: RoutingTransport
    inflight: InFlight
    metrics: Metrics
    probes: dict[str, SetupProbe]  # platform → its setup checks, for /infochat mod setup


@contextlib.asynccontextmanager
async def services(
    settings: Settings,
    transports: Mapping[str, Callable[[], Transport | None]] | None = None,
    *,
    clock: Clock | None = None,
    metrics: Metrics | None = None,
) -> AsyncIterator[Services]:
    """Migrate, build the core and the worker; the database is disposed of at the end.
    `transports`: platform name → its current transport (more may be added to
    `router.transports` before the worker runs)."""
    db = Database(settings.database_url)
    try:
        await db.migrate()
        clock = clock or SystemClock()
        metrics = metrics or Metrics()
        router = RoutingTransport(transports or {})
        worker = DeliveryWorker(db, router, clock, metrics=metrics)
        # Each platform adds its setup probe here once connected (the core reads it when used).
        probes: dict[str, SetupProbe] = {}
        core = Infochat(
            db, clock, settings.community, worker.wake.set, probes=probes, metrics=metrics
        )
        yield Services(settings, db, clock, core, worker, router, InFlight(), metrics, probes)
    finally:
        await db.dispose()


@contextlib.asynccontextmanager
async def background(shared: Services) -> AsyncIterator[list[asyncio.Task[None]]]:
    """The delivery worker and the due-jobs runner, as tasks, cancelled at the end (a
    graceful stop drains the worker first: see runtime.py)."""
    tasks = [
        asyncio.create_task(shared.worker.run_forever(), name="outbox"),
        asyncio.create_task(shared.core.job_runner().run_forever(), name="jobs"),
    ]
    try:
        yield tasks
    finally:
        await cancel(tasks)


async def cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
