"""When weekly digests fall due (a local weekday and hour in the community's time zone), and
which days a digest reports (the seven whole local days before the day it goes out).

Computed in local time and converted to UTC, so a digest set for Monday 09:00 in Berlin is
at 09:00 on both sides of a daylight-saving change (08:00 UTC in winter, 07:00 in summer).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

WEEK = timedelta(days=7)


def next_occurrence(after: datetime, timezone: str, weekday: int, hour: int) -> datetime:
    """The first `weekday` (0 = Monday) at `hour`:00 local time strictly after `after`, in UTC.

    An hour skipped by a spring-forward change maps to the hour after it; an hour that
    happens twice in autumn means its first occurrence.
    """
    zone = ZoneInfo(timezone)
    local = after.astimezone(zone)
    day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
    while True:
        candidate = datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)
        if candidate > after:
            return candidate
        day += WEEK


def last_occurrence(at: datetime, timezone: str, weekday: int, hour: int) -> datetime:
    """The latest `weekday` at `hour`:00 local time at or before `at`, in UTC."""
    found = next_occurrence(at - 2 * WEEK, timezone, weekday, hour)
    while (later := next_occurrence(found, timezone, weekday, hour)) <= at:
        found = later
    return found


Span = tuple[datetime, datetime]  # [start, end) in UTC


def local_midnight(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def weeks_before(at: datetime, timezone: str, count: int = 1) -> tuple[Span, ...]:
    """The `count` weeks of seven whole local days before the day of `at`, oldest first.

    A digest that goes out on Monday 7 December reports Monday 30 November 00:00 up to (not
    including) Monday 7 December 00:00, shown as "30 Nov – 6 Dec"; the next one starts where
    it ends, so consecutive digests never count anything twice or miss anything.
    """
    day = at.astimezone(ZoneInfo(timezone)).date()
    edges = [local_midnight(day - (count - i) * WEEK, timezone) for i in range(count + 1)]
    return tuple(pairwise(edges))


def iso_week(when: datetime, timezone: str) -> str:
    """The ISO week of `when` in the community's time zone, e.g. "2026-W06": a digest's period."""
    year, week, _ = when.astimezone(ZoneInfo(timezone)).isocalendar()
    return f"{year}-W{week:02d}"
