from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.simulate.driver import SimulationError, play
from bot.simulate.results import StrategyResult
from tests.bot.simulate.plans import generated, request, tiny


def same(a: StrategyResult, b: StrategyResult) -> bool:
    """Equal results but for the wall time."""
    return dataclasses.replace(a, seconds=0) == dataclasses.replace(b, seconds=0)


async def test_a_short_simulation_keeps_the_invariants_and_chats_happen(tmp_path: Path) -> None:
    days: list[tuple[int, int]] = []
    result = await play(
        tiny(), "infochat", tmp_path / "s.db", progress=lambda d, t: days.append((d, t))
    )
    assert (result.asks_past_capacity, result.asks_while_paused) == (0, 0)
    assert result.introductions_without_accept == 0
    funnel = result.measures.funnel
    assert funnel.sent == 8
    assert funnel.asked >= 6 and funnel.introduced >= 5
    assert 0 < funnel.chatted < funnel.introduced  # one seeker never confirms
    assert 0 < funnel.thanked < funnel.chatted  # one doesn't thank
    assert result.measures.asks.silent >= 1  # dee never answers: the core's expiry moved on
    assert result.measures.nobody_to_ask == (("law", 1),)
    assert {f.topic for f in result.requests} >= {"data engineering", "law"}
    assert result.commands > 30 and result.jobs > 30
    total = days[-1][1]
    assert days[0] == (0, total) and days[-1] == (total, total)
    assert [d for d, _ in days] == sorted({d for d, _ in days})


@pytest.mark.parametrize("strategy", ["random", "first-to-claim"])
async def test_every_strategy_keeps_the_invariants(tmp_path: Path, strategy: str) -> None:
    result = await play(tiny(), strategy, tmp_path / "s.db")
    assert result.strategy == strategy
    assert (result.asks_past_capacity, result.asks_while_paused) == (0, 0)
    assert result.introductions_without_accept == 0
    assert result.measures.funnel.chatted > 0


async def test_the_same_plan_played_twice_gives_the_same_result(tmp_path: Path) -> None:
    first = await play(tiny(seed=5), "random", tmp_path / "a.db")
    again = await play(tiny(seed=5), "random", tmp_path / "b.db")
    assert same(first, again)
    with pytest.raises(FileExistsError):  # a run starts from an empty database
        await play(tiny(seed=5), "random", tmp_path / "a.db")


async def test_with_approval_a_moderator_approves_each_ask(tmp_path: Path) -> None:
    plan = dataclasses.replace(tiny(), settings={"approval_required": "true"})
    result = await play(plan, "infochat", tmp_path / "s.db")
    assert result.introductions_without_accept == 0
    assert result.measures.funnel.introduced >= 5


async def test_an_unexpected_refusal_stops_the_run(tmp_path: Path) -> None:
    broken = request("sam", "data engineering", tiny().start)
    broken = dataclasses.replace(broken, fields=broken.fields | {"minutes": "500"})
    plan = dataclasses.replace(tiny(), requests=(broken,))
    with pytest.raises(SimulationError, match=r"request\.create"):
        await play(plan, "infochat", tmp_path / "s.db")


async def test_a_month_of_500_members_keeps_the_rules(tmp_path: Path) -> None:
    """(Its time is measured by bench/simulate.py, not here.)"""
    plan = generated(months=1, members=500, volunteers=30, per_month=25)
    result = await play(plan, "infochat", tmp_path / "s.db")
    assert result.measures.funnel.sent == 25
    assert (result.asks_past_capacity, result.asks_while_paused) == (0, 0)
    assert result.introductions_without_accept == 0
