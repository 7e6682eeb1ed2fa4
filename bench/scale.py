"""Fast at community scale: the figures of issue 13, measured through the core's public API
on bulk-seeded communities, with their targets and PASS/FAIL.

For each engine (SQLite in a temporary folder; a throwaway local PostgreSQL when its server
programs are installed) and each size (`1k`, `10k`, `50k` volunteers, `50k+1M` with a
million completed chats; 100,000 members and 1,000 pending approvals at every size), one
process bulk-seeds the community (`bench/seed.py`) and a fresh one measures it:

- `request` (coach + match): p50 / p99 over `--commands` requests from different seekers;
- the first `request` after start: the fresh process's first command;
- `request` right after a volunteer edits a profile (an edit, then a request, repeated);
- the weekly digest preview (`mod.digest`), and the moderators' queue (`mod.queue`);
- the measuring process's peak RSS (`ru_maxrss`), and how long seeding took.

    .venv/bin/python bench/scale.py [--sizes 1k,10k,50k,50k+1M] [--engine sqlite|postgres|all]
                                    [--quick] [--commands 40]

A target with one figure is for the p50. Nothing leaves the machine: PostgreSQL listens on
127.0.0.1 only, and everything is written to temporary folders that are removed afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test suite's PostgreSQL

from bench.seed import (
    FREE_SEEKERS,
    QUESTIONS,
    SEEKER_ORDER,
    WHY,
    Seeded,
    Size,
    Weighted,
    member_actor,
    moderator_actor,
    parse_size,
    seed,
)
from bot.app import Infochat
from bot.clock import FakeClock
from bot.commands import Actor, Command
from bot.storage.database import Database, sqlite_url

DEFAULT_SIZES = "1k,10k,50k,50k+1M"
QUICK_SIZES = "1k,10k"
SEED_LIMIT_S = 120.0


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    p50: float  # target for the p50 (ms, or MB for memory)
    p99: float | None = None  # target for the p99, when the issue gives one
    unit: str = "ms"

    def target(self) -> str:
        both = f"{_number(self.p50)} / {_number(self.p99)}" if self.p99 else _number(self.p50)
        return f"≤ {both} {self.unit}"


ROWS = (
    Row("request", "`request` (coach + match)", 20, 60),
    Row("first", "first `request` after start", 100),
    Row("after_edit", "`request` right after a profile edit", 20),
    Row("digest", "weekly digest (preview)", 1_000),
    Row("queue", "moderators' queue ({pending} pending)", 30),
    Row("rss", "process peak RSS", 150, unit="MB"),
)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


# ---- measuring (in a fresh process on the seeded database) ----


@dataclass
class Probe:
    """Times and SQL statements of each measured command, by row."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statements: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    current: str = ""
    keys: int = 0

    def watch(self, db: Database) -> None:
        @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
        def _count(*_: Any) -> None:
            if self.current:
                self.statements[self.current] += 1

    async def run(self, app: Infochat, row: str, actor: Actor, action: str, **args: Any) -> None:
        self.keys += 1
        command = Command(actor, action, f"scale-{self.keys}", "", args)
        self.current = row
        started = time.perf_counter()
        try:
            reply = await app.dispatch(command)
        finally:
            if row:
                self.times[row].append((time.perf_counter() - started) * 1000)
            self.current = ""
        if not reply.ok:
            raise RuntimeError(f"{action} refused: {reply.messages[0].text}")


async def measure(url: str, seeded: Seeded, commands: int, digests: int, queues: int) -> Any:
    rng = random.Random(29)
    topics = Weighted(SEEKER_ORDER, 0.9)
    seekers: Iterator[int] = iter(seeded.seekers)
    clock = FakeClock(seeded.now + timedelta(minutes=1))
    db = Database(url)
    app = Infochat(db, clock)
    probe = Probe()
    probe.watch(db)

    async def request(row: str) -> None:
        clock.advance(timedelta(seconds=1))
        topic = topics.draw(rng)
        await probe.run(
            app, row, member_actor(next(seekers)), "request.create", topic=topic,
            why=WHY.format(topic=topic),
            questions=(QUESTIONS[0], QUESTIONS[1].format(topic=topic)),
        )  # fmt: skip

    try:
        await request("first")
        for _ in range(commands):
            await request("request")
        for _ in range(commands):
            volunteer = member_actor(rng.choice(seeded.volunteers))
            capacity = str(rng.randrange(1, 5))
            clock.advance(timedelta(seconds=1))
            await probe.run(app, "", volunteer, "volunteer.edit", monthly_capacity=capacity)
            await request("after_edit")
        for _ in range(digests):
            await probe.run(app, "digest", moderator_actor(), "mod.digest")
        for _ in range(queues):
            await probe.run(app, "queue", moderator_actor(), "mod.queue")
    finally:
        await db.dispose()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {
        "times": dict(probe.times),
        "sql": {row: probe.statements[row] / len(times) for row, times in probe.times.items()},
        "rss": rss,
    }


