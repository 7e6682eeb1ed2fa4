"""The program-health measures' pure parts: quantiles, Gini, the requests' tally, volunteers'
load, common time, and the lines a moderator reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.domain.measures import (
    AskOutcomes,
    Availability,
    History,
    Load,
    Measures,
    RequestFacts,
    Volunteer,
    VolunteerActivity,
    common_window,
    compute,
    durations,
    gini,
    percentile,
    tally_requests,
    volunteer_load,
)
from bot.domain.measures_text import describe, duration, needs_attention
from bot.domain.models import RequestStatus, Window

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def facts(**changes: object) -> RequestFacts:
    base = RequestFacts(
        request_id=1,
        topic="pottery",
        submitted_at=T0,
        well_formed=True,
        status=RequestStatus.OPEN,
        close_reason=None,
        first_asked_at=None,
        answers=AskOutcomes(),
        introduced_at=None,
        chat_at=None,
        thanked=False,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1.0, 3.0], 0.5) == 2.0
    assert percentile([4.0, 1.0, 3.0, 2.0, 5.0], 0.5) == 3.0
    assert percentile([0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0], 0.9) == (
        pytest.approx(90.0)
    )
    assert percentile([0.0, 10.0], 0.9) == pytest.approx(9.0)


def test_durations_of_no_spans_are_undefined() -> None:
    assert durations([]).median is None and durations([]).count == 0
    spans = durations([HOUR, 3 * HOUR, 2 * HOUR])
    assert (spans.count, spans.median, spans.p90) == (3, 2 * HOUR, 2.8 * HOUR)


def test_gini_from_equal_to_one_carrying_everything() -> None:
    assert gini([]) is None
    assert gini([0, 0, 0]) is None  # nobody carried anything: nothing to compare
    assert gini([2, 2, 2, 2]) == 0.0
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)  # (n - 1) / n with one carrying all
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25)
    assert gini([4, 1, 3, 2]) == gini([1, 2, 3, 4])  # order does not matter


def test_each_step_of_the_funnel_and_its_time() -> None:
    whole = facts(
        first_asked_at=T0 + HOUR,
        answers=AskOutcomes(accepted=1, declined=1),
        introduced_at=T0 + DAY,
        chat_at=T0 + 5 * DAY,
        thanked=True,
        status=RequestStatus.COMPLETED,
    )
    asked = facts(request_id=2, first_asked_at=T0 + 3 * HOUR)
    tally = tally_requests([whole, asked, facts(request_id=3)], T0 + 30 * DAY)
    assert tally.funnel == {
        "sent": 3, "asked": 2, "accepted": 1, "introduced": 1, "chatted": 1, "thanked": 1,
    }  # fmt: skip
    assert tally.to_first_ask == [HOUR, 3 * HOUR]
    assert tally.to_introduction == [DAY]
    assert tally.to_chat == [5 * DAY]


def test_well_formed_requests_in_time_late_or_still_pending() -> None:
    now = T0 + 20 * DAY
    in_time = facts(introduced_at=T0 + 14 * DAY, status=RequestStatus.INTRODUCED)
    late = facts(introduced_at=T0 + 14 * DAY + HOUR, status=RequestStatus.INTRODUCED)
    closed_early = facts(status=RequestStatus.CLOSED, close_reason="no_one_left")
    open_too_long = facts()  # sent 20 days ago and still open
    young = facts(submitted_at=now - 13 * DAY)  # still has a day
    draft_first = facts(well_formed=False, introduced_at=T0 + HOUR)
    tally = tally_requests([in_time, late, closed_early, open_too_long, young, draft_first], now)
    assert tally.well_formed == {"in_time": 1, "late": 3, "pending": 1}
    m = compute(History(T0, now, now), tally)
    assert (m.well_formed, m.well_formed_in_time, m.well_formed_pending) == (4, 1, 1)
    assert m.in_time_share == 0.25


def test_closed_with_nobody_to_ask_by_topic_most_first() -> None:
    closed = [
        facts(status=RequestStatus.CLOSED, close_reason=reason, topic=topic)
        for reason, topic in (
            ("no_match", "UX research"),
            ("no_one_left", "ux research"),
            ("no_match", "Beekeeping"),
            ("expired", "sailing"),  # open too long: there was someone to ask
            ("cancelled", "sailing"),
        )
    ]
    m = compute(History(T0, T0 + DAY, T0 + DAY), tally_requests(closed, T0 + DAY))
    assert m.nobody_to_ask == (("ux research", 2), ("beekeeping", 1))


def test_ask_outcomes_add_up_over_the_requests() -> None:
    answered = [
        facts(answers=AskOutcomes(accepted=1, declined=2)),
        facts(answers=AskOutcomes(not_now=3, silent=4)),
        facts(answers=AskOutcomes(accepted=10)),
        facts(),  # never asked, or its asks were withdrawn or are still waiting
    ]
    outcomes = compute(History(T0, T0 + DAY, T0 + DAY), tally_requests(answered, T0)).asks
    assert outcomes == AskOutcomes(accepted=11, declined=2, not_now=3, silent=4)
    assert (outcomes.total, outcomes.acceptance, outcomes.silence) == (20, 0.55, 0.2)
    assert (outcomes.decline, outcomes.not_now_rate) == (0.1, 0.15)
    assert AskOutcomes().acceptance is None


def test_volunteers_load_capacity_and_never_asked() -> None:
    end = T0 + 28 * DAY
    history = History(
        T0,
        end,
        end,
        volunteers=[
            Volunteer(1, 2, True, T0 - 90 * DAY, asks=2),
            Volunteer(2, 3, True, T0 - 90 * DAY),  # never asked, no load
            Volunteer(3, 1, False, T0 - 90 * DAY),  # left, and nothing in the period
            Volunteer(4, 1, True, end, asks=1),  # joined when the period ended
            Volunteer(5, 2, False, T0 - 90 * DAY),  # left after an introduction
        ],
        activity=[
            VolunteerActivity(1, introductions=3, chats=2, busiest_month=2),
            VolunteerActivity(5, introductions=1, chats=1, busiest_month=1),
            VolunteerActivity(9, introductions=1, chats=0, busiest_month=1),  # no profile
        ],
    )
    load = volunteer_load(history)
    assert [v.member_id for v in load.each] == [1, 2, 5, 9]
    assert (load.volunteers, load.chats, load.chats_per_volunteer) == (4, 3, 0.75)
    assert [v.at_capacity for v in load.each] == [True, False, False, False]
    assert load.each[3].monthly_capacity is None
    assert load.never_asked == 1  # only active volunteers can be "never asked"
    assert load.gini == pytest.approx(gini([3, 0, 1, 1]))


def test_an_empty_history_has_every_measure_defined() -> None:
    m = compute(History(T0, T0 + DAY, T0 + DAY), tally_requests([], T0 + DAY))
    assert m.funnel.sent == 0 and m.asks.total == 0
    assert (m.asks.acceptance, m.in_time_share, m.pay_it_forward) == (None, None, None)
    assert (m.to_introduction.median, m.load.gini, m.load.chats_per_volunteer) == (None,) * 3
    assert m.load == Load()


def windows(text: str) -> tuple[Window, ...]:
    from bot.domain.values import parse_windows

    return parse_windows(text)


def availability(seeker: str, seeker_tz: str, volunteer: str, volunteer_tz: str) -> Availability:
    return Availability(
        windows(seeker) if seeker else (), seeker_tz,
        windows(volunteer) if volunteer else (), volunteer_tz,
        30, T0, T0 + 14 * DAY,
    )  # fmt: skip


def test_a_common_window_in_both_time_zones() -> None:
    evenings = "Mon-Fri 18:00-20:00"
    assert common_window(availability("Mon-Fri 13-15", "America/New_York", evenings, "UTC"))
    assert not common_window(availability("Mon-Fri 9-10", "UTC", evenings, "UTC"))
    assert common_window(availability("", "UTC", evenings, "UTC"))  # no windows: not penalised
    # Twenty minutes in common can't hold a 30-minute chat.
    assert not common_window(availability("Tue 19:40-21:00", "UTC", evenings, "UTC"))
    # Sundays only, but the time frame is a Monday to the Thursday after: they never meet.
    short = replace(availability("Sun 10-12", "UTC", "Sun 10-12", "UTC"), end=T0 + 3 * DAY)
    assert not common_window(short)
    assert Window(6, time(10), time(12)) in short.seeker_windows


def test_common_windows_are_counted_over_introductions_only() -> None:
    none = availability("Mon-Fri 9-10", "UTC", "Mon-Fri 18-20", "UTC")
    some = availability("", "UTC", "Mon-Fri 18-20", "UTC")
    introduced: dict[str, object] = {"introduced_at": T0 + DAY, "status": RequestStatus.INTRODUCED}
    requests = [
        facts(availability=none, **introduced),
        facts(availability=some, **introduced),
        facts(availability=none),  # not introduced: no chat to schedule
        facts(**introduced),  # the volunteer's windows are unknown
    ]
    m = compute(History(T0, T0 + DAY, T0 + DAY), tally_requests(requests, T0 + DAY))
    assert (m.windows_checked, m.no_common_window) == (2, 1)


def test_durations_read_in_minutes_hours_or_days() -> None:
    assert duration(timedelta(0)) == "0 minutes"
    assert duration(timedelta(minutes=1)) == "1 minute"
    assert duration(timedelta(minutes=89)) == "89 minutes"
    assert duration(timedelta(hours=5, minutes=20)) == "5 hours"
    assert duration(timedelta(hours=50)) == "2.1 days"
    assert duration(timedelta(days=12, hours=13)) == "13 days"


def busy() -> Measures:
    return compute(
        History(
            T0, T0 + 28 * DAY, T0 + 28 * DAY,
            volunteers=[Volunteer(1, 2, True, T0, asks=6), Volunteer(2, 2, True, T0)],
            activity=[VolunteerActivity(1, introductions=6, chats=4, busiest_month=6)],
            helped=4, paid_forward=1,
        ),
        tally_requests(
            [facts(request_id=i, status=RequestStatus.CLOSED, close_reason="no_match",
                   topic=topic)
             for i, topic in enumerate(["ux research"] * 6 + ["law"] * 2 + list("abcd"))]
            + [facts(request_id=20, first_asked_at=T0 + HOUR,
                     answers=AskOutcomes(accepted=6, silent=4),
                     introduced_at=T0 + 2 * DAY, chat_at=T0 + 4 * DAY, thanked=True,
                     status=RequestStatus.COMPLETED)],
            T0 + 28 * DAY,
        ),
    )  # fmt: skip


def test_what_needs_attention_comes_first() -> None:
    lines = describe(busy())
    assert lines[:9] == [
        "Needs attention first:",
        "• 6 requests about ux research closed with nobody to ask: recruit volunteers for "
        "ux research.",
        "• 2 requests about law closed with nobody to ask: recruit volunteers for law.",
        "• 1 request about a closed with nobody to ask: recruit volunteers for a.",
        "• 3 more requests in 3 other topics closed with nobody to ask.",
        "• Only 8% of well-formed requests were introduced within 14 days (1 of 13; the aim "
        "is 90%).",
        "• 40% of asks went unanswered until they expired.",
        "• 1 volunteer was at their monthly capacity: more volunteers would help.",
        "• Introductions are unevenly spread (load Gini 0.50): a few volunteers carry most of "
        "them.",
    ]
    assert lines[9:] == [
        "Requests: 13 sent → 1 asked → 1 accepted → 1 introduced → 1 chatted → 1 thanked.",
        "Asks: 60% accepted, 0% declined, 0% not right now, 40% unanswered (of 10 answered or "
        "expired).",
        "From request to first ask: median 60 minutes, 90% within 60 minutes; to introduction: "
        "median 2.0 days, 90% within 2.0 days; to chat: median 4.0 days, 90% within 4.0 days.",
        "Well-formed requests introduced within 14 days: 1 of 13 (8%).",
        "Volunteers: 2, 2.0 chats each, load Gini 0.50, 1 at capacity, 1 never asked.",
        "Paid forward: 1 of 4 members helped went on to help someone (25%).",
    ]


def test_a_healthy_period_needs_no_attention() -> None:
    m = replace(busy(), nobody_to_ask=(), well_formed=10, well_formed_in_time=10,
                load=Load(volunteers=3, chats=3, chats_per_volunteer=1.0, gini=0.0))  # fmt: skip
    m = replace(m, asks=AskOutcomes(accepted=6))
    assert needs_attention(m) == []
    assert describe(m)[0] == "Nothing needs attention first."
