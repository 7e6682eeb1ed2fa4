"""Complete flows per second through the core, against the raw aiosqlite write rate.

A flow is: a seeker's request (coach + matching over 1,000 volunteers) → "let the bot choose"
→ the volunteer is asked → Accept → introduction, with the outbox drained through a transport
that only notes each member's latest ask. Both numbers come from one run on SQLite files in a
temporary folder, with the app's pragmas (WAL, synchronous=FULL, BEGIN IMMEDIATE). Target:
flows/s ≥ raw transactions/s ÷ 10.

    .venv/bin/python bench/flows.py [--flows 300] [--volunteers 1000] [--profile] [--windows]

Also printed, to help optimisation: milliseconds and SQL statements per command, the rate in
the first and second half of the run (a query that grows with history shows as a drop), and
peak memory; then the write path of a further third of the flows run with every hand-over
to the database thread timed: per step the wall and CPU milliseconds, split into the event
loop, the database thread and the hand-overs between them, the transactions and hand-overs,
and each kind of statement with its count and mean milliseconds. `--profile` adds where the
time goes (cProfile, the core's own functions). `--windows` has volunteers and seekers give
weekly windows in their own zones, so matching also looks for their common free time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import pstats
import random
import resource
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import event

from bot.app import Infochat
from bot.clock import FakeClock
from bot.commands import Actor, Command, CommunityRef
from bot.outbox import DeliveryWorker
from bot.storage.database import BUSY_TIMEOUT_MS, Database, sqlite_url
from bot.views import Destination, Message, Reply

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
DRAIN = "outbox drain"
TARGET = 10  # flows/s must reach raw writes/s ÷ TARGET


@dataclass
class LastAsk:
    """A transport that remembers each member's latest ask, as a chat client would show it."""

    asks: dict[str, Message] = field(default_factory=dict)

    async def deliver(
        self,
        community: CommunityRef,
        destination: Destination,
        message: Message,
        delivery_id: int,
        *,
        in_doubt: bool = False,
    ) -> None:
        if destination.kind == "member" and any(b.action == "ask.accept" for b in message.buttons):
            self.asks[destination.user_ids[0]] = message


