"""Commands being handled right now, so a shutdown lets them finish before it closes the
database: every platform's dispatches go through one `InFlight`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Protocol

from bot.commands import Actor, Command
from bot.views import Reply


class Core(Protocol):
    """What the platform adapters call on the core (`bot.app.Infochat`)."""

    async def dispatch(self, command: Command) -> Reply: ...

    async def dispatch_text(self, actor: Actor, text: str, key: str) -> Reply: ...

    async def suggest(self, actor: Actor, field: str, typed: str) -> tuple[str, ...]: ...


class InFlight:
    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        self.count += 1
        self._idle.clear()
        try:
            yield
        finally:
            self.count -= 1
            if not self.count:
                self._idle.set()

    async def idle(self, within: float) -> bool:
        """Wait until nothing is in flight, at most `within` seconds; whether it is."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self._idle.wait()
        return not self.count


class TrackedCore:
    """The core, with each call counted in `inflight` while it runs."""

    def __init__(self, core: Core, inflight: InFlight) -> None:
        self.core = core
        self.inflight = inflight

    async def dispatch(self, command: Command) -> Reply:
        async with self.inflight.track():
            return await self.core.dispatch(command)

    async def dispatch_text(self, actor: Actor, text: str, key: str) -> Reply:
        async with self.inflight.track():
            return await self.core.dispatch_text(actor, text, key)

    async def suggest(self, actor: Actor, field: str, typed: str) -> tuple[str, ...]:
        async with self.inflight.track():
            return await self.core.suggest(actor, field, typed)
