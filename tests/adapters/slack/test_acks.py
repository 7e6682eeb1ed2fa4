"""Acks first: work after an ack waits while any HTTP request still waits for its answer."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from adapters.slack.acks import AckFirst


async def test_work_waits_until_every_request_in_flight_is_answered() -> None:
    acks = AckFirst(most=10, quiet=0)
    release = asyncio.Event()

    async def slow(request: Any) -> web.StreamResponse:
        await release.wait()
        return web.Response(text="ok")

    answering = asyncio.create_task(acks.middleware(object(), slow))  # type: ignore[arg-type]
    await asyncio.sleep(0)
    assert acks.in_flight == 1
    work = asyncio.create_task(acks.wait())
    for _ in range(10):
        await asyncio.sleep(0)  # yield only: let the waiting task run
    assert not work.done()  # a request is still waiting for its answer
    release.set()
    await answering
    await asyncio.wait_for(work, 1)
    assert acks.in_flight == 0


async def test_a_steady_stream_holds_work_back_only_so_long() -> None:
    acks = AckFirst(most=0.01, quiet=0)
    never = asyncio.Event()

    async def stuck(request: Any) -> web.StreamResponse:
        await never.wait()
        return web.Response()

    answering = asyncio.create_task(acks.middleware(object(), stuck))  # type: ignore[arg-type]
    await asyncio.sleep(0)
    await asyncio.wait_for(acks.wait(), 1)  # gave up waiting after `most`
    answering.cancel()


async def test_cancelled_work_stops_even_as_the_last_request_is_answered() -> None:
    acks = AckFirst(most=10, quiet=0)
    for trial in range(20):
        release = asyncio.Event()

        async def slow(request: Any, release: asyncio.Event = release) -> web.StreamResponse:
            await release.wait()
            return web.Response(text="ok")

        answering = asyncio.create_task(acks.middleware(object(), slow))  # type: ignore[arg-type]
        await asyncio.sleep(0)
        work = asyncio.create_task(acks.wait())
        for _ in range(trial % 4 + 2):
            await asyncio.sleep(0)  # yield only: the work waits for the request
        release.set()
        await answering  # the request is answered (idle is set)...
        work.cancel()  # ...and shutdown cancels the work in the same iteration
        done, _ = await asyncio.wait({work}, timeout=5)  # a guard: it returns at once
        assert work in done and work.cancelled(), f"trial {trial}: the cancellation was lost"
