"""The simulator's scenario: the issue's defaults, the TOML file, `key=value` overrides, and
a clear one-line refusal naming the key for anything that can't be run."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.domain.community import CommunitySettings
from bot.domain.topics import adjacent_topics, known_topics, normalize_topic
from bot.simulate.scenario import Scenario, ScenarioError, load_scenario, short_names

DEFAULT_FILE = Path(__file__).parents[3] / "docs" / "simulate-default.toml"


def test_the_defaults_are_the_issues() -> None:
    s = Scenario()
    assert (s.seed, s.months, s.members, s.volunteers) == (1, 12, 5000, 300)
    assert s.requests_per_month == 250
    assert s.start == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert s.start.weekday() == 0
    assert s.profiles.capacity == (1, 4)
    assert s.profiles.topics_each == (1, 3)
    a = s.answers
    assert (a.accept, a.not_now, a.decline, a.silent) == (0.55, 0.15, 0.10, 0.20)
    assert a.delay_hours == 24
    assert s.pauses.share == 0.15
    assert s.pauses.weeks == (2, 6)
    assert s.seekers.vague == 0.10
    assert (s.seekers.picks_slot, s.seekers.confirms, s.seekers.thanks) == (0.9, 0.85, 0.7)
    assert s.seekers.with_windows == 0.7
    assert s.settings == {}
    assert load_scenario() == s


def test_zones_are_on_four_continents() -> None:
    continents = {zone.split("/")[0] for zone in Scenario().zones}
    assert continents == {"Europe", "America", "Asia", "Africa"}
    assert any(zone == "America/Sao_Paulo" for zone in Scenario().zones)


def test_default_topics_are_infochats_own_and_have_neighbours() -> None:
    topics = Scenario().topics
    assert 25 <= len(topics.supply) <= 40
    assert set(topics.supply) == set(topics.demand)
    for topic in topics.supply:
        assert normalize_topic(topic) == topic
        assert topic in known_topics()
        assert adjacent_topics(topic) & set(topics.supply), topic
    # Seekers' most wanted topics are not volunteers' most listed ones.
    assert topics.supply[:5] != topics.demand[:5]
    assert topics.supply_exponent != topics.demand_exponent


def test_the_shipped_file_is_exactly_the_defaults() -> None:
    assert load_scenario(DEFAULT_FILE) == Scenario()


def test_the_shipped_file_writes_out_every_parameter() -> None:
    written = tomllib.loads(DEFAULT_FILE.read_text())
    defaults = Scenario().model_dump()
    assert set(written) == set(defaults)
    for group, values in defaults.items():
        if isinstance(values, dict) and group != "settings":
            assert set(written[group]) == set(values), group


def test_a_file_changes_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "small.toml"
    path.write_text(
        "months = 2\nmembers = 800\n[profiles]\ncapacity = [2, 3]\n"
        '[settings]\napproval_required = true\nask_expiry_days = 5\n[zones]\n"Asia/Tokyo" = 1\n'
    )
    s = load_scenario(path)
    assert (s.months, s.members) == (2, 800)
    assert s.profiles.capacity == (2, 3)
    assert s.profiles.topics_each == (1, 3)  # the rest of the table keeps its defaults
    assert s.settings == {"approval_required": "true", "ask_expiry_days": "5"}
    assert s.community_settings().approval_required is True
    assert s.zones == {"Asia/Tokyo": 1.0}  # a zones table replaces the list


@pytest.mark.parametrize(
    ("overrides", "check"),
    [
        ({"capacity": "2"}, lambda s: s.profiles.capacity == (2, 2)),
        ({"capacity": "1-3"}, lambda s: s.profiles.capacity == (1, 3)),
        ({"profiles.capacity": "1..2"}, lambda s: s.profiles.capacity == (1, 2)),
        ({"months": "1", "members": "500"}, lambda s: (s.months, s.members) == (1, 500)),
        ({"seed": "7"}, lambda s: s.seed == 7),
        ({"volunteers": "100"}, lambda s: s.volunteers == 100),
        ({"requests_per_month": "40"}, lambda s: s.requests_per_month == 40),
        ({"start": "2026-03-02T09:00:00Z"}, lambda s: s.start.month == 3),
        ({"silent": "0.3", "accept": "0.45"}, lambda s: s.answers.not_now == pytest.approx(0.15)),
        ({"share": "0.5"}, lambda s: s.pauses.share == 0.5),
        ({"seekers.windows": "2-4"}, lambda s: s.seekers.windows == (2, 4)),
        ({"topics.demand": "law, policy"}, lambda s: s.topics.demand == ("law", "policy")),
        ({"zones.Asia/Tokyo": "0.5"}, lambda s: s.zones["Asia/Tokyo"] == 0.5),
        ({"zones": "Europe/Berlin:1, Asia/Tokyo:2"}, lambda s: len(s.zones) == 2),
        ({"approval_required": "true"}, lambda s: s.settings == {"approval_required": "true"}),
        ({"settings.ask_expiry_days": "5"}, lambda s: s.settings == {"ask_expiry_days": "5"}),
    ],
)
def test_overrides(overrides: dict[str, str], check: object) -> None:
    scenario = load_scenario(overrides=overrides)
    assert callable(check)
    assert check(scenario)


def test_answer_chances_not_given_share_what_is_left() -> None:
    a = load_scenario(overrides={"accept": "0.6"}).answers
    assert a.accept == 0.6
    assert a.not_now + a.decline + a.silent == pytest.approx(0.4)
    assert a.not_now / a.silent == pytest.approx(0.15 / 0.20)


def test_overrides_come_after_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("seed = 3\nmonths = 2\n")
    s = load_scenario(path, {"seed": "9"})
    assert (s.seed, s.months) == (9, 2)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"colour": "blue"}, "colour"),
        ({"profiles.colour": "blue"}, "profiles.colour"),
        ({"windows": "2"}, "profiles.windows or seekers.windows"),
        ({"topics": "law"}, "topics"),
        ({"months": "0"}, "months"),
        ({"months": "one"}, "months"),
        ({"capacity": "lots"}, "capacity"),
        ({"capacity": "3-1"}, "capacity"),
        ({"capacity": "30"}, "capacity"),
        ({"accept": "1.5"}, "accept"),
        ({"accept": "0.6", "not_now": "0.2", "decline": "0.1", "silent": "0.2"}, "accept"),
        ({"volunteers": "600", "members": "500"}, "volunteers"),
        ({"zones.Mars/Olympus": "1"}, "Mars/Olympus"),
        ({"zones.Asia/Tokyo": "-1"}, "Asia/Tokyo"),
        ({"start": "2026-01-05T09:00"}, "start"),
        ({"topics.supply": "UX, law"}, "topics.supply"),
        ({"topics.demand": "law, law"}, "topics.demand"),
        ({"approval_required": "perhaps"}, "approval_required"),
        ({"ask_expiry_days": "99"}, "ask_expiry_days"),
        ({"ask_expiry_days": "40"}, "ask_expiry_days"),  # longer than request_expiry_days
        ({"settings.colour": "blue"}, "colour"),
    ],
)
def test_refusals_name_the_key_in_one_line(overrides: dict[str, str], named: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(overrides=overrides)
    message = str(caught.value)
    assert named in message
    assert "\n" not in message
    assert len(message) < 200


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("months = 0\n", "months"),
        ("[profiles]\ncapcity = 2\n", "profiles.capcity"),
        ("colour = 1\n", "colour"),
        ("[answers]\naccept = 0.9\nnot_now = 0.9\ndecline = 0\nsilent = 0\n", "accept"),
        ("start = 2026-01-05T09:00:00\n", "start"),  # no time zone
        ("months = \n", "not valid TOML"),
    ],
)
def test_file_refusals_name_the_key(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=named) as caught:
        load_scenario(path)
    assert "\n" not in str(caught.value)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="can't read"):
        load_scenario(tmp_path / "nowhere.toml")


def test_a_scenario_is_frozen_and_forbids_unknown_fields() -> None:
    s = Scenario()
    with pytest.raises(ValidationError):
        s.months = 3  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Scenario(colour="blue")  # type: ignore[call-arg]


def test_short_names_are_unique_except_the_ones_that_say_so() -> None:
    ambiguous = {name for name, paths in short_names().items() if len(paths) > 1}
    assert ambiguous == {"windows", "affiliated"}
    settings = {name for name, paths in short_names().items() if paths[0][0] == "settings"}
    assert settings == set(CommunitySettings.model_fields)


def test_describe_is_a_few_short_lines() -> None:
    lines = load_scenario(overrides={"approval_required": "true", "months": "1"}).describe()
    assert 3 <= len(lines) <= 8
    assert all(len(line) <= 160 for line in lines)
    text = "\n".join(lines)
    assert "1 month " in text
    assert "5,000 members, 300 volunteers" in text
    assert "approval_required=true" in text
    assert "accepted 55 %" in text
    assert "Settings: the defaults." in Scenario().describe()[-1]


def test_a_community_of_another_size_keeps_the_default_proportions() -> None:
    small = load_scenario(overrides={"members": "500"})
    assert (small.members, small.volunteers, small.requests_per_month) == (500, 30, 25.0)
    given = load_scenario(overrides={"members": "500", "volunteers": "100"})
    assert (given.volunteers, given.requests_per_month) == (100, 25.0)
    assert load_scenario(overrides={"volunteers": "100"}).requests_per_month == 250.0
