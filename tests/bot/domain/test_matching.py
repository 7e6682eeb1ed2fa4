from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.community import CommunitySettings
from bot.domain.matching import rank
from bot.domain.models import MatchResult, RequestFields, VolunteerProfile, VolunteerStats

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SETTINGS = CommunitySettings()
SEEKER = 1
REQUEST = RequestFields(
    topic="UX design",
    why="I taught for six years and want to understand how designers run research.",
    questions=("What does a typical week look like?", "How did you get started?"),
    minutes=15,
    format="video",
    time_frame_days=21,
    affiliations=("Université de Montréal", "Women in Tech"),
)


def volunteer(member_id: int, **changes: object) -> VolunteerStats:
    stats_fields = {"used_this_month", "outstanding", "given_recently"}
    stats_fields |= {
        "last_declined_seeker_at",
        "asked_for_request",
        "no_shows_recently",
        "asks_recently",
    }
    stats = {k: v for k, v in changes.items() if k in stats_fields}
    profile = {k: v for k, v in changes.items() if k not in stats_fields}
    base = VolunteerProfile(
        member_id=member_id,
        user_id=f"U{member_id}",
        display_name=f"Volunteer {member_id}",
        role="Designer",
        organisation="Acme",
        topics=("ux design",),
    )
    return VolunteerStats(profile=replace(base, **profile), **stats)  # type: ignore[arg-type]


def run(*pool: VolunteerStats, **changes: object) -> MatchResult:
    fields = replace(REQUEST, **changes)  # type: ignore[arg-type]
    return rank(fields, SEEKER, pool, NOW, SETTINGS)


def ids(result: MatchResult) -> list[int]:
    return [c.volunteer.member_id for c in result.candidates]


# Exclusions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"active": False}, "left"),
        ({"paused_until": NOW + timedelta(days=1)}, "paused"),
        ({"monthly_capacity": 2, "used_this_month": 2}, "at capacity"),
        ({"monthly_capacity": 2, "used_this_month": 1, "outstanding": 1}, "at capacity"),
        ({"monthly_capacity": 0}, "at capacity"),
        ({"last_declined_seeker_at": NOW - timedelta(days=89)}, "declined this seeker recently"),
        ({"asked_for_request": True}, "already asked for this request"),
        ({"formats": ("phone", "in person")}, "does not offer video"),
        ({"minutes": 10}, "offers 10 minutes at most"),
    ],
)
def test_each_exclusion(changes: dict[str, object], reason: str) -> None:
    result = run(volunteer(2, **changes), volunteer(3))
    assert result.excluded == {2: reason}
    assert ids(result) == [3]


def test_the_seeker_is_never_their_own_match() -> None:
    result = run(volunteer(SEEKER), volunteer(2))
    assert result.excluded == {SEEKER: "is the seeker"}
    assert ids(result) == [2]


def test_boundaries_of_the_exclusions_are_open() -> None:
    result = run(
        volunteer(2, paused_until=NOW),
        volunteer(3, monthly_capacity=2, used_this_month=1),
        volunteer(4, last_declined_seeker_at=NOW - timedelta(days=90)),
        volunteer(5, formats=()),
        volunteer(6, minutes=15),
    )
    assert result.excluded == {}
    assert ids(result) == [2, 3, 4, 5, 6]


def test_decline_cooldown_follows_the_settings() -> None:
    declined = volunteer(2, last_declined_seeker_at=NOW - timedelta(days=10))
    short = CommunitySettings(decline_cooldown_days=7)
    assert ids(rank(REQUEST, SEEKER, [declined], NOW, short)) == [2]
    assert ids(rank(REQUEST, SEEKER, [declined], NOW, SETTINGS)) == []


def test_target_person_excludes_everyone_else() -> None:
    pool = (volunteer(2), volunteer(3, topics=("law",)), volunteer(4))
    result = run(*pool, target_user_id="U3")
    assert ids(result) == [3]
    assert result.excluded == {2: "not the requested person", 4: "not the requested person"}
    assert result.candidates[0].reasons[0] == "the person you asked for"
    assert not result.widened


def test_target_person_still_needs_to_be_available() -> None:
    paused = volunteer(3, paused_until=NOW + timedelta(days=3))
    result = run(volunteer(2), paused, target_user_id="U3")
    assert result.candidates == ()
    assert result.excluded == {2: "not the requested person", 3: "paused"}


# Ranking ------------------------------------------------------------------------------------


