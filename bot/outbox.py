"""The transactional outbox: messages are rows written in the same transaction as the state
change that causes them; a worker delivers them through the adapter's transport.

Each message reaches its destination once in effect. A worker leases a batch under a token of
its own and renews the lease while a send is in progress; only the lease holder records an
outcome. A send is marked as started before it begins, so when an attempt's outcome is never
recorded (the process died, or froze until its lease lapsed) the next attempt is `in_doubt`
and the transport looks for the row id (`delivery_id`) on the platform before sending again:
Discord's message nonce, Slack's message metadata, the console's transcript. A worker that
stops gives its unsent claims back at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import log_context
from bot.clock import Clock
from bot.commands import CommunityRef
from bot.errors import DeliveryError, PermanentDeliveryError
from bot.metrics import Metrics
from bot.storage import outbox as leases
from bot.storage.database import Database
from bot.storage.schema import outbox, places
from bot.views import Destination, Message

log = logging.getLogger(__name__)


class Transport(Protocol):
    """What an adapter implements to send the core's messages."""

    async def deliver(
        self,
        community: CommunityRef,
        destination: Destination,
        message: Message,
        delivery_id: int,
        *,
        in_doubt: bool = False,
    ) -> None:
        """Send or raise `DeliveryError` (retry later) / `PermanentDeliveryError` (give up).

        `in_doubt`: an earlier attempt may have reached the platform; don't send it again if
        the platform already has `delivery_id`."""
        ...


async def enqueue(
    conn: AsyncConnection,
    community_id: int,
    destination: Destination,
    message: Message,
    now: datetime,
) -> None:
    """One message, on the community's first place (the one it was founded on)."""
    first_place = (
        sa.select(sa.func.min(places.c.id))
        .where(places.c.community_id == community_id)
        .scalar_subquery()
    )
    await conn.execute(
        sa.insert(outbox).values(_row(community_id, first_place, destination, message, now))
    )


async def enqueue_all(
    conn: AsyncConnection,
    community_id: int,
    messages: Sequence[tuple[int, Destination, Message]],
    now: datetime,
) -> None:
    """Messages as (place id, destination, message), in one statement, delivered in the
    order given."""
    if not messages:
        return
    await conn.execute(
        sa.insert(outbox).values(
            [
                _row(community_id, place_id, destination, message, now)
                for place_id, destination, message in messages
            ]
        )
    )


