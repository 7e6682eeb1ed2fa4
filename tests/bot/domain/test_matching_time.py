"""Matching that knows time (R8): common free time ranks within a fit, and is named."""

from __future__ import annotations

from datetime import time

from bot.domain.models import Window
from tests.bot.domain.test_matching import ids, run, volunteer

# NOW is Monday 2 March 2026, 12:00 UTC.
TUESDAY_EVENING = (Window(1, time(18), time(20)),)
MONDAY_MORNING = (Window(0, time(8), time(9)),)


def test_a_volunteer_free_when_the_seeker_is_ranks_above_a_less_busy_one() -> None:
    idle = volunteer(2, windows=MONDAY_MORNING)
    busy = volunteer(3, windows=TUESDAY_EVENING, given_recently=3)
    result = run(idle, busy, windows=TUESDAY_EVENING)
    assert ids(result) == [3, 2]
    assert result.candidates[0].reasons[-1] == "you're both free Tuesday evenings"
    assert result.candidates[0].common_time
    assert result.candidates[1].reasons[-1] == "no common time yet"
    assert not result.candidates[1].common_time


def test_a_better_fit_still_comes_before_common_time() -> None:
    """R9: a shared affiliation outranks a shared evening."""
    shared = volunteer(2, windows=MONDAY_MORNING, affiliations=("Women in Tech",))
    free = volunteer(3, windows=TUESDAY_EVENING)
    result = run(shared, free, windows=TUESDAY_EVENING)
    assert ids(result) == [2, 3]
    assert result.candidates[0].reasons[-1] == "no common time yet"


def test_a_seeker_without_windows_ranks_and_reads_as_before() -> None:
    pool = (volunteer(2, windows=MONDAY_MORNING), volunteer(3, given_recently=1))
    result = run(*pool)
    assert ids(result) == [2, 3]
    assert all(c.common_time for c in result.candidates)
    assert all("free" not in r and "time" not in r for c in result.candidates for r in c.reasons)


def test_a_volunteer_without_windows_has_no_common_time_yet() -> None:
    result = run(volunteer(2), windows=TUESDAY_EVENING)
    assert ids(result) == [2]
    assert result.candidates[0].reasons[-1] == "no common time yet"


def test_overlap_is_found_across_the_date_line_and_named_in_the_seekers_zone() -> None:
    """Kiritimati (UTC+14) Wednesday 08:00-10:00 is Tuesday 18:00-20:00 UTC, and Tuesday
    08:00-10:00 in Adak (UTC-10 in March, before its daylight time on the 8th)."""
    kiritimati = volunteer(
        2, timezone="Pacific/Kiritimati", windows=(Window(2, time(8), time(10)),)
    )
    result = run(
        kiritimati,
        windows=(Window(1, time(7), time(11)),),
        timezone="America/Adak",
        time_frame_days=5,
    )
    assert result.candidates[0].reasons[-1] == "you're both free Tuesday mornings"


def test_overlap_shorter_than_the_chat_is_no_common_time() -> None:
    half_hour = volunteer(2, minutes=60, windows=(Window(1, time(19, 30), time(20, 30)),))
    result = run(half_hour, windows=TUESDAY_EVENING, minutes=45)
    assert result.candidates[0].reasons[-1] == "no common time yet"
    result = run(half_hour, windows=TUESDAY_EVENING, minutes=30)
    assert result.candidates[0].reasons[-1] == "you're both free Tuesday evenings"


def test_only_the_requests_time_frame_counts() -> None:
    """A one-day frame from Monday noon reaches Tuesday noon: no Tuesday evening in it."""
    result = run(volunteer(2, windows=TUESDAY_EVENING), windows=TUESDAY_EVENING, time_frame_days=1)
    assert result.candidates[0].reasons[-1] == "no common time yet"


def test_several_days_are_said_short() -> None:
    weekdays = tuple(Window(d, time(18), time(20)) for d in range(5))
    weekend = tuple(Window(d, time(10), time(12)) for d in (5, 6))
    every = tuple(Window(d, time(13), time(15)) for d in range(7))
    two = (Window(1, time(18), time(20)), Window(3, time(18), time(20)))
    for windows, said in (
        (weekdays, "weekday evenings"),
        (weekend, "weekend mornings"),
        (every, "every afternoon"),
        (two, "Tuesday and Thursday evenings"),
    ):
        result = run(volunteer(2, windows=windows), windows=windows)
        assert result.candidates[0].reasons[-1] == f"you're both free {said}"
