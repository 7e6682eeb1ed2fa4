"""When weekly digests fall due: local weekday and hour, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.digest_time import iso_week, next_occurrence

BERLIN = "Europe/Berlin"
MONDAY = 0


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_monday_nine_in_berlin_is_eight_utc_in_winter_and_seven_in_summer() -> None:
    # Berlin moves its clocks forward on Sunday 29 March 2026.
    before = next_occurrence(utc(2026, 3, 20, 12), BERLIN, MONDAY, 9)
    assert before == utc(2026, 3, 23, 8)
    after = next_occurrence(before, BERLIN, MONDAY, 9)
    assert after == utc(2026, 3, 30, 7)
    # And back in autumn (25 October 2026).
    assert next_occurrence(utc(2026, 10, 20), BERLIN, MONDAY, 9) == utc(2026, 10, 26, 8)


def test_the_next_occurrence_is_strictly_later() -> None:
    monday_nine = utc(2026, 1, 5, 9)
    assert next_occurrence(monday_nine, "UTC", MONDAY, 9) == utc(2026, 1, 12, 9)
    assert next_occurrence(utc(2026, 1, 5, 8, 59), "UTC", MONDAY, 9) == monday_nine


@pytest.mark.parametrize(
    ("now", "zone", "weekday", "hour", "expected"),
    [
        # Friday 17:00 in New York is 22:00 UTC in January: the local day decides.
        (utc(2026, 1, 9, 23), "America/New_York", 4, 17, utc(2026, 1, 16, 22)),
        # Sunday 08:00 in Auckland is Saturday 19:00 UTC (summer, UTC+13).
        (utc(2026, 1, 9), "Pacific/Auckland", 6, 8, utc(2026, 1, 10, 19)),
        # 02:00 doesn't exist in Berlin on 29 March 2026: the hour after the gap.
        (utc(2026, 3, 28), BERLIN, 6, 2, utc(2026, 3, 29, 1)),
    ],
)
def test_local_days_and_hours(
    now: datetime, zone: str, weekday: int, hour: int, expected: datetime
) -> None:
    assert next_occurrence(now, zone, weekday, hour) == expected


def test_iso_week_is_the_local_week() -> None:
    assert iso_week(utc(2026, 2, 2, 8), BERLIN) == "2026-W06"
    # Sunday 23:30 UTC is already Monday in Berlin.
    assert iso_week(utc(2026, 2, 1, 23, 30), BERLIN) == "2026-W06"
    assert iso_week(utc(2026, 2, 1, 23, 30), "UTC") == "2026-W05"
    assert iso_week(utc(2027, 1, 1, 12), "UTC") == "2026-W53"
