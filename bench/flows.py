"""Complete flows per second through the core, against the raw aiosqlite write rate.

A flow is: a seeker's request (coach + matching over 1,000 volunteers) → "let the bot choose"
→ the volunteer is asked → Accept → introduction, with the outbox drained. Both numbers come
from one run on SQLite files in a temporary folder, with the app's pragmas (WAL,
synchronous=FULL, BEGIN IMMEDIATE). Target: flows/s ≥ raw transactions/s ÷ 10.

    .venv/bin/python bench/flows.py [--flows 300] [--volunteers 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import aiosqlite

from bot.app import Infochat
from bot.clock import FakeClock
from bot.commands import Actor, Command, CommunityRef
from bot.outbox import DeliveryWorker
from bot.storage.database import Database, sqlite_url
from bot.views import Destination, Message

COMMUNITY = CommunityRef("bench", "bench", "Benchmark")
TOPICS = (
    "data engineering", "software engineering", "data science", "product management",
    "ux design", "marketing", "finance", "devops", "sales", "law", "teaching", "healthcare",
    "security", "recruiting", "policy", "research", "nonprofit", "accounting", "growth",
    "customer success",
)  # fmt: skip
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Singapore", "Europe/London", "UTC")
SCHOOLS = ("University of Toronto", "Le Wagon", "MIT", "TU Delft", "Makers Academy")
WHY = (
    "I am a backend developer moving toward {topic} and want to hear how the work "
    "differs day to day from what I do now"
)


@dataclass
class LastAsk:
    """A transport that remembers each member's latest ask, as a chat client would show it."""

    asks: dict[str, Message] = field(default_factory=dict)

    async def deliver(
        self, community: CommunityRef, destination: Destination, message: Message, delivery_id: int
    ) -> None:
        if destination.kind == "member" and message.buttons:
            self.asks[destination.user_ids[0]] = message


class Bench:
    def __init__(self, app: Infochat) -> None:
        self.app = app
        self.keys = 0
        self.timings: dict[str, float] = defaultdict(float)

    async def run(self, user: str, action: str, target: str = "", **args: str) -> object:
        self.keys += 1
        command = Command(Actor(COMMUNITY, user, user), action, f"b{self.keys}", target, args)
        started = time.perf_counter()
        reply = await self.app.dispatch(command)
        self.timings[action] += time.perf_counter() - started
        if not reply.ok:
            raise RuntimeError(f"{action} refused: {reply.messages[0].text}")
        return reply


async def seed(bench: Bench, volunteers: int, rng: random.Random) -> None:
    for i in range(volunteers):
        await bench.run(
            f"v{i}",
            "volunteer.join",
            role=rng.choice(("Engineer", "Manager", "Analyst", "Designer", "Lead")),
            organisation=f"Org {i % 97}",
            topics=", ".join(rng.sample(TOPICS, 2)),
            affiliations=rng.choice(SCHOOLS),
            timezone=rng.choice(ZONES),
            formats="video, phone",
            monthly_capacity="20",
        )


async def flows(
    bench: Bench, worker: DeliveryWorker, transport: LastAsk, n: int, rng: random.Random
) -> float:
    started = time.perf_counter()
    for i in range(n):
        seeker = f"s{i}"
        topic = rng.choice(TOPICS)
        await bench.run(
            seeker,
            "request.create",
            topic=topic,
            why=WHY.format(topic=topic),
            questions=(
                "What does a typical week look like in your role?",
                f"Which skills mattered most when you moved into {topic}?",
            ),
            affiliations=rng.choice(SCHOOLS),
        )
        await bench.run(seeker, "request.pick", f"{i + 1}:auto")
        await worker.drain()
        volunteer, ask = next(iter(transport.asks.items()))
        transport.asks.clear()
        await bench.run(volunteer, "ask.accept", ask.buttons[0].target)
        await worker.drain()
    return time.perf_counter() - started


async def raw_rate(path: Path, n: int) -> float:
    async with aiosqlite.connect(path, isolation_level=None) as db:
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=10000"):
            await db.execute(f"PRAGMA {pragma}")
        await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        started = time.perf_counter()
        for i in range(n):
            await db.execute("BEGIN IMMEDIATE")
            await db.execute("INSERT INTO t (v) VALUES (?)", (f"row {i}",))
            await db.execute("COMMIT")
        return n / (time.perf_counter() - started)


async def main(n_flows: int, n_volunteers: int) -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(sqlite_url(Path(tmp) / "bench.db"))
        await db.migrate()
        clock = FakeClock()
        transport = LastAsk()
        app = Infochat(db, clock)
        worker = DeliveryWorker(db, transport, clock)
        bench = Bench(app)
        seeded = time.perf_counter()
        await seed(bench, n_volunteers, rng)
        await worker.drain()
        print(
            f"seeded {n_volunteers} volunteers through the core in {time.perf_counter() - seeded:.1f} s"
        )
        bench.timings.clear()
        elapsed = await flows(bench, worker, transport, n_flows, rng)
        await db.dispose()
        raw = await raw_rate(Path(tmp) / "raw.db", 3000)
    rate = n_flows / elapsed
    print(
        f"flows:            {n_flows} in {elapsed:.2f} s = {rate:.1f} flows/s ({1000 / rate:.1f} ms/flow)"
    )
    for action, seconds in sorted(bench.timings.items()):
        print(f"  {action:<16} {seconds / n_flows * 1000:6.2f} ms/flow")
    drain = elapsed - sum(bench.timings.values())
    print(f"  {'outbox drain':<16} {drain / n_flows * 1000:6.2f} ms/flow")
    print(f"raw aiosqlite:    {raw:.0f} single-row write transactions/s")
    print(
        f"ratio:            flows/s ÷ raw = 1/{raw / rate:.1f}  (target 1/10: {'PASS' if rate >= raw / 10 else 'FAIL'})"
    )
    print(f"peak memory:      {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=300)
    parser.add_argument("--volunteers", type=int, default=1000)
    options = parser.parse_args()
    asyncio.run(main(options.flows, options.volunteers))