@dataclass
class Steps:
    """Wall time and SQL statements per step (a command's action, or the outbox drain), and
    where the write path spends it: each statement's time, the transactions, the hops between
    the event loop and aiosqlite's thread, and the time the database thread worked."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    cpu: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    statements: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    transactions: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    hops: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    awaited: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    in_thread: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    per_sql: dict[tuple[str, str], list[float]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0.0])
    )
    current: str = ""
    _started: float = 0.0

    def watch(self, db: Database) -> None:
        @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
        def _count(*_: Any) -> None:
            self.statements[self.current] += 1
            self._started = time.perf_counter()

        @event.listens_for(db.engine.sync_engine, "after_cursor_execute")
        def _timed(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            kept = self.per_sql[(self.current, _statement_name(statement))]
            kept[0] += 1
            kept[1] += time.perf_counter() - self._started

        @event.listens_for(db.engine.sync_engine, "commit")
        def _committed(*_: Any) -> None:
            self.transactions[self.current] += 1

    @contextlib.contextmanager
    def hops_counted(self) -> Iterator[None]:
        """Count each call handed to aiosqlite's thread, the time the loop waited for it and
        the time the thread worked on it (the rest of a step is the event loop's)."""
        original = aiosqlite.Connection._execute
        steps = self

        async def execute(conn: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
            worked = [0.0]

            def timed() -> Any:
                begun = time.perf_counter()
                try:
                    return fn(*args, **kwargs)
                finally:
                    worked[0] = time.perf_counter() - begun

            step = steps.current
            begun = time.perf_counter()
            try:
                return await original(conn, timed)
            finally:
                steps.hops[step] += 1
                steps.awaited[step] += time.perf_counter() - begun
                steps.in_thread[step] += worked[0]

        aiosqlite.Connection._execute = execute  # type: ignore[method-assign]
        try:
            yield
        finally:
            aiosqlite.Connection._execute = original  # type: ignore[method-assign]

    async def timed(self, step: str, work: Callable[[], Awaitable[Any]]) -> Any:
        self.current = step
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return await work()
        finally:
            self.times[step].append(time.perf_counter() - started)
            self.cpu[step] += time.process_time() - cpu
            self.current = ""

    def clear(self) -> None:
        for kept in (
            self.times, self.cpu, self.statements, self.transactions, self.hops, self.awaited,
            self.in_thread, self.per_sql,
        ):  # fmt: skip
            kept.clear()


def _statement_name(statement: str) -> str:
    """A statement's kind and table, e.g. `SELECT members`, `INSERT outbox`."""
    words = statement.split()
    verb = words[0].upper() if words else "?"
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
        return verb
    upper = [w.upper() for w in words]
    for marker in {"SELECT": ("FROM",), "INSERT": ("INTO",), "UPDATE": ("UPDATE",),
                   "DELETE": ("FROM",), "WITH": ("FROM",)}.get(verb, ()):  # fmt: skip
        if marker in upper[:-1]:
            return f"{verb} {words[upper.index(marker) + 1].strip('()')}"
    return " ".join(words[:2])


class Bench:
    def __init__(
        self, app: Infochat, worker: DeliveryWorker, transport: LastAsk, windows: bool = False
    ) -> None:
        self.app = app
        self.windows = windows  # volunteers and seekers give weekly windows (time-aware matching)
        self.worker = worker
        self.transport = transport
        self.steps = Steps()
        self.steps.watch(app.db)
        self.keys = 0

    async def run(self, user: str, action: str, target: str = "", **args: Any) -> Reply:
        self.keys += 1
        command = Command(Actor(COMMUNITY, user, user), action, f"b{self.keys}", target, args)
        reply: Reply = await self.steps.timed(action, lambda: self.app.dispatch(command))
        if not reply.ok:
            raise RuntimeError(f"{action} refused: {reply.messages[0].text}")
        return reply

    async def drain(self) -> None:
        await self.steps.timed(DRAIN, self.worker.drain)

    async def seed(self, volunteers: int, rng: random.Random) -> None:
        """Volunteers join through the core, with varied topics, schools and time zones."""
        for i in range(volunteers):
            await self.run(
                f"v{i}",
                "volunteer.join",
                role=rng.choice(("Engineer", "Manager", "Analyst", "Designer", "Lead")),
                organisation=f"Org {i % 97}",
                topics=", ".join(rng.sample(TOPICS, 2)),
                affiliations=rng.choice(SCHOOLS),
                timezone=rng.choice(ZONES),
                formats="video, phone",
                monthly_capacity="20",
                **self.availability(rng, own_zone=False),
            )
        await self.drain()

    def availability(self, rng: random.Random, own_zone: bool = True) -> dict[str, str]:
        """With --windows: one to three weekly windows of one to three hours, 8:00 to 22:00
        (a seeker's in a zone of their own; nothing drawn otherwise, so runs compare)."""
        if not self.windows:
            return {}
        days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        windows = []
        for _ in range(rng.randint(1, 3)):
            start = rng.randint(8, 19)
            windows.append(f"{rng.choice(days)} {start}-{start + rng.randint(1, 3)}")
        found = {"windows": "; ".join(windows)}
        return found | {"timezone": rng.choice(ZONES)} if own_zone else found

    async def flow(self, seeker: str, rng: random.Random) -> None:
        topic = rng.choice(TOPICS)
        reply = await self.run(
            seeker,
            "request.create",
            topic=topic,
            why=WHY.format(topic=topic),
            questions=(
                "What does a typical week look like in your role?",
                f"Which skills mattered most when you moved into {topic}?",
            ),
            affiliations=rng.choice(SCHOOLS),
            **self.availability(rng),
        )
        choose = next(b for m in reply.messages for b in m.buttons if b.target.endswith(":auto"))
        await self.run(seeker, choose.action, choose.target)
        await self.drain()
        [(volunteer, ask)] = self.transport.asks.items()
        self.transport.asks.clear()
        accept = next(b for b in ask.buttons if b.action == "ask.accept")
        await self.run(volunteer, accept.action, accept.target)
        await self.drain()


async def raw_rate(path: Path, n: int) -> float:
    """Single-row write transactions per second, with the app's pragmas, through aiosqlite."""
    async with aiosqlite.connect(path, isolation_level=None) as db:
        for pragma in ("journal_mode=WAL", "synchronous=FULL", f"busy_timeout={BUSY_TIMEOUT_MS}"):
            await db.execute(f"PRAGMA {pragma}")
        await db.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        started = time.perf_counter()
        for i in range(n):
            await db.execute("BEGIN IMMEDIATE")
            await db.execute("INSERT INTO t (v) VALUES (?)", (f"row {i}",))
            await db.execute("COMMIT")
        return n / (time.perf_counter() - started)


def report_steps(steps: Steps, flows: int) -> None:
    print(
        f"  {'step':<16} {'count':>6} {'mean ms':>8} {'p95 ms':>8} {'ms/flow':>8} {'SQL/step':>9}"
    )
    for step, times in _by_time(steps):
        p95 = statistics.quantiles(times, n=20)[-1] * 1000 if len(times) > 1 else times[0] * 1000
        print(
            f"  {step:<16} {len(times):>6} {statistics.fmean(times) * 1000:>8.2f} {p95:>8.2f} "
            f"{sum(times) / flows * 1000:>8.2f} {steps.statements[step] / len(times):>9.1f}"
        )


def report_write_path(steps: Steps) -> None:
    """Where a step's milliseconds go: the event loop (Python: the core, SQLAlchemy, the
    driver's glue), the database thread (SQLite itself, fsync included), and the hand-overs
    between the two (queueing, thread and loop wake-ups); and the CPU time the process used
    (both threads), which depends much less on the machine's load than wall time does."""
    print("write path, mean per step (ms; a busy machine adds to loop and hand-over, not CPU):")
    print(
        f"  {'step':<16} {'ms':>7} {'CPU':>7} {'loop':>7} {'thread':>7} {'hand-over':>9} "
        f"{'tx':>4} {'hops':>5} {'hops/tx':>7} {'hop µs':>7}"
    )
    for step, times in _by_time(steps):
        n = len(times)
        wall, awaited, worked = sum(times) / n, steps.awaited[step] / n, steps.in_thread[step] / n
        hops, tx = steps.hops[step] / n, steps.transactions[step] / n
        print(
            f"  {step:<16} {wall * 1000:>7.2f} {steps.cpu[step] / n * 1000:>7.2f} "
            f"{(wall - awaited) * 1000:>7.2f} "
            f"{worked * 1000:>7.2f} {(awaited - worked) * 1000:>9.2f} {tx:>4.1f} {hops:>5.1f} "
            f"{hops / tx if tx else 0:>7.1f} {(awaited - worked) / hops * 1e6 if hops else 0:>7.0f}"
        )
    print("  statements per step (count per step, mean ms each, loop and thread included):")
    for step, times in _by_time(steps):
        n = len(times)
        rows = sorted(
            ((name, kept) for (s, name), kept in steps.per_sql.items() if s == step),
            key=lambda item: -item[1][1],
        )
        listed = ", ".join(
            f"{name} {count / n:.1f}×{seconds / count * 1000:.2f}"
            for name, (count, seconds) in rows
        )
        print(f"    {step}: {listed}")


def _by_time(steps: Steps) -> list[tuple[str, list[float]]]:
    return sorted(steps.times.items(), key=lambda item: -sum(item[1]))


class Profile:
    """pyinstrument when it is installed (it follows coroutines), else cProfile."""

    def __init__(self) -> None:
        try:
            from pyinstrument import Profiler  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            self.pyinstrument: Any = None
            self.cprofile: cProfile.Profile | None = cProfile.Profile()
        else:
            self.pyinstrument = Profiler(async_mode="enabled", interval=0.0005)
            self.cprofile = None

    def start(self) -> None:
        if self.pyinstrument is not None:
            self.pyinstrument.start()
        elif self.cprofile is not None:
            self.cprofile.enable()

    def stop(self) -> None:
        if self.pyinstrument is not None:
            self.pyinstrument.stop()
        elif self.cprofile is not None:
            self.cprofile.disable()

    def report(self) -> None:
        if self.pyinstrument is not None:
            text = self.pyinstrument.output_text(unicode=True, color=False)
            print("\nprofile (pyinstrument):\n" + "\n".join(text.splitlines()[:80]))
            return
        assert self.cprofile is not None
        out = io.StringIO()
        stats = pstats.Stats(self.cprofile, stream=out)
        stats.sort_stats("tottime").print_stats(15)
        stats.sort_stats("cumulative").print_stats(r"/(bot|bench)/", 25)
        print("\nprofile (cProfile: a coroutine counts once per resumption; pip install")
        print("pyinstrument for a clearer tree):")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))


