"""How long `infochat simulate` takes: drawing the default plan, a month of a 500-member
community per strategy, and (with --year) the default year with every strategy side by side.
Targets (issue 12): the small month under 30 s, the default year within 10 minutes on 2 cores.

    .venv/bin/python bench/simulate.py [--year]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path

from bot.simulate.population import draw
from bot.simulate.run import simulate
from bot.simulate.scenario import load_scenario
from bot.simulate.strategies import STRATEGIES


async def timed(overrides: dict[str, str], parallel: bool) -> tuple[float, float, int]:
    plan = draw(load_scenario(overrides=overrides))
    with tempfile.TemporaryDirectory() as folder:
        wall, cpu = time.perf_counter(), time.process_time()
        results = await simulate(plan, STRATEGIES, Path(folder), parallel=parallel)
        commands = sum(r.commands for r in results)
        return time.perf_counter() - wall, time.process_time() - cpu, commands


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", action="store_true", help="also the default year (~10 min)")
    year = parser.parse_args().year
    started = time.perf_counter()
    plan = draw(load_scenario())
    print(f"draw the default plan:   {time.perf_counter() - started:6.2f} s "
          f"({len(plan.volunteers)} volunteers, {len(plan.requests)} requests)")  # fmt: skip
    wall, cpu, commands = asyncio.run(timed({"months": "1", "members": "500"}, parallel=False))
    print(f"1 month, 500 members:    {wall:6.1f} s for {len(STRATEGIES)} strategies one after "
          f"another ({cpu:.1f} s CPU, {commands} commands; target < 30 s)")  # fmt: skip
    if year:
        wall, _, commands = asyncio.run(timed({}, parallel=True))
        print(f"the default year:        {wall / 60:6.1f} min, strategies side by side "
              f"({commands} commands; target ≤ 10 min on 2 cores)")  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (this process): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
