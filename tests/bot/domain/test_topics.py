from __future__ import annotations

import pytest

from bot.domain.topics import _GRAPH, adjacent_topics, is_adjacent, normalize_topic


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  UX  ", "ux design"),
        ("ML", "machine learning"),
        ("PM", "product management"),
        ("Product", "product management"),
        ("SWE", "software engineering"),
        ("Software   Development", "software engineering"),
        ("DevOps", "devops"),
        ("SRE", "devops"),
        ("data eng", "data engineering"),
        ("Data Science!", "data science"),
        ("(Machine learning).", "machine learning"),
        ("Économie sociale", "économie sociale"),
        ("C++", "c++"),
        (".NET", ".net"),
        ("", ""),
    ],
)
def test_normalize_topic(text: str, expected: str) -> None:
    assert normalize_topic(text) == expected


def test_normalize_topic_is_idempotent() -> None:
    for text in ("ux", "ML", "pm", "swe", "sre", "data eng", "Cloud Security?", "C#"):
        once = normalize_topic(text)
        assert normalize_topic(once) == once


def test_adjacent_topics_follow_the_clusters() -> None:
    assert {"devops", "data engineering"} <= adjacent_topics("software engineering")
    assert {"product management", "product design", "user research"} <= adjacent_topics("UX")
    assert {"design", "graphic design"} <= adjacent_topics("ux design")
    assert "devops" in adjacent_topics("security")
    assert {"recruiting", "people operations"} <= adjacent_topics("Human Resources")
    assert "policy" in adjacent_topics("nonprofit")


def test_adjacent_topics_never_include_the_topic_itself() -> None:
    for topic in _GRAPH:
        assert topic not in adjacent_topics(topic)


def test_adjacency_is_symmetric() -> None:
    for topic in _GRAPH:
        for other in adjacent_topics(topic):
            assert topic in adjacent_topics(other), (topic, other)


def test_there_are_about_twenty_clusters_worth_of_fields() -> None:
    assert len(_GRAPH) >= 50


def test_token_overlap_links_specific_words() -> None:
    assert "security" in adjacent_topics("cloud security")
    assert {"data engineering", "data science"} <= adjacent_topics("data")
    assert is_adjacent("security", "cloud security")
    assert is_adjacent("big data", "data science")


def test_generic_words_do_not_link_unrelated_fields() -> None:
    assert not is_adjacent("product management", "account management")
    assert not is_adjacent("civil engineering", "software engineering")


def test_a_topic_is_not_adjacent_to_itself_or_to_nothing() -> None:
    assert not is_adjacent("UX", "ux design")
    assert not is_adjacent("", "ux design")
    assert adjacent_topics("underwater basket weaving") == frozenset()