# ---- running: seed and measure each size in processes of their own ----


@dataclass
class Result:
    engine: str
    size: Size
    seed_seconds: float = 0.0
    seed_cpu_seconds: float = 0.0
    rows_seeded: int = 0
    times: dict[str, list[float]] = field(default_factory=dict)
    sql: dict[str, float] = field(default_factory=dict)
    rss: float = 0.0
    error: str = ""


def _child(role: str, url: str, options: argparse.Namespace, info: Path, out: Path) -> None:
    args = [
        sys.executable, str(Path(__file__).resolve()), "--role", role, "--url", url,
        "--info", str(info), "--out", str(out), "--sizes", options.sizes,
        "--members", str(options.members), "--pending", str(options.pending),
        "--commands", str(options.commands), "--digests", str(options.digests),
        "--queues", str(options.queues),
    ]  # fmt: skip
    if role == "seed":
        args += ["--seed-size", options.seed_size, "--now", options.now]
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{role} failed:\n{done.stderr[-3000:]}")


def run_one(engine: str, url: str, size: Size, options: argparse.Namespace, tmp: Path) -> Result:
    result = Result(engine, size)
    info, out = tmp / f"{size.label}-seeded.json", tmp / f"{size.label}-measured.json"
    options.seed_size = f"{size.volunteers}+{size.chats}"
    options.now = datetime.now(UTC).replace(microsecond=0).isoformat()
    print(f"[{engine} {size.label}] seeding…", flush=True)
    try:
        _child("seed", url, options, info, out)
        seeded = Seeded.from_json(json.loads(info.read_text()))
        result.seed_seconds, result.rows_seeded = seeded.seconds, seeded.rows
        result.seed_cpu_seconds = seeded.cpu_seconds
        print(
            f"[{engine} {size.label}] seeded {seeded.rows:,} rows in {seeded.seconds:.1f} s "
            f"(CPU {seeded.cpu_seconds:.1f} s); "
            "measuring in a fresh process…",
            flush=True,
        )
        _child("measure", url, options, info, out)
        measured = json.loads(out.read_text())
        result.times, result.sql, result.rss = measured["times"], measured["sql"], measured["rss"]
        figures = ", ".join(f"{row.key} {cell(row, result)[0]}" for row in ROWS)
        print(f"[{engine} {size.label}] {figures}", flush=True)
    except RuntimeError as exc:
        result.error = str(exc)
        print(f"[{engine} {size.label}] {exc}", flush=True)
    return result


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the p99 of 40 values is the largest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _duration(ms: float) -> str:
    return f"{ms / 1000:.1f} s" if ms >= 1000 else f"{ms:.0f} ms" if ms >= 10 else f"{ms:.1f} ms"


def cell(row: Row, result: Result) -> tuple[str, bool | None]:
    """The figure shown for `row` at one size, and whether it meets the target."""
    if result.error:
        return "error", None
    if row.key == "rss":
        return f"{result.rss:.0f} MB", result.rss <= row.p50
    times = result.times.get(row.key)
    if not times:
        return "—", None
    p50, p99 = percentile(times, 50), percentile(times, 99)
    ok = p50 <= row.p50 and (row.p99 is None or p99 <= row.p99)
    text = _duration(p50) if len(times) == 1 else f"{_duration(p50)} / {_duration(p99)}"
    return text, ok


