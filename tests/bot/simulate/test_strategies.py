from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.models import Candidate, MatchResult, RequestFields, VolunteerProfile
from bot.simulate.plan import Answers
from bot.simulate.strategies import (
    STRATEGIES,
    FirstToClaim,
    RandomAmongListers,
    answer_delays,
    strategy,
)
from tests.bot.simulate.plans import tiny, volunteer

FIELDS = RequestFields("Data Engineering", "why", ("q1?", "q2?"), 15, "video", 14)


def candidate(member_id: int, *topics: str) -> Candidate:
    profile = VolunteerProfile(member_id, f"u{member_id}", f"U{member_id}", "r", "o", topics)
    return Candidate(profile, score=1.0, reasons=())


def found(*candidates: Candidate, widened: bool = False) -> MatchResult:
    return MatchResult(tuple(candidates), widened=widened, excluded={99: "paused"})


def ids(result: MatchResult) -> list[int]:
    return [c.volunteer.member_id for c in result.candidates]


def test_random_keeps_only_those_who_list_the_topic() -> None:
    pool = found(
        candidate(1, "data engineering"),
        candidate(2, "data science"),
        candidate(3, "python", "  DATA   engineering "),
        candidate(4, "analytics engineering"),
    )
    result = RandomAmongListers(seed=3).order(10, FIELDS, pool)
    assert sorted(ids(result)) == [1, 3]
    assert result.excluded == {99: "paused"}


def test_random_is_stable_per_request_and_differs_between_requests() -> None:
    pool = found(*(candidate(i, "data engineering") for i in range(1, 30)))
    rule = RandomAmongListers(seed=3)
    first = ids(rule.order(10, FIELDS, pool))
    assert first == ids(rule.order(10, FIELDS, pool))
    assert first == ids(RandomAmongListers(seed=3).order(10, FIELDS, pool))
    assert first != ids(rule.order(11, FIELDS, pool))
    assert first != ids(RandomAmongListers(seed=4).order(10, FIELDS, pool))
    assert first != sorted(first)
    # Asked again after a no, without the one who said no: the same order for the others.
    rest = found(*(c for c in pool.candidates if c.volunteer.member_id != first[0]))
    assert ids(rule.order(10, FIELDS, rest)) == first[1:]


def test_nobody_when_only_adjacent_topics_were_found() -> None:
    pool = found(candidate(1, "data engineering"), widened=True)
    assert ids(RandomAmongListers(seed=1).order(1, FIELDS, pool)) == []
    assert ids(FirstToClaim({}).order(1, FIELDS, pool)) == []


def test_first_to_claim_puts_the_quickest_first_and_the_silent_last() -> None:
    delays = {
        "u1": timedelta(hours=30),
        "u2": None,  # never answers
        "u3": timedelta(hours=2),
        "u4": timedelta(hours=2),
        "u5": timedelta(minutes=10),
    }
    pool = found(
        candidate(2, "data engineering"),
        candidate(1, "data engineering"),
        candidate(4, "data engineering"),
        candidate(3, "data engineering"),
        candidate(5, "ux design"),  # quickest, but doesn't list the topic
    )
    assert ids(FirstToClaim(delays).order(7, FIELDS, pool)) == [3, 4, 1, 2]


def test_strategies_by_name() -> None:
    plan = tiny()
    assert STRATEGIES == ("infochat", "random", "first-to-claim")
    assert strategy("infochat", plan) is None
    assert strategy("random", plan) == RandomAmongListers(plan.seed)
    rule = strategy("first-to-claim", plan)
    assert isinstance(rule, FirstToClaim)
    assert rule.name == "first-to-claim"
    with pytest.raises(ValueError, match="unknown strategy"):
        strategy("round-robin", plan)


def test_answer_delays_mark_who_never_answers() -> None:
    quick = volunteer("q", "law", answers=Answers(1, 0, 0, 0, timedelta(hours=1)))
    silent = volunteer("s", "law", answers=Answers(0, 0, 0, 1.0, timedelta(hours=1)))
    plan = tiny()
    plan = type(plan)(**{**plan.__dict__, "volunteers": (quick, silent)})
    assert answer_delays(plan) == {"q": timedelta(hours=1), "s": None}
