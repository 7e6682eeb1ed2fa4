"""`/infochat mod health`: the periods a moderator can ask for, and the weekly funnel its
chart shows. Pure: the measures' request facts in, weekly counts out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.measures import RequestFacts
from bot.errors import InvalidInput

WEEK = timedelta(days=7)
# What `period=` takes, in whole weeks ending now (a year is 52 weeks, so the chart shows
# whole weeks only).
PERIODS: dict[str, int] = {"4w": 4, "12w": 12, "1y": 52}
DEFAULT_PERIOD = "4w"
PERIOD_NAMES = {"4w": "the last 4 weeks", "12w": "the last 12 weeks", "1y": "the last year"}


def parse_period(value: str) -> str:
    """The period's name as given (any case), or a clear refusal naming the ones there are."""
    name = value.strip().lower() or DEFAULT_PERIOD
    if name not in PERIODS:
        choices = ", ".join(PERIODS)
        raise InvalidInput(
            f"I don't know the period “{value[:20]}”. Use one of {choices} (e.g. period=12w).",
            fields={"period": f"One of {choices}."},
        )
    return name


def week_starts(end: datetime, weeks: int) -> tuple[datetime, ...]:
    """The first moment of each of the `weeks` weeks ending at `end`, oldest first."""
    return tuple(end - (weeks - i) * WEEK for i in range(weeks))


@dataclass(frozen=True)
class FunnelWeek:
    """The requests sent in one week, and how far they got by now."""

    start: datetime
    sent: int = 0
    asked: int = 0
    introduced: int = 0
    chatted: int = 0


@dataclass
class WeeklyFunnel:
    """Folds the period's requests into the week each was sent in (`add` is what
    `bot.storage.measures.measure` hands each request to)."""

    starts: tuple[datetime, ...]
    counts: list[list[int]] = field(init=False)

    def __post_init__(self) -> None:
        self.counts = [[0, 0, 0, 0] for _ in self.starts]

    def add(self, r: RequestFacts) -> None:
        if not self.starts or r.submitted_at < self.starts[0]:
            return
        index = min(int((r.submitted_at - self.starts[0]) / WEEK), len(self.starts) - 1)
        reached = (
            True,
            r.first_asked_at is not None,
            r.introduced_at is not None,
            r.chat_at is not None,
        )
        row = self.counts[index]
        for step, got in enumerate(reached):
            row[step] += got

    def weeks(self) -> tuple[FunnelWeek, ...]:
        return tuple(FunnelWeek(s, *row) for s, row in zip(self.starts, self.counts, strict=True))