def table(results: list[Result], pending: int) -> tuple[str, bool]:
    """The issue's table: one column per size, the target, PASS/FAIL per cell."""
    header = ["figure (p50 / p99)", *(r.size.label for r in results), "target"]
    lines = [header]
    all_pass = True
    for row in ROWS:
        cells = [row.label.format(pending=f"{pending:,}")]
        for result in results:
            text, ok = cell(row, result)
            all_pass = all_pass and ok is True
            verdict = "" if ok is None else (" PASS" if ok else " FAIL")
            cells.append(text + verdict)
        lines.append([*cells, row.target()])
    seeding = ["seeding (bulk SQL; wall time)"]
    for result in results:
        ok = result.seed_seconds <= SEED_LIMIT_S
        seeding.append(
            f"{result.seed_seconds:.0f} s (CPU {result.seed_cpu_seconds:.0f} s) "
            + ("PASS" if ok else "FAIL")
        )
        all_pass = all_pass and ok
    lines.append([*seeding, f"< {SEED_LIMIT_S:.0f} s"])
    sql = ["SQL statements per command:"] + [""] * (len(results) + 1)
    lines.append(sql)
    for row in ROWS[:-1]:
        cells = ["  " + row.key]
        for result in results:
            count = result.sql.get(row.key)
            cells.append("—" if count is None else f"{count:,.0f}")
        lines.append([*cells, ""])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = "\n".join(
        " | ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    )
    return text, all_pass


def postgres_server() -> Any:
    """A throwaway local PostgreSQL (the test suite's), or None without its programs."""
    from tests.postgres import PostgresServer

    try:
        return PostgresServer()
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        print(f"PostgreSQL: skipped ({exc})", flush=True)
        return None


async def _drop(server: Any, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    await server._admin(f"DROP DATABASE IF EXISTS {name}")


def run(options: argparse.Namespace) -> int:
    sizes = [parse_size(s, options.members, options.pending) for s in options.sizes.split(",")]
    engines = ["sqlite", "postgres"] if options.engine == "all" else [options.engine]
    failed = False
    for engine in engines:
        server = postgres_server() if engine == "postgres" else None
        if engine == "postgres" and server is None:
            continue
        results = []
        try:
            with tempfile.TemporaryDirectory(prefix="infochat-scale-") as folder:
                tmp = Path(folder)
                for size in sizes:
                    if server is None:
                        path = tmp / f"scale-{size.label}.db"
                        results.append(run_one(engine, sqlite_url(path), size, options, tmp))
                        for leftover in tmp.glob(f"scale-{size.label}.db*"):
                            leftover.unlink()
                    else:
                        url = asyncio.run(server.fresh_database())
                        results.append(run_one(engine, url, size, options, tmp))
                        asyncio.run(_drop(server, url))
        finally:
            if server is not None:
                server.stop()
        text, ok = table(results, options.pending)
        print(f"\n{engine}: {options.members:,} members, {options.commands} commands per row\n")
        print(text)
        failed = failed or not ok
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", help=f"volunteers[+chats], default {DEFAULT_SIZES}")
    parser.add_argument("--engine", choices=("sqlite", "postgres", "all"), default="all")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"sizes {QUICK_SIZES} (unless --sizes), 10 commands, 1 digest, 5 queues",
    )
    parser.add_argument("--commands", type=int, help="requests per row (default 40)")
    parser.add_argument("--digests", type=int, help="digest previews (default 3)")
    parser.add_argument("--queues", type=int, help="moderators' queues (default 20)")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--pending", type=int, default=1_000, help="asks waiting for approval")
    for internal in ("--role", "--url", "--info", "--out", "--seed-size", "--now"):
        parser.add_argument(internal, help=argparse.SUPPRESS)
    options = parser.parse_args()
    quick = options.quick
    options.sizes = options.sizes or (QUICK_SIZES if quick else DEFAULT_SIZES)
    options.commands = options.commands or (10 if quick else 40)
    options.digests = options.digests or (1 if quick else 3)
    options.queues = options.queues or (5 if quick else 20)
    if 2 * options.commands + 1 > FREE_SEEKERS:
        parser.error(f"--commands: at most {(FREE_SEEKERS - 1) // 2} (one seeker per request)")
    if options.role == "seed":
        size = parse_size(options.seed_size, options.members, options.pending)
        seeded = asyncio.run(seed(options.url, size, datetime.fromisoformat(options.now)))
        Path(options.info).write_text(json.dumps(seeded.to_json()))
        return 0
    if options.role == "measure":
        seeded = Seeded.from_json(json.loads(Path(options.info).read_text()))
        measured = asyncio.run(
            measure(options.url, seeded, options.commands, options.digests, options.queues)
        )
        Path(options.out).write_text(json.dumps(measured))
        return 0
    return run(options)


if __name__ == "__main__":
    sys.exit(main())
