"""Digest facts on hand-checked histories: stories, recognition, weekly counts. (Help chains
are the ledger's, tested with it.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.digest import (
    CHART_WEEKS,
    Person,
    Recognition,
    paid_forward_between,
    recognise,
    waiting_by_topic,
    weekly_counts,
)
from bot.domain.digest_time import weeks_before
from bot.domain.ledger import Chat

A, B, C, D, E = 1, 2, 3, 4, 5
DAY = timedelta(days=1)
T = datetime(2026, 3, 1, 12, tzinfo=UTC)


def chat(giver: int, receiver: int, day: int) -> Chat:
    return Chat(giver, receiver, T + day * DAY)


def test_paid_forward_means_giving_after_receiving() -> None:
    chats = [chat(A, B, 1), chat(B, C, 8), chat(C, D, 9), chat(D, A, 2), chat(E, D, 10)]
    # In days 7–14: B (helped on day 1) and C (day 8) gave; D gave on day 2, outside;
    # E gave without having received.
    assert paid_forward_between(chats, T + 7 * DAY, T + 14 * DAY) == {B, C}
    # D gave on day 2, before anyone helped D (day 9): not paying forward.
    assert paid_forward_between(chats, T, T + 7 * DAY) == set()


def test_recognition_names_only_those_who_opted_in() -> None:
    people = {
        A: Person("Priya", public=True),
        B: Person("Bob", public=False),
        C: Person("Ana", public=True),
        D: Person("Dee", public=False),
    }
    assert recognise([A, B, C, D], people) == Recognition(("Ana", "Priya"), 2)
    assert (
        str(recognise([A, B, C, D], people)) == "Ana, Priya and 2 more who prefer to stay unnamed"
    )
    assert str(recognise([A, B], people)) == "Priya and 1 more who prefers to stay unnamed"
    assert str(recognise([B, D], people)) == "2 people who prefer to stay unnamed"
    assert str(recognise([B], people)) == "1 person who prefers to stay unnamed"
    assert str(recognise([A, C], people)) == "Ana and Priya"
    assert str(recognise([], people)) == "—"


def test_waiting_requests_group_by_normalised_topic() -> None:
    topics = ["UX", "data engineering", "user experience", "Data Engineering ", "ux design", "law"]
    assert waiting_by_topic(topics) == (("ux design", 3), ("data engineering", 2), ("law", 1))


def test_weekly_counts_bucket_twelve_weeks_up_to_the_end() -> None:
    start = datetime(2026, 3, 2, tzinfo=UTC)
    end = start + 84 * DAY
    weeks = weekly_counts(
        requested=[end - DAY, end - 2 * DAY, end - 8 * DAY, end - 84 * DAY, end - 85 * DAY, end],
        given=[end - timedelta(seconds=1), end - 83 * DAY],
        weeks=weeks_before(end + timedelta(hours=9), "UTC", CHART_WEEKS),
    )
    assert len(weeks) == CHART_WEEKS
    assert weeks[0].start == start and weeks[-1].start == end - 7 * DAY
    assert [w.requested for w in weeks] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2]
    assert [w.given for w in weeks] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
