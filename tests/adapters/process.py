"""`infochat run` as a real subprocess, its output collected while it runs: for tests of
what the process itself writes (its logs), against the local fake platforms."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The test's environment without any INFOCHAT_ setting of its own, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INFOCHAT_")}
    env |= {
        "PYTHONUNBUFFERED": "1",
        "INFOCHAT_DATA_DIR": str(tmp_path),
        "INFOCHAT_OPS_ADDRESS": "",  # no operations server: nothing else to listen on
    }
    return env | {f"INFOCHAT_{name.upper()}": value for name, value in settings.items()}


@dataclass
class Process:
    process: asyncio.subprocess.Process
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)

    @property
    def output(self) -> str:
        return (self.stdout + self.stderr).decode("utf-8", errors="replace")

    def json_lines(self) -> list[dict[str, Any]]:
        """Every line of stderr as JSON (an exception if one isn't)."""
        lines = self.stderr.decode("utf-8").splitlines()
        return [json.loads(line) for line in lines]

    async def listening(self, port: int, within: float = 30.0) -> None:
        """Until something accepts connections on 127.0.0.1:`port` (or the process ended)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            if self.process.returncode is not None:
                raise AssertionError(f"infochat stopped early:\n{self.output[-3000:]}")
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                return
            await asyncio.sleep(0.1)  # a subprocess starting: polled, not waited on blindly
        raise AssertionError(f"infochat did not listen on {port}:\n{self.output[-3000:]}")


async def _collect(stream: asyncio.StreamReader | None, into: bytearray) -> None:
    assert stream is not None
    while chunk := await stream.read(65536):
        into.extend(chunk)


@contextlib.asynccontextmanager
async def infochat_run(
    cwd: Path, env: dict[str, str], stdin: int = asyncio.subprocess.DEVNULL
) -> AsyncIterator[Process]:
    """`infochat run` until the block ends; then SIGTERM (unless it has exited) and wait for
    it to exit."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "adapters.cli",
        "run",
        cwd=cwd,
        env=env,
        stdin=stdin,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    run = Process(process)
    readers = [
        asyncio.create_task(_collect(process.stdout, run.stdout)),
        asyncio.create_task(_collect(process.stderr, run.stderr)),
    ]
    try:
        yield run
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()
        await asyncio.gather(*readers)


async def run_until_logged(
    cwd: Path, env: dict[str, str], text: str, within: float = 60.0
) -> Process:
    """`infochat run` until its output shows `text` (e.g. a platform's refusal, which it
    retries with backoff rather than stop), then SIGTERM."""
    async with infochat_run(cwd, env) as run:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while text not in run.output and run.process.returncode is None:
            if loop.time() > deadline:
                raise AssertionError(f"infochat never logged {text!r}:\n{run.output[-3000:]}")
            await asyncio.sleep(0.1)  # a subprocess's output: polled
    return run


def assert_context_logged(run: Process, log_format: str) -> None:
    """Lines logged during a command carry its key, and during a delivery its row id."""
    if log_format == "json":
        lines = run.json_lines()
        assert {"time", "level", "logger", "message"} <= set(lines[0])
        assert any(line.get("command_key") for line in lines)
        assert any(line.get("delivery_id") for line in lines)
    else:
        assert "[command_key=" in run.output and "[delivery_id=" in run.output
