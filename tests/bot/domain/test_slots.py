"""Proposing times from two people's weekly windows, each in their own zone (R8)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.models import Window
from bot.domain.slots import occurrences, propose_slots, to_utc
from bot.domain.values import parse_windows

BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def fits(start: datetime, minutes: int, windows: tuple[Window, ...], timezone: str) -> bool:
    """A plain wall-clock check, for days without a clock change."""
    local = start.astimezone(ZoneInfo(timezone))
    end = local + timedelta(minutes=minutes)
    for w in windows:
        day = local.date() - timedelta(days=(local.weekday() - w.weekday) % 7)
        begin = datetime.combine(day, w.start, tzinfo=local.tzinfo)
        stop = datetime.combine(
            day if w.end > w.start else day + timedelta(days=1), w.end, tzinfo=local.tzinfo
        )
        if begin <= local and end <= stop:
            return True
    return False


def test_berlin_window_keeps_its_local_time_across_spring_forward() -> None:
    windows = parse_windows("Mon 18:00-19:00")  # Europe/Berlin moves to CEST on 29 March 2026
    slots = propose_slots(
        windows, "Europe/Berlin", (), "UTC", 60, utc(2026, 3, 23), utc(2026, 4, 1)
    )
    assert slots == (utc(2026, 3, 23, 17), utc(2026, 3, 30, 16))
    assert {s.astimezone(BERLIN).time() for s in slots} == {time(18, 0)}


def test_new_york_window_moves_in_utc_in_march_and_back_in_november() -> None:
    windows = parse_windows("Fri 09:00-09:30")  # DST from 8 March to 1 November 2026
    spring = propose_slots(
        windows, "America/New_York", (), "UTC", 30, utc(2026, 3, 1), utc(2026, 3, 15)
    )
    assert spring == (utc(2026, 3, 6, 14), utc(2026, 3, 13, 13))
    autumn = propose_slots(
        windows, "America/New_York", (), "UTC", 30, utc(2026, 10, 26), utc(2026, 11, 9)
    )
    assert autumn == (utc(2026, 10, 30, 13), utc(2026, 11, 6, 14))


def test_both_sides_across_the_switch_weeks_apart() -> None:
    """The US switches on 8 March, Europe on 29 March: for three weeks the gap is an hour
    shorter, so the shared hour moves in UTC twice."""
    volunteer = parse_windows("Wed 18:00-20:00")  # Berlin
    seeker = parse_windows("Wed 13:00-14:00")  # New York
    slots = propose_slots(
        volunteer, "Europe/Berlin", seeker, "America/New_York", 60,
        utc(2026, 3, 2), utc(2026, 4, 2), count=5,
    )  # fmt: skip
    assert slots == (
        utc(2026, 3, 4, 18),  # 19:00 CET / 13:00 EST
        utc(2026, 3, 11, 17),  # 18:00 CET / 13:00 EDT
        utc(2026, 3, 18, 17),
        utc(2026, 3, 25, 17),
        utc(2026, 4, 1, 17),  # 19:00 CEST / 13:00 EDT
    )


def test_nonexistent_local_times_are_skipped() -> None:
    windows = parse_windows("Sun 02:00-03:00")  # 02:00–03:00 doesn't happen on 29 March
    slots = propose_slots(
        windows, "Europe/Berlin", (), "UTC", 30, utc(2026, 3, 21), utc(2026, 4, 6), count=10
    )
    assert [s.astimezone(BERLIN).date() for s in slots] == [date(2026, 3, 22)] * 2 + [
        date(2026, 4, 5)
    ] * 2
    assert to_utc(date(2026, 3, 29), time(2, 30), BERLIN, first_occurrence=True) == utc(
        2026, 3, 29, 1
    )  # the moment of the jump


def test_a_window_across_midnight_on_the_spring_forward_night_is_an_hour_shorter() -> None:
    windows = parse_windows("Sat 23:00-03:00")
    ((start, end),) = occurrences(windows, "Europe/Berlin", utc(2026, 3, 28, 12), utc(2026, 3, 29))
    assert (start, end) == (utc(2026, 3, 28, 22), utc(2026, 3, 29, 1))


def test_ambiguous_times_count_from_the_first_to_the_last_occurrence() -> None:
    windows = parse_windows("Sun 02:00-03:00")  # 02:00–03:00 happens twice on 25 October
    ((start, end),) = occurrences(windows, "Europe/Berlin", utc(2026, 10, 24), utc(2026, 10, 26))
    assert (start, end) == (utc(2026, 10, 25, 0), utc(2026, 10, 25, 2))
    assert propose_slots(
        windows, "Europe/Berlin", (), "UTC", 120, utc(2026, 10, 24), utc(2026, 10, 26)
    ) == (utc(2026, 10, 25, 0),)


def test_a_window_crossing_midnight() -> None:
    windows = parse_windows("Fri 22:00-01:00")
    slots = propose_slots(
        windows, "Europe/Berlin", (), "UTC", 60, utc(2026, 1, 5), utc(2026, 1, 12)
    )
    # Fri 22:00, Sat 00:00 (a new day) and Fri 23:00 Berlin; none runs past 01:00
    assert slots == (utc(2026, 1, 9, 21), utc(2026, 1, 9, 22), utc(2026, 1, 9, 23))
    assert slots[-1].astimezone(BERLIN).weekday() == 5  # Saturday 00:00, from Friday's window


def test_seeker_window_crossing_midnight_meets_the_volunteers_morning() -> None:
    volunteer = parse_windows("Tue 08:00-09:00")  # Europe/Berlin
    seeker = parse_windows("Mon 22:00-02:30")  # America/Los_Angeles: Tue 07:00–11:30 Berlin
    slots = propose_slots(
        volunteer, "Europe/Berlin", seeker, "America/Los_Angeles", 30,
        utc(2026, 1, 5), utc(2026, 1, 14),
    )  # fmt: skip
    assert slots == (utc(2026, 1, 6, 7), utc(2026, 1, 6, 7, 30), utc(2026, 1, 13, 7))


def test_two_zones_far_apart_share_a_real_overlap() -> None:
    volunteer = parse_windows("Mon-Fri 07:00-09:00")  # Asia/Tokyo mornings
    seeker = parse_windows("Mon-Fri 14:00-16:30")  # America/Los_Angeles afternoons
    slots = propose_slots(
        volunteer, "Asia/Tokyo", seeker, "America/Los_Angeles", 30,
        utc(2026, 1, 5), utc(2026, 1, 19),
    )  # fmt: skip
    assert len(slots) == 3
    assert len({s.astimezone(ZoneInfo("Asia/Tokyo")).date() for s in slots}) == 3
    for s in slots:
        assert fits(s, 30, volunteer, "Asia/Tokyo")
        assert fits(s, 30, seeker, "America/Los_Angeles")
        assert s.astimezone(ZoneInfo("Asia/Tokyo")).weekday() != 0  # LA's Sunday: no


def test_no_overlap_means_no_slots() -> None:
    berlin = parse_windows("Mon 09:00-10:00")
    new_york = parse_windows("Mon 09:00-10:00")
    start, end = utc(2026, 1, 5), utc(2026, 2, 5)
    assert (
        propose_slots(berlin, "Europe/Berlin", new_york, "America/New_York", 15, start, end) == ()
    )


def test_without_windows() -> None:
    start, end = utc(2026, 1, 5), utc(2026, 1, 19)
    mine = parse_windows("Mon-Fri 12-13")
    assert propose_slots((), "Europe/Berlin", mine, "UTC", 30, start, end) == ()
    assert len(propose_slots(mine, "Europe/Berlin", (), "UTC", 30, start, end)) == 3
    assert propose_slots(mine, "Europe/Berlin", (), "UTC", 90, start, end) == ()  # too long


def test_slots_are_on_different_days_spread_and_aligned() -> None:
    windows = parse_windows("Mon-Fri 12:10-14:00")
    slots = propose_slots(
        windows, "Europe/Berlin", (), "UTC", 30, utc(2026, 1, 6, 13), utc(2026, 1, 20)
    )
    local = [s.astimezone(BERLIN) for s in slots]
    assert [d.date() for d in local] == [date(2026, 1, 7), date(2026, 1, 13), date(2026, 1, 19)]
    assert {d.time() for d in local} == {time(12, 30)}  # the first :00/:30 in the window


def test_alignment_in_a_zone_with_a_quarter_hour_offset() -> None:
    slots = propose_slots(
        parse_windows("Mon 09:00-10:00"), "Asia/Kathmandu", (), "UTC", 30,
        utc(2026, 1, 5, 0), utc(2026, 1, 6),
    )  # fmt: skip
    assert [s.astimezone(ZoneInfo("Asia/Kathmandu")).time() for s in slots] == [
        time(9, 0),
        time(9, 30),
    ]


def test_one_day_only_gives_slots_that_do_not_overlap() -> None:
    slots = propose_slots(
        parse_windows("Mon 09:00-12:00"), "UTC", (), "UTC", 30, utc(2026, 1, 5), utc(2026, 1, 6)
    )
    assert slots == (utc(2026, 1, 5, 9), utc(2026, 1, 5, 10), utc(2026, 1, 5, 11, 30))


def test_slots_stay_inside_the_period() -> None:
    windows = parse_windows("Mon 09:00-12:00")
    slots = propose_slots(windows, "UTC", (), "UTC", 60, utc(2026, 1, 5, 10, 15), utc(2026, 1, 12))
    assert slots == (utc(2026, 1, 5, 10, 30),)
    assert propose_slots(windows, "UTC", (), "UTC", 60, utc(2026, 1, 6), utc(2026, 1, 12)) == ()
    late_end = propose_slots(windows, "UTC", (), "UTC", 60, utc(2026, 1, 5), utc(2026, 1, 5, 11))
    assert late_end == (utc(2026, 1, 5, 9), utc(2026, 1, 5, 10))