def _row(
    community_id: int, place_id: object, destination: Destination, message: Message, now: datetime
) -> dict[str, object]:
    return {
        "community_id": community_id,
        "place_id": place_id,
        "destination": destination.model_dump(mode="json"),
        "message": message.model_dump(mode="json"),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


@dataclass(frozen=True)
class _Claimed:
    id: int
    attempts: int
    in_doubt: bool
    community: CommunityRef  # the place it goes out on
    destination: Destination
    message: Message


@dataclass
class _Round:
    """One claimed batch: its lease, and the row whose send is under way."""

    token: str
    until: datetime  # the lease's end, moved on by the heartbeat
    items: list[_Claimed] = field(default_factory=list)
    in_flight: int | None = None
    finished: bool = False


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base: timedelta = timedelta(seconds=2)
    cap: timedelta = timedelta(minutes=15)
    # Short, as a send in progress renews it: a message whose worker died is retried within
    # a minute, while Discord still remembers its nonce.
    lease: timedelta = timedelta(minutes=1)
    heartbeat: timedelta = timedelta(seconds=15)  # a send in progress renews its lease this often

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
        heartbeat: Callable[[], Awaitable[object]] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.transport = transport
        self.clock = clock
        self.metrics = metrics  # None: nothing is counted
        self.policy = policy or RetryPolicy()
        self.batch = batch
        self.wake = asyncio.Event()
        # Waits between two renewals of the lease while a send is in progress.
        self.heartbeat = heartbeat or (lambda: asyncio.sleep(self.policy.heartbeat.total_seconds()))
        self._refs: dict[int, CommunityRef] = {}

    async def run_once(self) -> int:
        """Deliver what is due now (one batch); returns how many messages were sent."""
        return (await self._round())[1]

    async def drain(self) -> int:
        """Deliver until nothing is due now (messages waiting on a backoff stay queued)."""
        total = 0
        while True:
            claimed, sent = await self._round()
            total += sent
            if claimed < self.batch:  # that was everything due when we looked
                return total

    async def run_forever(self, poll_seconds: float = 5.0) -> None:
        """Deliver as commits set `wake`, and every `poll_seconds`, until cancelled.

        The wait is `asyncio.timeout` around the event itself, not `asyncio.wait_for`: on
        Python 3.11 `wait_for` drops a cancellation that lands in the same loop iteration as
        `wake.set()`, and the worker would never stop."""
        while True:
            self.wake.clear()  # before draining: a commit during the round wakes the next one
            try:
                await self.drain()
            except Exception:
                log.exception("outbox: delivery round failed; retrying")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll_seconds):
                    await self.wake.wait()

    async def _round(self) -> tuple[int, int]:
        """Claim a batch and deliver it; how many were claimed, how many sent. Whatever is
        still leased when the round ends early (a stop, an error) is released."""
        run = _Round(secrets.token_hex(16), self.clock.now() + self.policy.lease)
        try:
            await self._claim(run)
            sent = await self._deliver_all(run)
            return len(run.items), sent
        finally:
            if not run.finished:
                await asyncio.shield(self._release(run))

    async def _claim(self, run: _Round) -> None:
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
                    .values(
                        claimed_until=run.until,
                        attempts=outbox.c.attempts + 1,
                        lease_token=run.token,
                        # A send started under the lapsed lease may have reached the platform.
                        in_doubt=sa.or_(outbox.c.in_doubt, outbox.c.started_at.is_not(None)),
                        started_at=None,
                    )
                    .returning(
                        outbox.c.id,
                        outbox.c.attempts,
                        outbox.c.in_doubt,
                        outbox.c.place_id,
                        outbox.c.destination,
                        outbox.c.message,
                    )
                )
            ).all()
            refs = await self._places(conn, {row.place_id for row in rows})
            if rows:
                first = min(row.id for row in rows)
                await leases.mark_started(conn, first, run.token, now)
        run.items = [
            _Claimed(
                row.id,
                row.attempts,
                bool(row.in_doubt),
                refs[row.place_id],
                Destination.model_validate(row.destination),
                Message.model_validate(row.message),
            )
            for row in sorted(rows, key=lambda r: r.id)
        ]

    async def _places(self, conn: AsyncConnection, ids: set[int]) -> dict[int, CommunityRef]:
        """A place's platform and id never change, so each is read once per worker."""
        missing = ids - self._refs.keys()
        if missing:
            rows = await conn.execute(
                sa.select(
                    places.c.id, places.c.platform, places.c.external_id, places.c.name
                ).where(places.c.id.in_(missing))
            )
            for row in rows:
                self._refs[row.id] = CommunityRef(row.platform, row.external_id, row.name)
        return self._refs

    async def _deliver_all(self, run: _Round) -> int:
        """Send each claimed message and record its outcome at once, in the transaction that
        marks the next one started: a crash part-way through a batch leaves at most the
        message in flight in doubt, not all those already sent."""
        sent = 0
        for i, item in enumerate(run.items):
            with log_context.delivery(item.id):
                go_on, recorded, values = await self._deliver_one(run, item, i)
            sent += recorded and values.get("status") == "sent"
            if not go_on:
                break
        run.finished = True
        return sent

    async def _deliver_one(
        self, run: _Round, item: _Claimed, i: int
    ) -> tuple[bool, bool, dict[str, object]]:
        """Whether to go on with the batch, whether this outcome was recorded, and what."""
        run.in_flight = item.id
        values = await self._attempt(run, item)
        self._count(item, values)
        following = run.items[i + 1] if i + 1 < len(run.items) else None
        # A slow batch stops well before its lease lapses rather than race another worker;
        # so does one whose next row was taken over while its lease had lapsed.
        go_on = following is not None and self.clock.now() < run.until - self.policy.lease / 5
        async with self.db.transaction(priority=True) as conn:
            recorded = await leases.record(conn, item.id, run.token, values)
            if following is not None and go_on:
                now = self.clock.now()
                go_on = await leases.mark_started(conn, following.id, run.token, now)
            if following is not None and not go_on:
                await leases.release(conn, run.token, None)
        run.in_flight = None
        if not recorded:
            log.warning(
                "outbox: message %s: another worker took over its lapsed lease; its "
                "outcome (%s) is theirs to record",
                item.id,
                values.get("status", "retry"),
            )
        return go_on, recorded, values

    def _count(self, item: _Claimed, values: dict[str, object]) -> None:
        if self.metrics is None:
            return
        status = values.get("status")
        outcome = "sent" if status == "sent" else "given_up" if status == "failed" else "retried"
        self.metrics.delivery(item.community.platform, outcome)

    async def _attempt(self, run: _Round, item: _Claimed) -> dict[str, object]:
        """Deliver one message, renewing the lease while the transport works; return the
        outbox columns that record the outcome."""
        send = asyncio.ensure_future(self._send(item))
        try:
            while True:
                beat = asyncio.ensure_future(self.heartbeat())
                try:
                    await asyncio.wait({send, beat}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    beat.cancel()
                if send.done():
                    return send.result()
                await self._renew(run)
        finally:
            send.cancel()  # only when we are cancelled ourselves: the send is done otherwise

    async def _renew(self, run: _Round) -> None:
        until = self.clock.now() + self.policy.lease
        try:
            async with self.db.transaction(priority=True) as conn:
                held = await leases.extend(conn, run.token, until)
        except Exception:  # the send goes on; the lease may lapse and the row be doubted
            log.exception("outbox: could not renew the lease on message %s", run.in_flight)
            return
        run.until = until
        if not held:
            log.warning("outbox: the lease on message %s lapsed during its send", run.in_flight)

    async def _release(self, run: _Round) -> None:
        try:
            async with self.db.transaction(priority=True) as conn:
                await leases.release(conn, run.token, run.in_flight)
        except Exception:  # the lease lapses on its own
            log.exception("outbox: could not release claimed messages; they wait for the lease")

    async def _send(self, item: _Claimed) -> dict[str, object]:
        try:
            await self.transport.deliver(
                item.community, item.destination, item.message, item.id, in_doubt=item.in_doubt
            )
        except DeliveryError as exc:
            return self._retry_or_fail(item, str(exc), exc.retry_after, exc.unknown_outcome)
        except PermanentDeliveryError as exc:
            log.error(
                "outbox: message %s to %s can't be delivered: %s", item.id, item.destination, exc
            )
            return self._finished("failed", str(exc))
        except Exception as exc:
            log.exception("outbox: unexpected error delivering message %s", item.id)
            return self._retry_or_fail(item, repr(exc), None, unknown=True)
        return self._finished("sent", None)

    def _retry_or_fail(
        self, item: _Claimed, error: str, retry_after: float | None, unknown: bool
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
            "last_error": error[:500],
            # Doubt about an earlier attempt stays until the message is sent.
            "in_doubt": item.in_doubt or unknown,
        }

    def _finished(self, status: str, error: str | None) -> dict[str, object]:
        return {
            "status": status,
            "sent_at": self.clock.now(),
            "last_error": error,
            "in_doubt": False,
        }
