"""Acks first: work that follows an ack waits until every HTTP request in flight has been
answered, so a burst of commands or clicks is acknowledged before any of them is worked on
(Slack gives up after 3 s; bench/slack_ack.py measures it). Bounded, so a steady stream of
requests can't hold the work back for long."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class AckFirst:
    def __init__(self, most: float = 0.25, quiet: float = 0.005) -> None:
        self.most = most  # seconds a listener waits at most
        self.quiet = quiet  # seconds without a request in flight that end the wait
        self.in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.in_flight += 1
        self._idle.clear()
        try:
            return await handler(request)
        finally:
            self.in_flight -= 1
            if not self.in_flight:
                self._idle.set()

    async def wait(self) -> None:
        """Until no request has waited for its answer (its own included) for a moment, or
        `most` seconds: requests of a burst arrive a little apart."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.most
        await asyncio.sleep(0)  # let bolt's runner see the ack first
        with contextlib.suppress(TimeoutError):
            while True:
                await asyncio.wait_for(self._idle.wait(), max(0.0, deadline - loop.time()))
                await asyncio.sleep(min(self.quiet, max(0.0, deadline - loop.time())))
                if self._idle.is_set() or loop.time() >= deadline:
                    return
