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
        deadline = asyncio.get_running_loop().time() + self.most
        await asyncio.sleep(0)  # let bolt's runner see the ack first
        # `asyncio.timeout_at`, not `wait_for`: on Python 3.11 `wait_for` drops a cancellation
        # that lands in the iteration where the request in flight is answered.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout_at(deadline):
                while True:
                    await self._idle.wait()
                    await asyncio.sleep(self.quiet)
                    if self._idle.is_set():
                        return
