from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.simulate.watch import Watch
from tests.bot.simulate.plans import volunteer

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def watching(capacity: int = 2) -> Watch:
    watch = Watch()
    watch.joined(volunteer("ana", "law", capacity=capacity, zone="Asia/Singapore"))
    return watch


def test_asks_up_to_capacity_are_fine_and_one_more_is_counted() -> None:
    watch = watching(capacity=2)
    assert watch.asked("ana", 1, NOW)
    assert watch.asked("ana", 2, NOW)
    assert watch.past_capacity == 0
    assert watch.asked("ana", 3, NOW)
    assert watch.past_capacity == 1


def test_a_reminder_of_the_same_ask_is_not_a_new_ask() -> None:
    watch = watching(capacity=1)
    assert watch.asked("ana", 1, NOW)
    assert not watch.asked("ana", 1, NOW + timedelta(days=3))
    assert watch.past_capacity == 0


def test_answered_lapsed_and_withdrawn_asks_free_the_room() -> None:
    watch = watching(capacity=1)
    watch.asked("ana", 1, NOW)
    watch.answered("ana", 1)
    watch.asked("ana", 2, NOW)
    watch.closed("Ask #2 has lapsed and was passed on; no need to answer it now.")
    watch.asked("ana", 3, NOW)
    watch.closed("No need to answer the ask about law (ask #3) any more. Thank you!")
    watch.asked("ana", 4, NOW)
    assert watch.past_capacity == 0
    assert watch.is_waiting("ana", 4) and not watch.is_waiting("ana", 3)


def test_introductions_count_in_their_calendar_month_in_the_volunteers_zone() -> None:
    watch = watching(capacity=1)
    watch.accepted("sam", "ana")
    # 31 March 20:00 UTC is already 1 April in Singapore.
    watch.introduced("sam", "ana", datetime(2026, 3, 31, 15, 0, tzinfo=UTC))
    watch.asked("ana", 1, datetime(2026, 3, 31, 20, 0, tzinfo=UTC))
    assert watch.past_capacity == 0
    watch.answered("ana", 1)
    watch.asked("ana", 2, datetime(2026, 3, 31, 15, 30, tzinfo=UTC))
    assert watch.past_capacity == 1


def test_asks_during_a_pause_are_counted_and_the_pause_withdrew_waiting_asks() -> None:
    watch = watching(capacity=3)
    watch.asked("ana", 1, NOW)
    watch.paused("ana", NOW + timedelta(days=7))
    assert not watch.is_waiting("ana", 1)
    watch.asked("ana", 2, NOW + timedelta(days=6))
    assert watch.while_paused == 1
    watch.asked("ana", 3, NOW + timedelta(days=7))
    assert watch.while_paused == 1


def test_an_introduction_needs_an_accept_of_that_pair_each_time() -> None:
    watch = watching()
    watch.accepted("sam", "ana")
    watch.introduced("sam", "ana", NOW)
    assert watch.without_accept == 0
    watch.introduced("sam", "ana", NOW)
    watch.introduced("tia", "ana", NOW)
    assert watch.without_accept == 2