async def main(
    n_flows: int, n_volunteers: int, n_raw: int, profile: bool, windows: bool = False
) -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        raw_before = await raw_rate(Path(tmp) / "raw.db", n_raw)
        db = Database(sqlite_url(Path(tmp) / "bench.db"))
        await db.migrate()
        clock = FakeClock()
        transport = LastAsk()
        worker = DeliveryWorker(db, transport, clock)
        bench = Bench(Infochat(db, clock), worker, transport, windows)
        seeded = time.perf_counter()
        await bench.seed(n_volunteers, rng)
        print(
            f"seeded:           {n_volunteers} volunteers through the core in "
            f"{time.perf_counter() - seeded:.1f} s"
        )
        bench.steps.clear()
        profiler = Profile() if profile else None
        halves = []
        started = time.perf_counter()
        for half in (range(n_flows // 2), range(n_flows // 2, n_flows)):
            begun = time.perf_counter()
            if profiler is not None:
                profiler.start()
            for i in half:
                await bench.flow(f"s{i}", rng)
            if profiler is not None:
                profiler.stop()
            halves.append(len(half) / (time.perf_counter() - begun))
        elapsed = time.perf_counter() - started
        steps = bench.steps
        # A second, shorter run with every hop to the database thread timed (timing them
        # costs a little, so the flows/s above is measured without it).
        detail = Steps()
        detail.watch(db)
        bench.steps = detail
        with detail.hops_counted():
            for i in range(n_flows, n_flows + max(1, n_flows // 3)):
                await bench.flow(f"s{i}", rng)
        await db.dispose()
        raw_after = await raw_rate(Path(tmp) / "raw.db", n_raw)
    rate = n_flows / elapsed
    raw = (raw_before + raw_after) / 2
    print(
        f"flows:            {n_flows} in {elapsed:.2f} s = {rate:.1f} flows/s "
        f"({1000 / rate:.1f} ms/flow); first half {halves[0]:.1f}/s, second half {halves[1]:.1f}/s"
    )
    report_steps(steps, n_flows)
    print(
        f"raw aiosqlite:    {raw:.0f} single-row write transactions/s "
        f"(before {raw_before:.0f}, after {raw_after:.0f})"
    )
    verdict = "PASS" if rate >= raw / TARGET else "FAIL"
    print(
        f"ratio:            flows/s ÷ raw = 1/{raw / rate:.1f}  "
        f"(target 1/{TARGET}, i.e. ≥ {raw / TARGET:.0f} flows/s: {verdict})"
    )
    print(
        f"peak memory:      {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB RSS"
    )
    report_write_path(detail)
    if profiler is not None:
        profiler.report()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--flows", type=int, default=300)
    parser.add_argument("--volunteers", type=int, default=1000)
    parser.add_argument("--raw", type=int, default=2000, help="raw write transactions per pass")
    parser.add_argument("--profile", action="store_true", help="profile the flows (slower)")
    parser.add_argument(
        "--windows", action="store_true", help="volunteers and seekers give weekly windows"
    )
    options = parser.parse_args()
    asyncio.run(
        main(options.flows, options.volunteers, options.raw, options.profile, options.windows)
    )
