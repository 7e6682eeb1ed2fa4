"""Hand-made simulation results, for the report's and the CLI's tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.measures import (
    AskOutcomes,
    Durations,
    Funnel,
    Load,
    Measures,
    RequestFacts,
    VolunteerLoad,
)
from bot.domain.models import RequestStatus
from bot.simulate.results import StrategyResult

START = datetime(2026, 1, 5, 9, tzinfo=UTC)
END = datetime(2026, 3, 2, 9, tzinfo=UTC)


def facts(n: int, introduced_after: list[float | None]) -> tuple[RequestFacts, ...]:
    """Requests sent one a day from the start, introduced after so many days (None: never)."""
    out = []
    for i, days in enumerate(introduced_after[:n]):
        sent = START + timedelta(days=i)
        introduced = None if days is None else sent + timedelta(days=days)
        out.append(
            RequestFacts(
                request_id=i + 1,
                topic="data engineering" if i % 2 else "ux research",
                submitted_at=sent,
                well_formed=i % 5 != 4,
                status=RequestStatus.CLOSED,
                close_reason=None if introduced else "no_match",
                first_asked_at=sent + timedelta(hours=1),
                answers=AskOutcomes(accepted=1 if introduced else 0, declined=1),
                introduced_at=introduced,
                chat_at=None if introduced is None else introduced + timedelta(days=3),
                thanked=introduced is not None and i % 3 == 0,
            )
        )
    return tuple(out)


def result(
    strategy: str,
    *,
    in_time: int = 95,
    well_formed: int = 100,
    median_days: float | None = 1.5,
    gini: float | None = 0.25,
    past_capacity: int = 0,
    paused: int = 0,
    without_accept: int = 0,
    nobody: tuple[tuple[str, int], ...] = (("product design", 4), ("ux research", 2)),
) -> StrategyResult:
    median = None if median_days is None else timedelta(days=median_days)
    p90 = None if median is None else median * 3
    each = tuple(
        VolunteerLoad(
            member_id=m,
            introductions=m % 4,
            chats=m % 3,
            asks=m % 5,
            monthly_capacity=None if m == 7 else 1 + m % 3,
            at_capacity=m % 4 >= 2,
        )
        for m in range(1, 21)
    )
    measures = Measures(
        start=START,
        end=END,
        now=END + timedelta(days=30),
        funnel=Funnel(sent=120, asked=118, accepted=100, introduced=98, chatted=80, thanked=55),
        asks=AskOutcomes(accepted=100, declined=20, not_now=30, suggested=2, silent=40),
        to_introduction=Durations(98 if median else 0, median, p90),
        well_formed=well_formed,
        well_formed_in_time=in_time,
        nobody_to_ask=nobody,
        load=Load(volunteers=20, chats=19, gini=gini, at_capacity=10, each=each),
        windows_checked=90,
        no_common_window=12,
    )
    waits = [0.5, 1, 2, 3, None, 5, 16, 1.2] * 7
    return StrategyResult(
        strategy=strategy,
        measures=measures,
        requests=facts(56, waits),
        asks_past_capacity=past_capacity,
        asks_while_paused=paused,
        introductions_without_accept=without_accept,
        commands=1234,
        jobs=567,
        seconds=12.5,
    )


def three() -> list[StrategyResult]:
    """infochat meeting every target and beating both baselines, run after them."""
    return [
        result("random", in_time=70, median_days=4.0, gini=0.41),
        result("first-to-claim", in_time=80, median_days=2.0, gini=0.6),
        result("infochat", in_time=95, median_days=1.5, gini=0.25),
    ]
