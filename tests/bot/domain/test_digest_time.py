"""When weekly digests fall due: local weekday and hour, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.digest_time import iso_week, last_occurrence, next_occurrence, weeks_before

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


def test_a_digest_reports_the_seven_whole_local_days_before_its_day() -> None:
    # Monday 7 December 2026, 09:00 in Berlin: Monday 30 November 00:00 up to Monday 7
    # December 00:00 local time (half-open), i.e. 30 Nov – 6 Dec.
    ((start, end),) = weeks_before(utc(2026, 12, 7, 8), BERLIN)
    assert (start, end) == (utc(2026, 11, 29, 23), utc(2026, 12, 6, 23))
    # Consecutive digests share their edge: nothing is counted twice or missed.
    ((after, _),) = weeks_before(utc(2026, 12, 14, 8), BERLIN)
    assert after == end


def test_weeks_follow_local_midnights_across_daylight_saving() -> None:
    weeks = weeks_before(utc(2026, 4, 6, 7), BERLIN, 2)
    assert weeks == (
        (utc(2026, 3, 22, 23), utc(2026, 3, 29, 22)),  # 167 hours: the clocks went forward
        (utc(2026, 3, 29, 22), utc(2026, 4, 5, 22)),
    )


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (utc(2026, 1, 12, 9), utc(2026, 1, 12, 9)),  # at the digest time itself
        (utc(2026, 1, 12, 8, 59), utc(2026, 1, 5, 9)),
        (utc(2026, 2, 16, 14), utc(2026, 2, 16, 9)),
    ],
)
def test_the_last_occurrence_is_at_or_before(at: datetime, expected: datetime) -> None:
    assert last_occurrence(at, "UTC", MONDAY, 9) == expected


def test_the_last_occurrence_after_a_spring_forward() -> None:
    # Monday 30 March 09:00 in Berlin is 07:00 UTC, only 167 hours after the one before.
    assert last_occurrence(utc(2026, 3, 30, 7, 30), BERLIN, MONDAY, 9) == utc(2026, 3, 30, 7)
