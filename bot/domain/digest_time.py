"""When weekly digests fall due: a local weekday and hour in the community's time zone.

Computed in local time and converted to UTC, so a digest set for Monday 09:00 in Berlin is
at 09:00 on both sides of a daylight-saving change (08:00 UTC in winter, 07:00 in summer).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
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


def iso_week(when: datetime, timezone: str) -> str:
    """The ISO week of `when` in the community's time zone, e.g. "2026-W06": a digest's period."""
    year, week, _ = when.astimezone(ZoneInfo(timezone)).isocalendar()
    return f"{year}-W{week:02d}"
