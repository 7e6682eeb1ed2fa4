"""Many writers on one SQLite file: command and delivery latency with several bot processes.

Each of `--processes` OS processes opens the same SQLite file as `infochat run` would (its
own `Database`, the real core `Infochat.dispatch`, a delivery worker woken by every commit,
a transport that records when each message was sent), then runs `--writers` concurrent
members. Each writer plays seekers, one complete flow after another: a request (coach +
matching) → "let the bot choose" (the volunteer is asked) → the volunteer accepts (the
introduction). Every process starts at once; the clock is the real one.

Printed: command latency p50/p99/max (per action and overall), refusals and apologies,
delivery latency from the commit that wrote a message to its send p50/p99/max, messages
not sent within 60 s, and messages still undelivered once the writers stop and the workers
had `--grace` seconds to finish.

    .venv/bin/python bench/writers.py [--processes 4] [--writers 50] [--flows 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import multiprocessing
import random
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import APOLOGY, Infochat
from bot.clock import SystemClock
from bot.commands import Actor, Command, CommunityRef
from bot.outbox import DeliveryWorker
from bot.storage.database import Database, sqlite_url
from bot.storage.schema import asks, members, outbox
from bot.views import Destination, Message, Reply

COMMUNITY = CommunityRef("bench", "bench", "Benchmark")
TOPICS = (
    "data engineering", "software engineering", "data science", "product management",
    "ux design", "marketing", "finance", "devops", "sales", "law",
)  # fmt: skip
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Singapore", "Europe/London", "UTC")
SCHOOLS = ("University of Toronto", "Le Wagon", "MIT", "TU Delft", "Makers Academy")
WHY = (
    "I am a backend developer moving toward {topic} and want to hear how the work "
    "differs day to day from what I do now"
)
LATE = 60.0  # a message not sent this many seconds after its commit counts as late


@dataclass
class Recording:
    """A transport that notes when each message was sent (wall time, comparable across
    processes)."""

    sent: dict[int, float] = field(default_factory=dict)

    async def deliver(
        self, community: CommunityRef, destination: Destination, message: Message, delivery_id: int
    ) -> None:
        self.sent.setdefault(delivery_id, time.time())


def watch_commits(db: Database, committed: dict[int, float]) -> None:
    """Note the wall time at which each outbox row's transaction committed."""
    pending: dict[int, list[int]] = defaultdict(list)

    @event.listens_for(db.engine.sync_engine, "after_cursor_execute")
    def _inserted(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX"):
            pending[id(conn)].append(int(cursor.lastrowid))

    @event.listens_for(db.engine.sync_engine, "commit")
    def _commit(conn: Any) -> None:
        ids = pending.pop(id(conn), [])
        if ids:
            at = time.time()  # just before COMMIT returns; the send can't precede it
            committed.update((i, at) for i in ids)

    @event.listens_for(db.engine.sync_engine, "rollback")
    def _rollback(conn: Any) -> None:
        pending.pop(id(conn), None)


@dataclass
class Writer:
    app: Infochat
    name: str
    rng: random.Random
    timings: list[tuple[str, float, str]]
    keys: int = 0

    async def run(self, user: str, action: str, target: str = "", **args: Any) -> Reply:
        self.keys += 1
        command = Command(
            Actor(COMMUNITY, user, user), action, f"{self.name}-{self.keys}", target, args
        )
        started = time.perf_counter()
        reply = await self.app.dispatch(command)
        elapsed = time.perf_counter() - started
        outcome = "ok" if reply.ok else "apology" if APOLOGY in reply.messages[0].text else "no"
        self.timings.append((action, elapsed, outcome))
        return reply

    async def flow(self, seeker: str) -> None:
        topic = self.rng.choice(TOPICS)
        reply = await self.run(
            seeker,
            "request.create",
            topic=topic,
            why=WHY.format(topic=topic),
            questions=(
                "What does a typical week look like in your role?",
                f"Which skills mattered most when you moved into {topic}?",
            ),
            affiliations=self.rng.choice(SCHOOLS),
        )
        choose = next(
            (b for m in reply.messages for b in m.buttons if b.target.endswith(":auto")), None
        )
        if choose is None:
            return
        request_id = int(choose.target.split(":")[0])
        if not (await self.run(seeker, choose.action, choose.target)).ok:
            return
        ask = await self.pending_ask(request_id)
        if ask is not None:
            volunteer, ask_id = ask
            await self.run(volunteer, "ask.accept", str(ask_id))

    async def pending_ask(self, request_id: int) -> tuple[str, int] | None:
        """The volunteer asked for a request, as their ask message's Accept button says
        (read here rather than waiting for the message, which another process may send)."""
        async with self.app.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(members.c.user_id, asks.c.id)
                    .join(members, members.c.id == asks.c.volunteer_id)
                    .where(asks.c.request_id == request_id, asks.c.status == "asked")
                )
            ).first()
        return None if row is None else (row.user_id, row.id)


