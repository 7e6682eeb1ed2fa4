from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.simulate.run import simulate
from bot.simulate.strategies import STRATEGIES
from tests.bot.simulate.plans import tiny


def databases(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.db"))


async def test_every_strategy_in_order_each_on_its_own_file(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    plan = tiny()
    results = await simulate(
        plan, STRATEGIES, tmp_path, progress=lambda *update: seen.append(update), parallel=False
    )
    assert [r.strategy for r in results] == list(STRATEGIES)
    assert all(r.measures.funnel.sent == 8 for r in results)
    assert databases(tmp_path) == sorted(f"{s}.db" for s in STRATEGIES)
    assert {name for name, _, _ in seen} == set(STRATEGIES)
    assert all(done <= total for _, done, total in seen)

    # In processes of their own, at once: the same results, the same order.
    seen.clear()
    together = await simulate(
        plan, STRATEGIES[::-1], tmp_path, progress=lambda *update: seen.append(update)
    )
    assert [r.strategy for r in together] == list(STRATEGIES[::-1])
    # Everything but the wall time and how many job runs it took: a job that failed on a
    # busy machine (a write turn that timed out) runs again, and counts twice.
    for alone, parallel in zip(results, together[::-1], strict=True):
        assert dataclasses.replace(alone, seconds=0, jobs=0) == dataclasses.replace(
            parallel, seconds=0, jobs=0
        )
    assert {name for name, _, _ in seen} == set(STRATEGIES)
    for name in STRATEGIES:
        days = [(d, t) for n, d, t in seen if n == name]
        assert days == sorted(days) and days[-1][0] == days[-1][1]


async def test_an_unknown_strategy_is_refused_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown strategy"):
        await simulate(tiny(), ("infochat", "round-robin"), tmp_path / "out")
    assert not (tmp_path / "out").exists()
