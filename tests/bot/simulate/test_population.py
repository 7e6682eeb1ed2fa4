"""The population a scenario draws: repeatable for a seed, shaped as the scenario says, and
made of arguments the real core accepts (and, for vague requests, refuses)."""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.commands import Actor, Command
from bot.domain import coach
from bot.domain.community import CommunitySettings
from bot.domain.models import Severity
from bot.domain.topics import is_adjacent
from bot.services.forms import parse_request, parse_volunteer
from bot.simulate.plan import Plan, RequestPlan
from bot.simulate.population import add_months, draw
from bot.simulate.scenario import Scenario, load_scenario
from tests.support import COMMUNITY, count, make_world


@pytest.fixture(scope="module")
def plan() -> Plan:
    return draw(Scenario())


def test_the_same_seed_draws_an_equal_plan(plan: Plan) -> None:
    assert draw(Scenario()) == plan
    assert draw(load_scenario(overrides={"seed": "2"})) != plan


def test_the_plan_is_the_same_in_another_process() -> None:
    """Nothing depends on hash order: a fresh interpreter with another hash seed agrees."""
    script = (
        "import hashlib; from bot.simulate.scenario import Scenario; "
        "from bot.simulate.population import draw; "
        "print(hashlib.sha256(repr(draw(Scenario(months=1))).encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1


def test_the_default_draws_its_whole_year() -> None:
    """(How long it takes is measured by bench/simulate.py, not here.)"""
    plan = draw(Scenario())
    assert len(plan.volunteers) == 300 and 2_500 < len(plan.requests) < 3_500


def test_the_period_is_calendar_months(plan: Plan) -> None:
    assert plan.start == Scenario().start
    assert plan.end == datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 30, tzinfo=UTC), 3) == datetime(2027, 2, 28, tzinfo=UTC)


def test_requests_arrive_at_the_monthly_rate_in_time_order(plan: Plan) -> None:
    expected = 250 * 12
    assert abs(len(plan.requests) - expected) < 4 * math.sqrt(expected)
    times = [r.at for r in plan.requests]
    assert times == sorted(times)
    assert all(plan.start <= at < plan.end for at in times)
    months = Counter((at.year, at.month) for at in times if at < datetime(2027, 1, 1, tzinfo=UTC))
    assert all(180 < n < 320 for n in months.values())


def test_requests_come_in_the_seekers_working_hours(plan: Plan) -> None:
    for r in plan.requests:
        if "timezone" in r.fields:
            local = r.at.astimezone(ZoneInfo(r.fields["timezone"]))
            assert 8 <= local.hour < 21, r


def test_volunteers_are_the_scenarios(plan: Plan) -> None:
    assert len(plan.volunteers) == 300
    assert len({v.user_id for v in plan.volunteers}) == 300
    capacities = Counter(int(v.join["monthly_capacity"]) for v in plan.volunteers)
    assert set(capacities) == {1, 2, 3, 4}
    topic_counts = Counter(len(v.join["topics"].split(", ")) for v in plan.volunteers)
    assert set(topic_counts) == {1, 2, 3}
    zones = {v.join["timezone"].split("/")[0] for v in plan.volunteers}
    assert zones == {"Europe", "America", "Asia", "Africa"}
    without = sum("windows" not in v.join for v in plan.volunteers)
    assert 0.12 < without / 300 < 0.28
    later = [v for v in plan.volunteers if v.joins_at > plan.start + timedelta(hours=1)]
    assert 10 < len(later) < 55
    assert all(plan.start <= v.joins_at < plan.end for v in plan.volunteers)


def test_names_are_unique_plain_and_one_per_member(plan: Plan) -> None:
    names = {v.user_id: v.name for v in plan.volunteers}
    for r in plan.requests:
        assert names.setdefault(r.seeker, r.seeker_name) == r.seeker_name
    assert len(set(names.values())) == len(names)
    assert all(name.isascii() and name.strip() == name for name in names.values())