async def seed(path: Path, volunteers: int, rng: random.Random) -> None:
    db = Database(sqlite_url(path))
    await db.migrate()
    app = Infochat(db, SystemClock())
    for i in range(volunteers):
        command = Command(
            Actor(COMMUNITY, f"v{i}", f"v{i}"),
            "volunteer.join",
            f"join-{i}",
            "",
            {
                "role": rng.choice(("Engineer", "Manager", "Analyst", "Designer", "Lead")),
                "organisation": f"Org {i % 97}",
                "topics": ", ".join(rng.sample(TOPICS, 3)),
                "affiliations": rng.choice(SCHOOLS),
                "timezone": rng.choice(ZONES),
                "formats": "video, phone",
                "monthly_capacity": "20",
            },
        )
        reply = await app.dispatch(command)
        if not reply.ok:
            raise RuntimeError(f"volunteer.join refused: {reply.messages[0].text}")
    async with db.transaction() as conn:  # the joins' confirmations are not part of the run
        await conn.execute(sa.update(outbox).values(status="sent"))
    await db.dispose()


async def undelivered(db: Database) -> int:
    async with db.read() as conn:
        query = sa.select(sa.func.count()).where(outbox.c.status == "pending")
        return int((await conn.execute(query)).scalar_one())


async def process_main(
    path: str, index: int, writers: int, flows: int, grace: float, barrier: Barrier
) -> dict[str, Any]:
    logging.getLogger("bot").setLevel(logging.CRITICAL)  # apologies are counted, not logged
    db = Database(sqlite_url(Path(path)))
    clock = SystemClock()
    transport = Recording()
    committed: dict[int, float] = {}
    watch_commits(db, committed)
    worker = DeliveryWorker(db, transport, clock)
    app = Infochat(db, clock, on_commit=worker.wake.set)
    timings: list[tuple[str, float, str]] = []
    loop = asyncio.get_running_loop()
    delivering = asyncio.create_task(worker.run_forever(poll_seconds=1.0))
    await loop.run_in_executor(None, barrier.wait, 120)  # every process starts at once
    started = time.perf_counter()

    async def write(w: int) -> None:
        writer = Writer(app, f"p{index}w{w}", random.Random(index * 1000 + w), timings)
        for f in range(flows):
            await writer.flow(f"s{index}-{w}-{f}")

    await asyncio.gather(*(write(w) for w in range(writers)))
    elapsed = time.perf_counter() - started
    await loop.run_in_executor(None, barrier.wait, 600)  # every process's writers are done
    deadline = time.perf_counter() + grace
    while time.perf_counter() < deadline and await undelivered(db):
        worker.wake.set()
        await asyncio.sleep(0.1)
    delivering.cancel()
    with contextlib.suppress(asyncio.CancelledError, TimeoutError):
        await asyncio.wait_for(delivering, timeout=5)
    left = await undelivered(db)
    await db.dispose()
    return {
        "timings": timings,
        "sent": transport.sent,
        "committed": committed,
        "elapsed": elapsed,
        "undelivered": left,
    }


