"""What one strategy's run of a plan gave: the measures the moderators' health report uses,
over the whole simulated period, and the simulator's own check of the invariants."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.measures import Measures, RequestFacts


@dataclass(frozen=True)
class StrategyResult:
    strategy: str  # "infochat", "random", "first-to-claim"
    measures: Measures  # bot.storage.measures over [plan.start, plan.end)
    requests: tuple[RequestFacts, ...]  # each request's facts, for the charts
    # Counted by the driver from every ask a volunteer received, against their own plan
    # (capacity per calendar month in their zone, their pauses): must be 0.
    asks_past_capacity: int
    asks_while_paused: int
    # Introductions not preceded by that volunteer's accept of that request: must be 0.
    introductions_without_accept: int
    commands: int  # commands dispatched
    jobs: int  # due jobs run
    seconds: float  # wall time of the run
