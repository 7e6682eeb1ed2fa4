"""The transactional outbox: messages are rows written in the same transaction as the state
change that causes them; a worker delivers them through the adapter's transport.

Delivery is at-least-once at the transport boundary: a crash after the platform accepted a
message but before it was marked sent would resend it once the claim lapses. Transports get
the row id as `delivery_id` to deduplicate where the platform allows (e.g. Discord nonces).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.commands import CommunityRef
from bot.errors import DeliveryError, PermanentDeliveryError
from bot.storage.database import Database
from bot.storage.schema import communities, outbox
from bot.views import Destination, Message

log = logging.getLogger(__name__)


class Transport(Protocol):
    """What an adapter implements to send the core's messages."""

    async def deliver(
        self, community: CommunityRef, destination: Destination, message: Message, delivery_id: int
    ) -> None:
        """Send or raise `DeliveryError` (retry later) / `PermanentDeliveryError` (give up)."""
        ...


async def enqueue(
    conn: AsyncConnection,
    community_id: int,
    destination: Destination,
    message: Message,
    now: datetime,
) -> None:
    await conn.execute(
        sa.insert(outbox).values(
            community_id=community_id,
            destination=destination.model_dump(mode="json"),
            message=message.model_dump(mode="json"),
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


@dataclass(frozen=True)
class _Claimed:
    id: int
    attempts: int
    community: CommunityRef
    destination: Destination
    message: Message
    send_before: datetime  # past this the lease may lapse and another worker claim it


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base: timedelta = timedelta(seconds=2)
    cap: timedelta = timedelta(minutes=15)
    lease: timedelta = timedelta(minutes=2)

    def backoff(self, attempts: int) -> timedelta:
        delay: timedelta = self.base * (2 ** max(0, min(attempts, 30) - 1))
        return min(self.cap, delay)


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        transport: Transport,
        clock: Clock,
        *,
        policy: RetryPolicy | None = None,
        batch: int = 50,
    ) -> None:
        self.db = db
        self.transport = transport
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.batch = batch
        self.wake = asyncio.Event()
        self._refs: dict[int, CommunityRef] = {}

    async def run_once(self) -> int:
        """Deliver what is due now; returns how many messages were sent."""
        return await self._deliver_all(await self._claim())

    async def drain(self) -> int:
        """Deliver until nothing is due now (messages waiting on a backoff stay queued)."""
        total = 0
        while claimed := await self._claim():
            total += await self._deliver_all(claimed)
            if len(claimed) < self.batch:  # that was everything due when we looked
                break
        return total

    async def run_forever(self, poll_seconds: float = 5.0) -> None:
        while True:
            try:
                await self.drain()
            except Exception:
                log.exception("outbox: delivery round failed; retrying")
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=poll_seconds)

    async def _claim(self) -> list[_Claimed]:
        """Lease a batch of due messages in one conditional UPDATE, so two workers on one
        database never hold the same message."""
        now = self.clock.now()
        free = sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now)
        pending = (outbox.c.status == "pending", free)
        due = (
            sa.select(outbox.c.id)
            .where(*pending, outbox.c.next_attempt_at <= now)
            .order_by(outbox.c.id)
            .limit(self.batch)
        )
        async with self.db.transaction(priority=True) as conn:
            rows = (
                await conn.execute(
                    sa.update(outbox)
                    .where(outbox.c.id.in_(due.scalar_subquery()), *pending)
                    .values(claimed_until=now + self.policy.lease, attempts=outbox.c.attempts + 1)
                    .returning(
                        outbox.c.id,
                        outbox.c.attempts,
                        outbox.c.community_id,
                        outbox.c.destination,
                        outbox.c.message,
                    )
                )
            ).all()
            refs = await self._communities(conn, {row.community_id for row in rows})
        return [
            _Claimed(
                row.id,
                row.attempts,
                refs[row.community_id],
                Destination.model_validate(row.destination),
                Message.model_validate(row.message),
                now + self.policy.lease * 0.8,
            )
            for row in sorted(rows, key=lambda r: r.id)
        ]

    async def _communities(self, conn: AsyncConnection, ids: set[int]) -> dict[int, CommunityRef]:
        """Community references never change, so each is read once per worker."""
        missing = ids - self._refs.keys()
        if missing:
            rows = await conn.execute(
                sa.select(
                    communities.c.id,
                    communities.c.platform,
                    communities.c.external_id,
                    communities.c.name,
                ).where(communities.c.id.in_(missing))
            )
            for row in rows:
                self._refs[row.id] = CommunityRef(row.platform, row.external_id, row.name)
        return self._refs

    async def _deliver_all(self, items: list[_Claimed]) -> int:
        """Send each claimed message and record its outcome at once: a crash part-way through
        a batch then resends at most the message in flight, not all those already sent."""
        sent = 0
        for item in items:
            if self.clock.now() >= item.send_before:
                break  # a slow batch: leave the rest to be claimed again rather than race
            values = await self._attempt(item)
            async with self.db.transaction(priority=True) as conn:
                await conn.execute(sa.update(outbox).where(outbox.c.id == item.id).values(**values))
            sent += values.get("status") == "sent"
        return sent

    async def _attempt(self, item: _Claimed) -> dict[str, object]:
        """Deliver one message; return the outbox columns that record the outcome."""
        try:
            await self.transport.deliver(item.community, item.destination, item.message, item.id)
        except DeliveryError as exc:
            return self._retry_or_fail(item, str(exc), exc.retry_after)
        except PermanentDeliveryError as exc:
            log.error(
                "outbox: message %s to %s can't be delivered: %s", item.id, item.destination, exc
            )
            return self._finished("failed", str(exc))
        except Exception as exc:
            log.exception("outbox: unexpected error delivering message %s", item.id)
            return self._retry_or_fail(item, repr(exc), None)
        return self._finished("sent", None)

    def _retry_or_fail(
        self, item: _Claimed, error: str, retry_after: float | None
    ) -> dict[str, object]:
        if item.attempts >= self.policy.max_attempts:
            log.error(
                "outbox: giving up on message %s after %s attempts: %s",
                item.id,
                item.attempts,
                error,
            )
            return self._finished("failed", error)
        delay = (
            timedelta(seconds=retry_after)
            if retry_after is not None
            else self.policy.backoff(item.attempts)
        )
        log.warning("outbox: message %s will be retried in %s: %s", item.id, delay, error)
        return {
            "next_attempt_at": self.clock.now() + delay,
            "claimed_until": None,
            "last_error": error[:500],
        }

    def _finished(self, status: str, error: str | None) -> dict[str, object]:
        return {
            "status": status,
            "sent_at": self.clock.now(),
            "claimed_until": None,
            "last_error": error,
        }
