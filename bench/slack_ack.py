"""Slack ack latency: how fast the app answers Slack's HTTP requests (Slack gives up after 3 s).

The app runs in its own process, in HTTP mode as `infochat run` starts it (`serve_http`:
bolt's aiohttp adapter, the outbox worker and the jobs runner), on SQLite in a temporary
folder; the test suite's fake Slack Web API and the client run in this process, as Slack
would, all on 127.0.0.1. After warm-up (volunteers join, one request), it sends 100
concurrent signed slash commands (`/infochat request …`, one per seeker: coach, matching,
suggestions) over kept-alive connections, waits for the work to finish, then 100 concurrent button clicks ("Let the bot
choose" on each seeker's suggestions: the volunteer is asked), and measures each HTTP
response, i.e. the ack. The same requests then go to a no-op bolt app (its own process too)
that only acks. Target: p99 ≤ 50 ms, and p50 within 3× of the no-op app's p50.

    .venv/bin/python bench/slack_ack.py [--requests 100] [--volunteers 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import re
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test suite's fake Slack

from adapters.slack.app import EVENTS_PATH, web_client
from adapters.slack.serve import serve_http
from bot.config import Settings
from tests.adapters.slack.harness import SECRET, FakeSlack, sign

HOST = "127.0.0.1"
TEAM = "T0BENCH"
TOPICS = ("data engineering", "software engineering", "data science", "product management")
WHY = (
    "I am a backend developer moving toward {topic} and want to hear how the work differs "
    "day to day from what I do now"
)
QUESTIONS = 'q="What does a typical week look like in your role?" q="Which skills mattered most?"'
P99_TARGET_MS = 50.0
NOOP_RATIO = 3.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def command_body(fake: FakeSlack, user: str, text: str, n: int) -> str:
    return urlencode(
        {
            "team_id": TEAM,
            "team_domain": "bench",
            "channel_id": "C0GENERAL",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/infochat",
            "text": text,
            "response_url": f"{fake.url}response/{user}/c{n}",
            "trigger_id": f"bench-{user}-{n}",
        }
    )


def click_body(fake: FakeSlack, user: str, button: dict[str, Any], n: int) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "bench"},
        "user": {"id": user, "username": user.lower()},
        "trigger_id": f"bench-click-{user}-{n}",
        "response_url": f"{fake.url}response/{user}/b{n}",
        "container": {"type": "message", "is_ephemeral": True, "message_ts": "1.1"},
        "actions": [
            {
                "type": "button",
                "action_id": button["action_id"],
                "block_id": "infochat_actions",
                "value": button["value"],
                "action_ts": f"{time.time():.6f}{n}",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


async def send(session: aiohttp.ClientSession, url: str, body: str) -> float:
    """One signed request; milliseconds until the response (the ack)."""
    headers = sign(body)
    start = time.perf_counter()
    async with session.post(url, data=body, headers=headers) as response:
        await response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status} from {url}")
    return elapsed


async def burst(session: aiohttp.ClientSession, url: str, bodies: list[str]) -> list[float]:
    return list(await asyncio.gather(*(send(session, url, b) for b in bodies)))


async def connect(session: aiohttp.ClientSession, url: str, count: int) -> None:
    """Open `count` kept-alive connections first (a GET bolt answers 405 without work), so
    the bursts measure request handling rather than TCP connection set-up."""

    async def one() -> None:
        async with session.get(url) as response:
            await response.read()

    await asyncio.gather(*(one() for _ in range(count)))


async def until(check: Callable[[], bool], within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("the app didn't finish its work in time")
        await asyncio.sleep(0.01)


def responses(fake: FakeSlack, marker: str) -> list[Any]:
    return [c for c in fake.of("response") if f"/{marker}" in c.path]


def suggestion_button(fake: FakeSlack, user: str) -> dict[str, Any]:
    for call in reversed(responses(fake, f"{user}/")):
        for block in call.params.get("blocks") or []:
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                if element["text"]["text"] == "Let the bot choose":
                    return dict(element)
    raise RuntimeError(f"{user} got no suggestions")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def line(name: str, values: list[float]) -> str:
    return (
        f"{name:<28} n={len(values):<4} p50 {pct(values, 50):7.1f} ms   "
        f"p99 {pct(values, 99):7.1f} ms   max {max(values):7.1f} ms   "
        f"mean {statistics.fmean(values):6.1f} ms"
    )


def noop_app(api_url: str) -> AsyncApp:
    app = AsyncApp(client=web_client("xoxb-bench", api_url), signing_secret=SECRET)

    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    app.command("/infochat")(only_ack)
    app.action(re.compile("^infochat:"))(only_ack)
    return app


async def serve(kind: str, port: int, api_url: str, data: Path) -> None:
    """The server process: infochat as `infochat run` starts it, or the no-op app."""
    ready = asyncio.Event()
    if kind == "infochat":
        settings = Settings(
            data_dir=data,
            slack_bot_token=SecretStr("xoxb-bench"),
            slack_signing_secret=SecretStr(SECRET),
            slack_api_url=api_url,
            slack_port=port,
        )
        task = asyncio.create_task(serve_http(settings, ready, host=HOST))
    else:
        runner = web.AppRunner(noop_app(api_url).web_app(path=EVENTS_PATH))
        await runner.setup()
        await web.TCPSite(runner, host=HOST, port=port).start()
        ready.set()
        task = asyncio.create_task(asyncio.Event().wait())
    await asyncio.wait([task, asyncio.create_task(ready.wait())], return_when="FIRST_COMPLETED")
    print("ready", flush=True)
    await task


@contextlib.asynccontextmanager
async def server(kind: str, api_url: str, data: Path) -> AsyncIterator[str]:
    """Start a server process; its URL once it listens. Stopped (by its pid) on exit."""
    port = free_port()
    args = ["--serve", kind, "--port", str(port), "--api", api_url, "--data", str(data)]
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, *args, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        if line.strip() != b"ready":
            raise RuntimeError(f"the {kind} server didn't start")
        yield f"http://{HOST}:{port}{EVENTS_PATH}"
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()


async def bench(requests: int, volunteers: int, data: Path) -> dict[str, list[float]]:
    fake = FakeSlack(latency=0.0)
    fake_server = TestServer(fake.application(), host=HOST)
    await fake_server.start_server()
    fake.url = str(fake_server.make_url("/"))
    api_url = f"{fake.url}api/"
    seekers = [f"USEEK{i:03d}" for i in range(requests)]
    results: dict[str, list[float]] = {}

    def request(i: int) -> str:
        topic = TOPICS[i % len(TOPICS)]
        return f'request topic="{topic}" why="{WHY.format(topic=topic)}" {QUESTIONS}'

    bodies = [command_body(fake, user, request(i), 1) for i, user in enumerate(seekers)]
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
        server("infochat", api_url, data) as url,
    ):
        for i in range(volunteers):  # not measured: the community's volunteers join
            topic = TOPICS[i % len(TOPICS)]
            text = (
                f'volunteer join role="Engineer {i}" org=Org{i % 7} topics="{topic}" '
                f"timezone=Europe/Berlin capacity=10"
            )
            await send(session, url, command_body(fake, f"UVOL{i:03d}", text, 0))
        await send(session, url, command_body(fake, "UWARM", "help", 0))  # warm-up
        await until(lambda: len(fake.of("response")) >= volunteers + 1)
        await connect(session, url, requests)
        results["infochat: slash commands"] = await burst(session, url, bodies)
        await until(lambda: all(responses(fake, f"{u}/c1") for u in seekers))
        clicks = [
            click_body(fake, user, suggestion_button(fake, user), i)
            for i, user in enumerate(seekers)
        ]
        results["infochat: button clicks"] = await burst(session, url, clicks)
        await until(lambda: all(len(responses(fake, f"{u}/b")) >= 2 for u in seekers))
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
        server("noop", api_url, data) as url,
    ):
        await send(session, url, command_body(fake, "UWARM", "help", 2))  # warm-up
        await connect(session, url, requests)
        results["no-op app: slash commands"] = await burst(session, url, bodies)
        results["no-op app: button clicks"] = await burst(session, url, clicks)
    await fake_server.close()
    return results


def report(results: dict[str, list[float]]) -> bool:
    for name, values in results.items():
        print(line(name, values))
    ok = True
    for kind in ("slash commands", "button clicks"):
        mine, noop = results[f"infochat: {kind}"], results[f"no-op app: {kind}"]
        p99, ratio = pct(mine, 99), pct(mine, 50) / pct(noop, 50)
        met = p99 <= P99_TARGET_MS and ratio <= NOOP_RATIO
        ok = ok and met
        print(
            f"{kind}: p99 {p99:.1f} ms (target ≤ {P99_TARGET_MS:.0f}), p50 {ratio:.2f}× the "
            f"no-op app's (target ≤ {NOOP_RATIO:.0f}×): {'PASS' if met else 'FAIL'}"
        )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--volunteers", type=int, default=30)
    parser.add_argument("--serve", choices=("infochat", "noop"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(args.serve, args.port, args.api, args.data))
        return 0
    with tempfile.TemporaryDirectory(prefix="infochat-bench-") as folder:
        results = asyncio.run(bench(args.requests, args.volunteers, Path(folder)))
    return 0 if report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
