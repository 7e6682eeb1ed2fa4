"""Every strategy on the same plan, each on its own SQLite file, side by side.

With `parallel`, each strategy runs in a process of its own, all at once: the runs are
CPU-bound and independent, and three runs sharing two cores end sooner (1.5 runs' time) than
two running first and the third after them (2 runs' time). Progress comes back from the
processes through a queue and is reported in the caller's process.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bot.simulate.driver import play
from bot.simulate.plan import Plan
from bot.simulate.results import StrategyResult
from bot.simulate.strategies import STRATEGIES

Progress = Callable[[str, int, int], None]
DONE = ("", -1, -1)  # what the progress reader stops at


async def simulate(
    plan: Plan,
    strategies: Sequence[str],
    folder: Path,
    *,
    progress: Progress | None = None,
    parallel: bool = True,
) -> list[StrategyResult]:
    """The results of `plan` played under each of `strategies`, in that order; each run's
    database is `folder/<strategy>.db` (replaced if it exists)."""
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise ValueError(f"unknown strategy {unknown[0]!r}; choose from {', '.join(STRATEGIES)}")
    paths = _databases(folder, strategies)
    if not parallel or len(strategies) < 2:
        results = []
        for name, path in zip(strategies, paths, strict=True):
            report = None if progress is None else _for(progress, name)
            results.append(await play(plan, name, path, progress=report))
        return results
    return await _in_processes(plan, strategies, paths, progress)


def _for(progress: Progress, name: str) -> Callable[[int, int], None]:
    return lambda done, total: progress(name, done, total)


def _databases(folder: Path, strategies: Sequence[str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [_fresh(folder / f"{name}.db") for name in strategies]


def _fresh(path: Path) -> Path:
    """`path` with no database left from an earlier run (nor its WAL and lock files)."""
    for suffix in ("", "-wal", "-shm", "-journal", "-write.lock", "-write.next"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    return path


async def _in_processes(
    plan: Plan, strategies: Sequence[str], paths: Sequence[Path], progress: Progress | None
) -> list[StrategyResult]:
    context = multiprocessing.get_context("spawn")  # a clean interpreter: no inherited loop
    workers = len(strategies)  # all at once, even on fewer cores (see above)
    loop = asyncio.get_running_loop()
    with context.Manager() as manager, ProcessPoolExecutor(workers, mp_context=context) as pool:
        updates: queue.Queue[tuple[str, int, int]] = manager.Queue()
        reader = asyncio.create_task(_read(updates, progress))
        try:
            runs = [
                loop.run_in_executor(pool, _play_in_process, plan, name, path, updates)
                for name, path in zip(strategies, paths, strict=True)
            ]
            return list(await asyncio.gather(*runs))
        finally:
            updates.put(DONE)
            await reader


def _play_in_process(
    plan: Plan, strategy: str, path: Path, updates: queue.Queue[tuple[str, int, int]]
) -> StrategyResult:
    def report(done: int, total: int) -> None:
        updates.put((strategy, done, total))

    return asyncio.run(play(plan, strategy, path, progress=report))


async def _read(updates: queue.Queue[tuple[str, int, int]], progress: Progress | None) -> None:
    """Hand each run's progress to `progress`, in this process, until DONE."""
    while True:
        update = await asyncio.to_thread(updates.get)
        if update == DONE:
            return
        if progress is not None:
            progress(*update)