def test_answer_chances_average_to_the_communitys(plan: Plan) -> None:
    answers = [v.answers for v in plan.volunteers]
    for kind, share in (("accept", 0.55), ("not_now", 0.15), ("decline", 0.10), ("silent", 0.2)):
        chances = [getattr(a, kind) for a in answers]
        assert statistics.fmean(chances) == pytest.approx(share, abs=1e-9)
        assert min(chances) >= 0
        assert statistics.pstdev(chances) > 0.01  # volunteers differ
    for a in answers:
        assert a.accept + a.not_now + a.decline + a.silent == pytest.approx(1.0)
    delays = sorted(a.delay for a in answers)
    median = delays[len(delays) // 2]
    assert timedelta(hours=16) < median < timedelta(hours=36)
    assert delays[0] >= timedelta(minutes=15)
    assert delays[-1] <= timedelta(hours=120)


def test_every_volunteer_answers_alike_without_spread() -> None:
    plan = draw(load_scenario(overrides={"spread": "0", "volunteers": "20", "months": "1"}))
    assert {(v.answers.accept, v.answers.silent) for v in plan.volunteers} == {(0.55, 0.2)}


def test_some_volunteers_pause_for_weeks(plan: Plan) -> None:
    paused = [v for v in plan.volunteers if v.pauses]
    assert 0.08 < len(paused) / 300 < 0.22
    for v in paused:
        (pause,) = v.pauses
        assert 14 <= pause.days <= 42
        assert v.joins_at < pause.start < plan.end


def test_topics_follow_two_long_tails(plan: Plan) -> None:
    supply = Counter(t for v in plan.volunteers for t in v.join["topics"].split(", "))
    demand = Counter(r.fields["topic"] for r in plan.requests)
    assert set(supply) | set(demand) <= set(plan.topics)
    assert supply.most_common(1)[0][0] != demand.most_common(1)[0][0]
    # A long tail: the most asked-about topic far more than the median one.
    assert demand.most_common(1)[0][1] > 5 * statistics.median(demand.values())
    # Some sought topics have few volunteers for how often they are asked about.
    scarce = [t for t in demand if demand[t] > 4 * 12 and supply[t] <= 0.05 * demand[t]]
    assert scarce
    # A volunteer's further topics are mostly next to their first one.
    pairs = [v.join["topics"].split(", ") for v in plan.volunteers]
    near = [is_adjacent(ts[0], t) for ts in pairs for t in ts[1:]]
    assert sum(near) > 0.5 * len(near)


def test_seekers_are_mostly_new_members_who_dont_volunteer(plan: Plan) -> None:
    volunteers = {v.user_id for v in plan.volunteers}
    seekers = Counter(r.seeker for r in plan.requests)
    assert not volunteers & set(seekers)
    repeated = sum(n - 1 for n in seekers.values())
    assert 0.03 < repeated / len(plan.requests) < 0.2
    # Nobody asks again while their last request may still be open.
    last: dict[str, datetime] = {}
    for r in plan.requests:
        if r.seeker in last:
            assert r.at - last[r.seeker] > timedelta(days=30)
        last[r.seeker] = r.at


def test_a_small_community_runs_out_of_new_seekers_gracefully() -> None:
    scenario = load_scenario(
        overrides={"members": "12", "volunteers": "10", "requests_per_month": "250", "months": "1"}
    )
    plan = draw(scenario)
    assert len(plan.requests) > 100
    assert len({r.seeker for r in plan.requests}) == 12  # volunteers ask once others have


def test_the_seekers_shares(plan: Plan) -> None:
    n = len(plan.requests)
    assert 0.07 < sum(r.vague is not None for r in plan.requests) / n < 0.13
    assert 0.86 < sum(r.picks_slot for r in plan.requests) / n < 0.94
    assert 0.81 < sum(r.confirms for r in plan.requests) / n < 0.89
    assert 0.66 < sum(r.thanks for r in plan.requests) / n < 0.74
    assert 0.65 < sum("windows" in r.fields for r in plan.requests) / n < 0.75
    for r in plan.requests:
        if r.vague is None:
            assert r.fixed_after == timedelta(0)
        else:
            assert timedelta(hours=2) <= r.fixed_after <= timedelta(hours=48)
            assert r.vague["topic"] == r.fields["topic"]


def test_the_coach_passes_every_request_and_refuses_every_vague_one(plan: Plan) -> None:
    settings = CommunitySettings()
    for r in plan.requests:
        fields, person = parse_request(r.fields, settings)
        assert person == ""
        assert coach.review(fields, settings) == (), r.fields
        if r.vague is not None:
            vague, _ = parse_request(r.vague, settings)
            findings = coach.review(vague, settings)
            assert any(f.severity is Severity.BLOCKING for f in findings), r.vague


def test_every_profile_parses(plan: Plan) -> None:
    for v in plan.volunteers:
        profile = parse_volunteer(v.join, None, 1, v.user_id, v.name)
        assert profile.timezone == v.join["timezone"]
        assert len(profile.windows) <= 21


def test_requests_fit_a_community_with_shorter_chats() -> None:
    plan = draw(load_scenario(overrides={"max_minutes": "15", "default_minutes": "15"}))
    assert {r.fields["minutes"] for r in plan.requests} == {"15"}
    assert plan.settings == {"max_minutes": "15", "default_minutes": "15"}


async def test_the_core_accepts_a_sample_of_the_plan(tmp_path: Path, plan: Plan) -> None:
    world = await make_world(tmp_path / "sample.db", **plan.settings)
    keys = iter(range(1, 10_000))

    async def act(user: str, name: str, action: str, args: dict[str, str]) -> bool:
        command = Command(Actor(COMMUNITY, user, name), action, f"s{next(keys)}", "", args)
        reply = await world.app.dispatch(command)
        await world.worker.drain()
        return reply.ok

    for v in plan.volunteers[::5]:
        assert await act(v.user_id, v.name, "volunteer.join", v.join), v.join
    assert await count(world, "volunteers") == 60
    first: dict[str, RequestPlan] = {}  # one request per seeker: none reaches the open limit
    for r in plan.requests:
        first.setdefault(r.seeker, r)
    sample = list(first.values())
    sample = sample[:45] + [r for r in sample[45:] if r.vague is not None][:15]
    assert sum(r.vague is not None for r in sample) >= 15
    for sent, r in enumerate(sample):
        if r.vague is not None:
            assert not await act(r.seeker, r.seeker_name, "request.create", r.vague)
            assert await count(world, "requests") == sent  # nothing stored
        assert await act(r.seeker, r.seeker_name, "request.create", r.fields), r.fields
        assert await count(world, "requests") == sent + 1
    assert await count(world, "requests", status="draft") == 0
    await world.db.dispose()