def test_shared_affiliation_beats_plain_topic_fit() -> None:
    plain = volunteer(2)
    alumna = volunteer(3, affiliations=("UNIVERSITE DE MONTREAL",))
    result = run(plain, alumna)
    assert ids(result) == [3, 2]
    assert result.candidates[0].reasons == (
        "you both list UNIVERSITE DE MONTREAL",
        "works in ux design",
    )


def test_each_shared_affiliation_counts() -> None:
    one = volunteer(2, affiliations=("Women in Tech",))
    two = volunteer(3, affiliations=("women in tech", "Université de Montréal", "Chess Club"))
    result = run(one, two)
    assert ids(result) == [3, 2]
    assert result.candidates[0].reasons == (
        "you both list women in tech",
        "you both list Université de Montréal",
        "works in ux design",
    )


def test_affiliation_listed_twice_counts_once() -> None:
    once = volunteer(2, affiliations=("Women in Tech",))
    twice = volunteer(3, affiliations=("Women in Tech", "women in tech"))
    result = run(once, twice)
    assert result.candidates[0].score == result.candidates[1].score
    assert result.candidates[1].reasons == ("you both list Women in Tech", "works in ux design")


def test_affiliation_alone_never_makes_a_candidate() -> None:
    result = run(volunteer(2, topics=("accounting",), affiliations=("Women in Tech",)))
    assert result.candidates == ()
    assert not result.widened


def test_fewer_recent_chats_wins_a_tie() -> None:
    busy = volunteer(2, given_recently=5)
    rested = volunteer(3, given_recently=1)
    fresh = volunteer(4)
    assert ids(run(busy, rested, fresh)) == [4, 3, 2]


def test_recent_chats_never_outweigh_a_better_fit() -> None:
    very_busy_alumna = volunteer(2, given_recently=1000, affiliations=("Women in Tech",))
    idle = volunteer(3)
    assert ids(run(very_busy_alumna, idle)) == [2, 3]
    busy_fit = volunteer(4, given_recently=1000)
    idle_role_only = volunteer(5, topics=("law",))
    assert ids(run(busy_fit, idle_role_only, target_role="designer")) == [4, 5]


def test_a_recent_no_show_lowers_priority_a_little() -> None:
    missed = volunteer(2, no_shows_recently=1)
    reliable = volunteer(3)
    assert ids(run(missed, reliable)) == [3, 2]
    # It weighs like two more recent chats: more than one, less than three.
    assert ids(run(missed, volunteer(4, given_recently=1))) == [4, 2]
    assert ids(run(missed, volunteer(5, given_recently=3))) == [2, 5]


def test_an_ask_that_did_not_become_a_chat_weighs_like_one_more_recent_chat() -> None:
    silent = volunteer(2, asks_recently=1)
    assert ids(run(silent, volunteer(3))) == [3, 2]
    assert ids(run(silent, volunteer(4, given_recently=1))) == [2, 4]  # equal: member id
    assert ids(run(silent, volunteer(5, given_recently=2))) == [2, 5]
    # Never more than a better fit.
    many = volunteer(6, asks_recently=50, affiliations=("Women in Tech",))
    assert ids(run(many, volunteer(7))) == [6, 7]


def test_no_shows_never_outweigh_a_better_fit() -> None:
    missed_alumna = volunteer(
        2, no_shows_recently=50, given_recently=1000, affiliations=("Women in Tech",)
    )
    assert ids(run(missed_alumna, volunteer(3))) == [2, 3]
    missed_role_fit = volunteer(4, no_shows_recently=50, given_recently=1000)
    idle_topic_only = volunteer(5, role="Researcher")
    assert ids(run(missed_role_fit, idle_topic_only, target_role="designer")) == [4, 5]


def test_ties_fall_back_to_member_id() -> None:
    assert ids(run(volunteer(9), volunteer(3), volunteer(5))) == [3, 5, 9]


def test_scores_are_floats_in_descending_order() -> None:
    result = run(
        volunteer(2), volunteer(3, affiliations=("Women in Tech",)), volunteer(4, given_recently=2)
    )
    scores = [c.score for c in result.candidates]
    assert all(isinstance(s, float) for s in scores)
    assert scores == sorted(scores, reverse=True)


def test_topic_fit_uses_normalised_topics_and_the_volunteers_spelling() -> None:
    result = run(volunteer(2, topics=("Finance", "UX")), topic="ux design")
    assert result.candidates[0].reasons == ("works in UX",)
    assert not result.candidates[0].adjacent


