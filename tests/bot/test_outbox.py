"""The transactional outbox under failure: crashes between commit and delivery, retries with
backoff, rate limits, permanent failures, several workers on one file, and lapsed claims.

Time comes from a FakeClock: backoff and leases are crossed by moving the clock, never by sleeping.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.commands import Command, CommunityRef, parse_text
from bot.errors import DeliveryError, PermanentDeliveryError
from bot.outbox import DeliveryWorker, RetryPolicy
from bot.storage.database import Database
from bot.views import Destination, Message
from tests.delivery import enqueue_messages, rows
from tests.support import GOOD_REQUEST, VOLUNTEERS, RecordingTransport, make_world

Sent = tuple[Destination, Message, int]


@dataclass
class FlakyTransport:
    """Fails with the queued errors first (one per delivery attempt), then records."""

    errors: list[Exception] = field(default_factory=list)
    attempts: list[int] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)

    async def deliver(
        self,
        community: CommunityRef,
        destination: Destination,
        message: Message,
        delivery_id: int,
        *,
        in_doubt: bool = False,
    ) -> None:
        self.attempts.append(delivery_id)
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append((destination, message, delivery_id))


@dataclass
class HangingTransport:
    """Accepts the message and never returns: a process that dies mid-delivery."""

    started: asyncio.Event = field(default_factory=asyncio.Event)

    sends: int = 0  # messages it delivers before it hangs
    sent: list[int] = field(default_factory=list)

    async def deliver(
        self,
        community: CommunityRef,
        destination: Destination,
        message: Message,
        delivery_id: int,
        *,
        in_doubt: bool = False,
    ) -> None:
        if len(self.sent) < self.sends:
            self.sent.append(delivery_id)
            return
        self.started.set()
        await asyncio.Event().wait()


@dataclass
class YieldingTransport:
    """Records, yielding to the event loop first so concurrent workers interleave."""

    sent: list[int] = field(default_factory=list)

    async def deliver(
        self,
        community: CommunityRef,
        destination: Destination,
        message: Message,
        delivery_id: int,
        *,
        in_doubt: bool = False,
    ) -> None:
        await asyncio.sleep(0)  # a pure yield to the loop, no waiting
        self.sent.append(delivery_id)


async def run_flow_without_delivery(url: str) -> int:
    """Volunteers join, a seeker asks, a volunteer accepts; the worker never runs.

    Returns how many messages were committed to the outbox; the Database is disposed after, as
    if the process had died right after its last commit.
    """
    world = await make_world(url)
    seq = iter(range(1_000))

    async def say(user: str, text: str) -> None:
        parsed = parse_text(text)
        command = Command(
            world.actor(user), parsed.action, f"crash-{next(seq)}", parsed.target, parsed.args
        )
        reply = await world.app.dispatch(command)
        assert reply.ok, reply

    for name, profile in VOLUNTEERS.items():
        await say(name, f"/infochat volunteer join {profile}")
    await say("sam", GOOD_REQUEST)
    await say("sam", "/infochat pick 1 auto")
    pending = await rows(world.db)
    ask_id = next(
        b.target
        for r in pending
        for b in Message.model_validate(r.message).buttons
        if b.action == "ask.accept"
    )
    volunteer = next(
        r.destination["user_ids"][0]
        for r in pending
        if any(b.action == "ask.accept" for b in Message.model_validate(r.message).buttons)
    )
    accept = Command(world.actor(volunteer), "ask.accept", "crash-accept", ask_id)
    assert (await world.app.dispatch(accept)).ok
    count = len(await rows(world.db))
    await world.db.dispose()
    return count


async def test_crash_after_commit_before_delivery_sends_each_message_once(
    database_url: str,
) -> None:
    committed = await run_flow_without_delivery(database_url)
    assert committed >= 2  # at least the ask and the introduction

    # "Restart": a new Database and worker on the same file.
    db = Database(database_url)
    try:
        transport = RecordingTransport()
        worker = DeliveryWorker(db, transport, FakeClock())
        assert await worker.drain() == committed
        ids = [delivery_id for _, _, delivery_id in transport.sent]
        assert len(ids) == len(set(ids)) == committed
        assert any(d.kind == "group" for d, _, _ in transport.sent)  # the introduction
        assert await worker.drain() == 0
        assert await worker.run_once() == 0
        assert len(transport.sent) == committed
        assert {r.status for r in await rows(db)} == {"sent"}
    finally:
        await db.dispose()


async def test_worker_killed_mid_delivery_redelivers_once_after_the_lease(
    database_url: str,
) -> None:
    committed = await run_flow_without_delivery(database_url)
    clock = FakeClock()
    policy = RetryPolicy(lease=timedelta(minutes=2))

    # First process: claims a batch, hangs inside the transport and never renews its lease
    # (as good as killed: it never gets to record or release anything).
    dead = Database(database_url)
    hanging = HangingTransport()
    never = asyncio.Event()
    task = asyncio.create_task(
        DeliveryWorker(dead, hanging, clock, policy=policy, heartbeat=never.wait).drain()
    )
    await hanging.started.wait()

    # Second process: the claimed messages are left alone while the lease runs...
    db = Database(database_url)
    try:
        transport = RecordingTransport()
        worker = DeliveryWorker(db, transport, clock, policy=policy)
        assert await worker.drain() == 0
        clock.advance(timedelta(minutes=1, seconds=59))
        assert await worker.drain() == 0
        # ...and delivered once when it lapses; the one whose send had begun is in doubt.
        clock.advance(timedelta(seconds=2))
        assert await worker.drain() == committed
        ids = [delivery_id for _, _, delivery_id in transport.sent]
        assert len(ids) == len(set(ids)) == committed
        assert transport.doubted == [min(ids)]
        assert await worker.drain() == 0
        assert all(r.status == "sent" and r.attempts == 2 for r in await rows(db))
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert {r.status for r in await rows(db)} == {"sent"}  # its release changed nothing
        await dead.dispose()
        await db.dispose()


async def test_crash_part_way_through_a_batch_resends_only_the_message_in_flight(
    database_url: str, db: Database, clock: FakeClock
) -> None:
    await enqueue_messages(db, clock, 20)
    hanging = HangingTransport(sends=15)  # the platform took 15 messages, then the process died
    task = asyncio.create_task(DeliveryWorker(db, hanging, clock, batch=50).drain())
    await hanging.started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    restarted = Database(database_url)
    try:
        clock.advance(RetryPolicy().lease + timedelta(seconds=1))
        transport = RecordingTransport()
        assert await DeliveryWorker(restarted, transport, clock).drain() == 5
        again = [delivery_id for _, _, delivery_id in transport.sent]
        assert not set(again) & set(hanging.sent)  # nothing the platform had is sent twice
        assert sorted(again + hanging.sent) == [r.id for r in await rows(restarted)]
    finally:
        await restarted.dispose()


async def test_retries_back_off_on_the_clock(db: Database, clock: FakeClock) -> None:
    await enqueue_messages(db, clock, 1)
    transport = FlakyTransport(errors=[DeliveryError("down"), DeliveryError("down")])
    policy = RetryPolicy(max_attempts=5, base=timedelta(seconds=2), cap=timedelta(minutes=15))
    worker = DeliveryWorker(db, transport, clock, policy=policy)
    start = clock.now()

    assert await worker.drain() == 0
    [row] = await rows(db)
    assert (row.status, row.attempts, row.claimed_until) == ("pending", 1, None)
    assert row.next_attempt_at == start + timedelta(seconds=2)
    assert row.last_error == "down"

    clock.advance(timedelta(seconds=1))
    assert await worker.drain() == 0
    assert len(transport.attempts) == 1  # not due yet: no attempt

    clock.advance(timedelta(seconds=1))
    assert await worker.drain() == 0
    [row] = await rows(db)
    assert row.attempts == 2
    assert row.next_attempt_at == clock.now() + timedelta(seconds=4)  # doubled

    clock.advance(timedelta(seconds=3))
    assert await worker.drain() == 0
    assert len(transport.attempts) == 2
    clock.advance(timedelta(seconds=1))
    assert await worker.drain() == 1
    [row] = await rows(db)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)
    assert len(transport.sent) == 1
    clock.advance(timedelta(hours=1))
    assert await worker.drain() == 0


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(base=timedelta(seconds=2), cap=timedelta(minutes=15))
    delays = [policy.backoff(n) for n in range(1, 12)]
    assert delays[:4] == [timedelta(seconds=s) for s in (2, 4, 8, 16)]
    assert all(a <= b for a, b in itertools.pairwise(delays))
    assert delays[-1] == timedelta(minutes=15)
    assert policy.backoff(10_000) == timedelta(minutes=15)


async def test_retry_after_is_honoured(db: Database, clock: FakeClock) -> None:
    await enqueue_messages(db, clock, 1)
    transport = FlakyTransport(errors=[DeliveryError("429 Too Many Requests", retry_after=30)])
    worker = DeliveryWorker(db, transport, clock)
    start = clock.now()

    assert await worker.drain() == 0
    [row] = await rows(db)
    assert row.next_attempt_at == start + timedelta(seconds=30)  # not the 2 s backoff
    clock.advance(timedelta(seconds=29))
    assert await worker.drain() == 0
    assert len(transport.attempts) == 1
    clock.advance(timedelta(seconds=1))
    assert await worker.drain() == 1
    assert len(transport.sent) == 1


async def test_gives_up_after_max_attempts_with_a_log_line(
    db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    await enqueue_messages(db, clock, 1)
    transport = FlakyTransport(errors=[DeliveryError(f"down {n}") for n in range(10)])
    worker = DeliveryWorker(db, transport, clock, policy=RetryPolicy(max_attempts=3))

    with caplog.at_level(logging.WARNING, logger="bot.outbox"):
        for _ in range(6):
            await worker.drain()
            clock.advance(timedelta(hours=1))
    [row] = await rows(db)
    assert (row.status, row.attempts, row.last_error) == ("failed", 3, "down 2")
    assert len(transport.attempts) == 3
    assert transport.sent == []
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "giving up" in errors[0].getMessage()
    assert f"message {row.id}" in errors[0].getMessage()


async def test_permanent_error_fails_without_retry(
    db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    await enqueue_messages(db, clock, 2)
    transport = FlakyTransport(errors=[PermanentDeliveryError("member left")])
    worker = DeliveryWorker(db, transport, clock)

    with caplog.at_level(logging.WARNING, logger="bot.outbox"):
        assert await worker.drain() == 1  # the second message still goes out
        clock.advance(timedelta(days=1))
        assert await worker.drain() == 0
    first, second = await rows(db)
    assert (first.status, first.attempts, first.last_error) == ("failed", 1, "member left")
    assert (second.status, second.attempts) == ("sent", 1)
    assert transport.attempts == [first.id, second.id]
    assert any(
        r.levelno == logging.ERROR and "can't be delivered" in r.getMessage()
        for r in caplog.records
    )


async def test_unexpected_transport_error_is_retried(db: Database, clock: FakeClock) -> None:
    await enqueue_messages(db, clock, 1)
    transport = FlakyTransport(errors=[RuntimeError("bug in the adapter")])
    worker = DeliveryWorker(db, transport, clock)
    assert await worker.drain() == 0
    clock.advance(timedelta(seconds=2))
    assert await worker.drain() == 1
    assert len(transport.sent) == 1


@pytest.mark.parametrize("batch", [1, 7, 50])
async def test_two_workers_on_two_databases_deliver_each_message_once(
    database_url: str, db: Database, clock: FakeClock, batch: int
) -> None:
    await enqueue_messages(db, clock, 60)
    other = Database(database_url)  # a second process on the same file
    try:
        transport = YieldingTransport()
        workers = [
            DeliveryWorker(db, transport, clock, batch=batch),
            DeliveryWorker(other, transport, clock, batch=batch),
        ]
        counts = await asyncio.gather(*(w.drain() for w in workers), workers[0].drain())
        assert sum(counts) == 60
        assert sorted(transport.sent) == [r.id for r in await rows(db)]
        assert {r.status for r in await rows(other)} == {"sent"}
        assert all(r.attempts == 1 for r in await rows(db))
    finally:
        await other.dispose()


@dataclass
class SlowTransport:
    """Each send takes longer than a whole lease (on the fake clock)."""

    clock: FakeClock
    sent: list[int] = field(default_factory=list)

    async def deliver(
        self,
        community: CommunityRef,
        destination: Destination,
        message: Message,
        delivery_id: int,
        *,
        in_doubt: bool = False,
    ) -> None:
        self.sent.append(delivery_id)
        self.clock.advance(RetryPolicy().lease + timedelta(seconds=1))


async def test_a_slow_batch_stops_before_its_lease_lapses(db: Database, clock: FakeClock) -> None:
    await enqueue_messages(db, clock, 3)
    transport = SlowTransport(clock)
    worker = DeliveryWorker(db, transport, clock)
    assert await worker.drain() == 1  # the rest of the batch is left to be claimed again
    while await worker.drain():
        pass
    assert sorted(transport.sent) == [r.id for r in await rows(db)]  # each exactly once