def process_entry(
    path: str, index: int, writers: int, flows: int, grace: float, barrier: Barrier, out: Any
) -> None:
    try:
        out.put(asyncio.run(process_main(path, index, writers, flows, grace, barrier)))
    except BaseException as exc:
        barrier.abort()
        out.put({"error": repr(exc)})
        raise


def quantiles(values: list[float]) -> str:
    if not values:
        return f"{'-':>8} {'-':>8} {'-':>8}"
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return f"{at(0.5):>8.0f} {at(0.99):>8.0f} {ordered[-1] * 1000:>8.0f}"


def report(results: list[dict[str, Any]], wall: float) -> None:
    timings = [t for r in results for t in r["timings"]]
    by_action: dict[str, list[float]] = defaultdict(list)
    outcomes: dict[str, int] = defaultdict(int)
    for action, elapsed, outcome in timings:
        by_action[action].append(elapsed)
        outcomes[outcome] += 1
    print(f"commands:         {len(timings)} in {wall:.1f} s = {len(timings) / wall:.0f}/s")
    print(
        f"  outcomes:       {outcomes['ok']} ok, {outcomes['no']} refused, "
        f"{outcomes['apology']} apologies"
    )
    print(f"  {'latency ms':<16} {'count':>6} {'p50':>8} {'p99':>8} {'max':>8}")
    for action, values in sorted(by_action.items()):
        print(f"  {action:<16} {len(values):>6} {quantiles(values)}")
    every = [t[1] for t in timings]
    print(f"  {'all commands':<16} {len(every):>6} {quantiles(every)}")
    committed: dict[int, float] = {}
    sent: dict[int, float] = {}
    for r in results:
        committed.update(r["committed"])
        for i, at in r["sent"].items():
            sent[i] = min(at, sent.get(i, at))
    delays = [sent[i] - committed[i] for i in committed if i in sent]
    late = sum(1 for d in delays if d > LATE)
    print(f"  {'delivery':<16} {len(delays):>6} {quantiles(delays)}   (commit → send)")
    print(f"deliveries:       {len(committed)} messages; {late} sent later than {LATE:.0f} s")
    print(f"undelivered:      {results[0]['undelivered']} still pending after the grace period")


def main(processes: int, writers: int, flows: int, volunteers: int, grace: float) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "writers.db"
        asyncio.run(seed(path, volunteers, random.Random(7)))
        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(processes)
        out = context.Queue()
        children = [
            context.Process(
                target=process_entry,
                args=(str(path), i, writers, flows, grace, barrier, out),
            )
            for i in range(processes)
        ]
        for child in children:
            child.start()
        results = [out.get(timeout=1800) for _ in children]
        for child in children:
            child.join(timeout=60)
    errors = [r["error"] for r in results if "error" in r]
    if errors:
        print("a process failed:", *errors, sep="\n  ")
        return 1
    print(
        f"setup:            {processes} processes × {writers} writers × {flows} flows "
        f"(request → let the bot choose → accept), {volunteers} volunteers, one SQLite file"
    )
    elapsed = " ".join(f"{r['elapsed']:.1f}" for r in results)
    print(f"writers' time:    {elapsed} s per process")
    report(results, max(r["elapsed"] for r in results))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--writers", type=int, default=50, help="concurrent writers per process")
    parser.add_argument("--flows", type=int, default=3, help="flows per writer")
    parser.add_argument("--volunteers", type=int, default=300)
    parser.add_argument("--grace", type=float, default=30.0, help="seconds to finish deliveries")
    o = parser.parse_args()
    sys.exit(main(o.processes, o.writers, o.flows, o.volunteers, o.grace))
