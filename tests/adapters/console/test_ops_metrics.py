"""The console's operations server counts the console's own work: a real `infochat run` (the
console, its stdin a pipe) answers a command, and /metrics shows the command and the
deliveries on the `console` platform."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.adapters.process import free_port

ROOT = Path(__file__).resolve().parents[3]


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_the_console_counts_its_commands_and_deliveries_in_metrics(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("INFOCHAT_")}
    env["INFOCHAT_DATA_DIR"] = str(tmp_path / "data")
    env["INFOCHAT_OPS_ADDRESS"] = f"127.0.0.1:{port}"
    console = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "adapters.cli",
        "run",
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    command = ("infochat_commands_total", frozenset({("action", "help"), ("outcome", "ok")}))
    sent = ("infochat_deliveries_total", frozenset({("platform", "console"), ("outcome", "sent")}))
    seen: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    try:
        assert console.stdin is not None
        console.stdin.write(b"sam /infochat help\n")
        await console.stdin.drain()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while seen.get(command) != 1.0 or seen.get(sent, 0.0) < 1.0:
            assert console.returncode is None and loop.time() < deadline, seen
            await asyncio.sleep(0.1)
            try:
                async with (
                    aiohttp.ClientSession() as session,
                    session.get(f"http://127.0.0.1:{port}/metrics") as response,
                ):
                    seen = samples(await response.text())
            except aiohttp.ClientError:
                continue
        console.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(console.communicate(), 30)
    finally:
        if console.returncode is None:
            console.kill()
            await console.wait()
    assert console.returncode == 0, err.decode()
    assert seen[command] == 1.0 and seen[sent] >= 1.0  # the reply (and the setup checklist)
