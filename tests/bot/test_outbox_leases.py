"""Leases on outbox rows: renewed while a send is in progress, owned (a worker whose lease
lapsed records nothing), released on a stop, doubted after an unknown outcome; and a worker
that always stops when cancelled.

Time comes from a FakeClock; the heartbeat is driven by the test; nothing sleeps.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot.clock import FakeClock
from bot.errors import DeliveryError, PermanentDeliveryError
from bot.outbox import DeliveryWorker, RetryPolicy, enqueue
from bot.storage.database import Database
from bot.storage.schema import outbox
from bot.views import Destination, Message
from tests.delivery import AcceptedThenStuck, Beats, enqueue_messages, never, rows
from tests.support import RecordingTransport

LEASE = RetryPolicy().lease


class FailsLate(AcceptedThenStuck):
    """Stalls, then reports a permanent failure: a worker that lost its lease meanwhile."""

    async def deliver(self, *args: Any, **kwargs: Any) -> None:
        self.accepted.set()
        await self.release.wait()
        raise PermanentDeliveryError("the platform said no, too late")


async def test_a_late_failure_from_a_lapsed_lease_does_not_overwrite_sent(
    db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    await enqueue_messages(db, clock, 1)
    late = FailsLate(RecordingTransport())
    first = asyncio.create_task(DeliveryWorker(db, late, clock, heartbeat=never).drain())
    await late.accepted.wait()

    clock.advance(LEASE + timedelta(seconds=1))  # the first worker's lease lapses
    second = RecordingTransport()
    assert await DeliveryWorker(db, second, clock).drain() == 1
    [row] = await rows(db)
    assert row.status == "sent"

    late.release.set()  # now the first worker's answer arrives
    assert await first == 0
    [row] = await rows(db)
    assert (row.status, row.last_error) == ("sent", None)
    assert "another worker took over its lapsed lease" in caplog.text


async def test_a_send_in_progress_renews_its_lease(db: Database, clock: FakeClock) -> None:
    await enqueue_messages(db, clock, 2)
    slow = AcceptedThenStuck(RecordingTransport())
    beats = Beats()
    first = asyncio.create_task(DeliveryWorker(db, slow, clock, heartbeat=beats).drain())
    await slow.accepted.wait()

    for _ in range(3):  # six minutes on one send, three times the lease
        clock.advance(LEASE - timedelta(seconds=1))
        await beats.beat()
        other = RecordingTransport()
        assert await DeliveryWorker(db, other, clock).drain() == 0
        assert other.sent == []  # nothing claimable: the batch is still leased

    slow.release.set()
    slow.accepted.clear()
    await slow.accepted.wait()  # the second message, after the first was recorded
    slow.release.set()
    assert await first == 2
    assert [r.status for r in await rows(db)] == ["sent", "sent"]


async def test_a_send_whose_lease_lapsed_is_retried_in_doubt(
    db: Database, clock: FakeClock
) -> None:
    await enqueue_messages(db, clock, 3)
    frozen = AcceptedThenStuck(RecordingTransport())
    first = asyncio.create_task(DeliveryWorker(db, frozen, clock, heartbeat=never).drain())
    await frozen.accepted.wait()
    clock.advance(LEASE + timedelta(seconds=1))

    second = RecordingTransport()
    assert await DeliveryWorker(db, second, clock).drain() == 3
    ids = [r.id for r in await rows(db)]
    assert [i for _, _, i in second.sent] == ids
    assert second.doubted == [ids[0]]  # only the one whose send had begun
    frozen.release.set()
    assert await first == 0


async def test_a_worker_whose_batch_was_taken_over_sends_none_of_the_rest(
    db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    await enqueue_messages(db, clock, 3)
    inner = RecordingTransport()
    stalled = AcceptedThenStuck(inner)
    beats = Beats()
    first = asyncio.create_task(DeliveryWorker(db, stalled, clock, heartbeat=beats).drain())
    await stalled.accepted.wait()
    clock.advance(LEASE + timedelta(seconds=1))  # frozen past its lease...
    second = RecordingTransport()
    assert await DeliveryWorker(db, second, clock).drain() == 3  # ...its batch taken over
    await beats.beat()  # it wakes up and renews a lease it no longer holds
    assert "lapsed during its send" in caplog.text
    stalled.release.set()
    assert await first == 0
    assert len(inner.sent) == 1  # only the message it was sending when it froze
    assert [r.status for r in await rows(db)] == ["sent"] * 3


@pytest.mark.parametrize(
    ("error", "doubted"),
    [
        (DeliveryError("rate limited", retry_after=1), False),
        (DeliveryError("timed out after sending", unknown_outcome=True), True),
        (RuntimeError("bug in the adapter"), True),
    ],
)
async def test_a_retry_is_in_doubt_only_after_an_unknown_outcome(
    db: Database, clock: FakeClock, error: Exception, doubted: bool
) -> None:
    await enqueue_messages(db, clock, 1)

    class FailsOnce(RecordingTransport):
        failed = False

        async def deliver(self, *args: Any, **kwargs: Any) -> None:
            if not self.failed:
                self.failed = True
                raise error
            await super().deliver(*args, **kwargs)

    transport = FailsOnce()
    worker = DeliveryWorker(db, transport, clock)
    assert await worker.drain() == 0
    clock.advance(timedelta(minutes=1))
    assert await worker.drain() == 1
    assert bool(transport.doubted) is doubted
    [row] = await rows(db)
    assert (row.status, row.in_doubt, row.lease_token) == ("sent", False, None)


async def test_a_stopped_worker_releases_its_claims_at_once(db: Database, clock: FakeClock) -> None:
    await enqueue_messages(db, clock, 5)
    stuck = AcceptedThenStuck(RecordingTransport())
    task = asyncio.create_task(DeliveryWorker(db, stuck, clock).run_forever())
    await stuck.accepted.wait()
    task.cancel()  # a clean stop while the first message's send is under way
    with pytest.raises(asyncio.CancelledError):
        await task
    assert all(r.claimed_until is None and r.lease_token is None for r in await rows(db))

    transport = RecordingTransport()
    assert await DeliveryWorker(db, transport, clock).drain() == 5  # no wait for the lease
    ids = [r.id for r in await rows(db)]
    assert transport.doubted == [ids[0]]  # its send was interrupted: it may have gone out
    assert [r.attempts for r in await rows(db)] == [2, 1, 1, 1, 1]  # unsent: no attempt


class WatchedWake(asyncio.Event):
    """The worker's wake-up event, telling the test when the worker waits on it."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = asyncio.Event()

    async def wait(self) -> bool:
        self.waiting.set()
        try:
            return await super().wait()
        finally:
            self.waiting.clear()


async def test_cancel_stops_the_worker_even_in_the_iteration_of_a_commit(
    db: Database, clock: FakeClock
) -> None:
    await enqueue_messages(db, clock, 1)
    transport = RecordingTransport()
    async with db.transaction() as conn:
        community_id = (await conn.execute(sa.select(outbox.c.community_id))).scalar_one()
    for trial in range(30):
        worker = DeliveryWorker(db, transport, clock)
        worker.wake = wake = WatchedWake()
        task = asyncio.create_task(worker.run_forever(poll_seconds=3600))
        await wake.waiting.wait()  # idle: everything committed so far is delivered
        async with db.transaction() as conn:  # a command commits a message...
            await enqueue(
                conn,
                community_id,
                Destination(kind="member", user_ids=("sam",)),
                Message(text=f"trial {trial}"),
                clock.now(),
            )
        wake.set()  # ...its commit wakes the worker, and shutdown cancels it at once
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=10)  # a guard: it returns at once
        assert task in done, f"trial {trial}: the worker ignored its cancellation"
        assert task.cancelled()
    assert len(transport.sent) == 1 + 29  # each trial's message went out with the next worker