def test_role_fit_by_token_containment() -> None:
    senior = volunteer(2, topics=("law",), role="Senior Data Scientist")
    other = volunteer(3, topics=("law",), role="Data Engineer")
    result = run(senior, other, topic="accounting", target_role="data scientist")
    assert ids(result) == [2]
    assert result.candidates[0].reasons == ("is a Senior Data Scientist",)


def test_role_reason_uses_an_before_a_vowel() -> None:
    result = run(volunteer(2, role="Engineering Manager"), target_role="engineering manager")
    assert "is an Engineering Manager" in result.candidates[0].reasons


def test_organisation_fit() -> None:
    acme = volunteer(2, topics=("law",), organisation="Acme Corp")
    other = volunteer(3, topics=("law",), organisation="Initech")
    result = run(acme, other, topic="accounting", target_org="acme")
    assert ids(result) == [2]
    assert result.candidates[0].reasons == ("works at Acme Corp",)


def test_reasons_are_ordered_by_importance_and_deduplicated() -> None:
    everything = volunteer(
        2, role="UX Designer", organisation="Acme", affiliations=("Women in Tech",)
    )
    result = run(everything, target_role="ux designer", target_org="Acme", target_user_id="U2")
    assert result.candidates[0].reasons == (
        "the person you asked for",
        "you both list Women in Tech",
        "works in ux design",
        "is a UX Designer",
        "works at Acme",
    )


def test_topic_fit_beats_role_fit() -> None:
    topical = volunteer(2, role="Writer")
    by_role = volunteer(3, topics=("law",), role="Designer")
    assert ids(run(by_role, topical, target_role="designer")) == [2, 3]


# Widening -----------------------------------------------------------------------------------


def test_widen_to_adjacent_topics_when_nobody_fits_exactly() -> None:
    pm = volunteer(2, topics=("accounting", "Product Management"))
    researcher = volunteer(3, topics=("user research",), affiliations=("Women in Tech",))
    lawyer = volunteer(4, topics=("law",))
    result = run(pm, researcher, lawyer, topic="UX")
    assert result.widened
    assert ids(result) == [3, 2]
    assert all(c.adjacent for c in result.candidates)
    assert result.candidates[1].reasons == ("works in Product Management, close to UX",)
    assert result.candidates[0].reasons == (
        "you both list Women in Tech",
        "works in user research, close to UX",
    )


def test_no_widening_when_someone_fits_exactly() -> None:
    result = run(volunteer(2, topics=("product management",)), volunteer(3))
    assert not result.widened
    assert ids(result) == [3]


def test_an_exact_fit_late_in_the_pool_still_wins_over_earlier_adjacent_ones() -> None:
    pool = [volunteer(i, topics=("product design",)) for i in range(2, 50)]
    result = run(*pool, volunteer(99))
    assert ids(result) == [99]
    assert not result.widened


def test_widening_by_shared_word() -> None:
    result = run(volunteer(2, topics=("Cloud Security",)), topic="security")
    assert result.widened
    assert result.candidates[0].reasons == ("works in Cloud Security, close to security",)


def test_nobody_close_gives_an_empty_result() -> None:
    result = run(volunteer(2, topics=("law",)), volunteer(3, topics=("nursing",)), topic="UX")
    assert result.candidates == ()
    assert not result.widened


def test_empty_pool() -> None:
    assert run() == MatchResult(candidates=(), widened=False, excluded={})


def test_excluded_volunteers_are_not_used_for_widening() -> None:
    result = run(volunteer(2, topics=("product design",), active=False), topic="UX")
    assert result.candidates == ()
    assert not result.widened


def test_a_thousand_volunteers() -> None:
    topics = ("law", "product design", "ux design", "accounting", "devops")
    pool = [
        volunteer(
            i,
            topics=(topics[i % 5], "teaching"),
            affiliations=("Women in Tech",) if i % 7 == 0 else (),
            given_recently=i % 4,
            paused_until=NOW + timedelta(days=1) if i % 11 == 0 else None,
        )
        for i in range(2, 1002)
    ]
    result = run(*pool)
    assert len(result.candidates) + len(result.excluded) < len(pool)
    assert all(c.volunteer.topics[0] == "ux design" for c in result.candidates)
    first = result.candidates[0]
    assert first.reasons[0] == "you both list Women in Tech"
    assert first.volunteer.member_id % 7 == 0
