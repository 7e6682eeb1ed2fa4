"""The operations HTTP server (`INFOCHAT_OPS_ADDRESS`): /healthz (the process is alive),
/readyz (the database answers, the schema is the newest, each configured platform is
connected, no message due for delivery has waited too long) and /metrics (Prometheus)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from adapters.supervise import PlatformState, describe
from bot.clock import Clock
from bot.metrics import Metrics
from bot.storage import outbox
from bot.storage.database import Database

log = logging.getLogger(__name__)

# A readiness probe answers within a few seconds (Kubernetes' default timeout is 1 s, Docker's
# 30 s); a database that takes longer than this is not ready.
DB_TIMEOUT = 2.0


@dataclass
class Ops:
    """What the operations server looks at."""

    db: Database
    clock: Clock
    metrics: Metrics
    platforms: Mapping[str, PlatformState]
    ready_outbox_age: float
    sqlite_file: Path | None = None  # the database file, checked afresh on each probe

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        """(ready, the JSON body): each check with `ok`, and `error` where it failed."""
        checks: dict[str, dict[str, Any]] = {}
        checks["database"] = await self._database()
        if checks["database"]["ok"]:
            checks["schema"] = await self._schema()
            checks["outbox"] = await self._outbox()
        else:
            skipped = {"ok": False, "error": "the database doesn't answer"}
            checks["schema"], checks["outbox"] = dict(skipped), dict(skipped)
        for name, state in self.platforms.items():
            check: dict[str, Any] = {"ok": state.connected}
            if not state.connected:
                check["error"] = state.last_error or "not connected yet"
            checks[f"platform:{name}"] = check
        failed = sorted(name for name, check in checks.items() if not check["ok"])
        ready = not failed
        return ready, {"status": "ready" if ready else "not ready", "failed": failed, **checks}

    async def backlog(self) -> tuple[int, float]:
        async with asyncio.timeout(DB_TIMEOUT), self.db.read() as conn:
            return await outbox.backlog(conn, self.clock.now())

    async def _database(self) -> dict[str, Any]:
        try:
            async with asyncio.timeout(DB_TIMEOUT):
                if self.sqlite_file is not None:
                    # Pooled connections keep the file they opened even once it's gone or
                    # replaced; a fresh one sees what a restart would.
                    await asyncio.to_thread(_open_sqlite, self.sqlite_file)
                async with self.db.read() as conn:
                    await conn.execute(sa.text("SELECT 1"))
        except TimeoutError:
            return {"ok": False, "error": f"no answer within {DB_TIMEOUT:g} s"}
        except Exception as exc:
            return {"ok": False, "error": describe(exc)}
        return {"ok": True}

    async def _schema(self) -> dict[str, Any]:
        try:
            async with asyncio.timeout(DB_TIMEOUT):
                current, head = await self.db.schema_revisions()
        except Exception as exc:
            return {"ok": False, "error": describe(exc)}
        if current != head:
            return {
                "ok": False,
                "error": f"the schema is at {current}, not {head}: run `infochat migrate`",
            }
        return {"ok": True, "revision": current}

    async def _outbox(self) -> dict[str, Any]:
        try:
            pending, age = await self.backlog()
        except Exception as exc:
            return {"ok": False, "error": describe(exc)}
        self.metrics.outbox(pending, age)
        check: dict[str, Any] = {"ok": age <= self.ready_outbox_age, "pending": pending}
        check["oldest_due_seconds"] = round(age, 1)
        if not check["ok"]:
            check["error"] = (
                f"a message due for delivery has waited {age:.0f} s "
                f"(more than {self.ready_outbox_age:g} s)"
            )
        return check


SQLITE_HEADER = b"SQLite format 3\x00"


def _open_sqlite(path: Path) -> None:
    """The file's header, then a fresh connection (never creating the file) reading its
    schema. The header first: in WAL mode the newest pages may come from the -wal file, so
    a replaced or damaged file could still seem to answer."""
    with path.open("rb") as file:
        if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise sqlite3.DatabaseError(f"{path.name} is not a SQLite database file")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=DB_TIMEOUT)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        conn.close()


def application(ops: Ops) -> web.Application:
    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        ready, body = await ops.readiness()
        return web.json_response(body, status=200 if ready else 503)

    async def metrics(_: web.Request) -> web.Response:
        try:
            ops.metrics.outbox(*await ops.backlog())
        except Exception as exc:  # the rest of the metrics are still worth serving
            log.warning("ops: the outbox gauges weren't refreshed: %s", describe(exc))
        body, content_type = ops.metrics.exposition()
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app


@contextlib.asynccontextmanager
async def serving(ops: Ops, address: tuple[str, int] | None) -> AsyncIterator[int | None]:
    """The server on `address` (None: off) while inside; yields the port it listens on."""
    if address is None:
        yield None
        return
    runner = web.AppRunner(application(ops), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        host, port = address
        site = web.TCPSite(runner, host=host or None, port=port)
        await site.start()
        server = site._server  # the bound port, when 0 asked for any free one
        sockets = getattr(server, "sockets", None) or []
        bound = int(sockets[0].getsockname()[1]) if sockets else port
        log.info("ops: /healthz, /readyz and /metrics on %s:%s", host, bound)
        yield bound
    finally:
        await runner.cleanup()
