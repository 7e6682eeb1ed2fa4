"""Each platform's connection, kept up on its own: a failure (a refused token, an unreachable
gateway, a crashed socket) is logged in one line and retried with exponential backoff, while
the other platform, the delivery worker and the due-jobs runner go on."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.metrics import Metrics
from bot.outbox import Transport

log = logging.getLogger("infochat.platforms")

Sleep = Callable[[float], Awaitable[object]]


class Adapter(Protocol):
    """One platform's side of `infochat run`."""

    name: str

    def transport(self) -> Transport | None:
        """What sends the outbox's messages to this platform; None while it can't."""
        ...

    async def serve(self, connected: Callable[[bool], None]) -> None:
        """Connect, take events until cancelled. Calls `connected(True)` once events arrive
        and `connected(False)` when the connection drops (the platform library may reconnect
        on its own); raises when it can't go on. Cancelled: stops taking events, but sending
        (`transport()`) keeps working until `close()`."""
        ...

    async def finish(self, within: float) -> None:
        """Wait, at most `within` s, for the work on events already received to end."""
        ...

    async def close(self) -> None:
        """Close what is left (the REST client, the HTTP session)."""
        ...


@dataclass
class PlatformState:
    """What /readyz and the metrics say about one platform."""

    name: str
    connected: bool = False
    last_error: str | None = None
    failures: int = 0  # in a row, since it was last connected


@dataclass(frozen=True)
class Backoff:
    """1 s doubling to 5 min, each delay jittered down by up to a fifth, so instances that
    failed together don't retry together."""

    first: float = 1.0
    most: float = 300.0
    jitter: float = 0.2

    def delay(self, failures: int, rng: random.Random) -> float:
        base = min(self.most, self.first * 2.0 ** max(0, min(failures, 30) - 1))
        return float(base * (1 - self.jitter * rng.random()))


async def supervise(
    adapter: Adapter,
    state: PlatformState,
    metrics: Metrics,
    *,
    backoff: Backoff | None = None,
    sleep: Sleep = asyncio.sleep,
    rng: random.Random | None = None,
) -> None:
    """Keep `adapter` serving until cancelled."""
    backoff = backoff or Backoff()
    rng = rng or random.Random()

    def connected(up: bool) -> None:
        if up and not state.connected:
            # A first connection counts too: the reconnects counter then shows every time
            # the platform came (back) up.
            metrics.platform(state.name, connected=True, reconnect=True)
            state.failures = 0
            state.last_error = None
            log.warning("%s: connected", state.name)
        elif not up and state.connected:
            metrics.platform(state.name, connected=False)
        state.connected = up

    metrics.platform(state.name, connected=False)
    while True:
        try:
            await adapter.serve(connected)
            reason = "the connection ended"
        except asyncio.CancelledError:
            connected(False)
            raise
        except Exception as exc:
            reason = describe(exc)
        connected(False)
        state.failures += 1
        state.last_error = reason
        wait = backoff.delay(state.failures, rng)
        log.error("%s: not connected (%s); retrying in %.1f s", state.name, reason, wait)
        await sleep(wait)


def describe(exc: BaseException) -> str:
    """One line about a failure, without secrets: the exception's type and its message,
    which the adapters keep free of tokens (and which never quote request headers)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__
