"""A scenario's community drawn once: who volunteers with what profile, who asks about what
and when, and how each of them behaves (see `plan`).

Everything comes from one `random.Random(scenario.seed)`, drawn in a fixed order, so the
same scenario always gives an equal plan. Arguments are what members type, and the core
accepts them: profiles pass `volunteer.join`; requests pass the coach with no finding at all,
except the vague first versions, which the coach refuses (blocking findings).
"""

from __future__ import annotations

import bisect
import calendar
import itertools
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.coach import MIN_MINUTES, SWEET_SPOT_MINUTES
from bot.domain.models import WEEKDAYS
from bot.domain.topics import adjacent_topics
from bot.simulate.plan import Answers, Pause, Plan, RequestPlan, VolunteerPlan
from bot.simulate.scenario import AnswerChances, Scenario
from bot.simulate.wording import (
    FIRST_NAMES,
    LAST_NAMES,
    ORGANISATIONS,
    SCHOOLS,
    questions_for,
    role_for,
    vague_text,
    why_for,
)

# Per-volunteer answer chances are drawn from a Dirichlet with this total weight around the
# community's chances before `spread` scales the differences (see AnswerChances).
CONCENTRATION = 4.0
MIN_DELAY_HOURS = 0.25
# Other topics a volunteer lists are next to their first one this often (else any topic).
ADJACENT_SHARE = 0.7
TIME_FRAMES = (("2 weeks", 0.6), ("3 weeks", 0.2), ("1 month", 0.2))


def draw(scenario: Scenario) -> Plan:
    """The plan of a scenario: the same for the same scenario (seed included)."""
    rng = random.Random(scenario.seed)
    end = add_months(scenario.start, scenario.months)
    people = _People(rng, scenario)
    volunteers = _volunteers(rng, scenario, people, end)
    requests = _requests(rng, scenario, people, end)
    topics = scenario.topics
    return Plan(
        seed=scenario.seed,
        start=scenario.start,
        end=end,
        settings=dict(scenario.settings),
        volunteers=volunteers,
        requests=requests,
        members=scenario.members,
        topics=tuple(dict.fromkeys(topics.supply + topics.demand)),
    )


def add_months(when: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months later (the month's last day if shorter)."""
    years, month = divmod(when.month - 1 + months, 12)
    year = when.year + years
    day = min(when.day, calendar.monthrange(year, month + 1)[1])
    return when.replace(year=year, month=month + 1, day=day)


class _Picker:
    """Weighted draws from a fixed list, one `random()` each."""

    def __init__(self, items: Sequence[str], weights: Sequence[float]) -> None:
        pairs = [(item, weight) for item, weight in zip(items, weights, strict=True) if weight > 0]
        self.items = [item for item, _ in pairs]
        self.cumulative = list(itertools.accumulate(weight for _, weight in pairs))

    @classmethod
    def zipf(cls, items: Sequence[str], exponent: float) -> _Picker:
        return cls(items, [1 / (rank**exponent) for rank in range(1, len(items) + 1)])

    def __call__(self, rng: random.Random) -> str:
        point = rng.random() * self.cumulative[-1]
        return self.items[min(bisect.bisect_right(self.cumulative, point), len(self.items) - 1)]


class _People:
    """Member ids, and unique display names given out in the order members first act."""

    def __init__(self, rng: random.Random, scenario: Scenario) -> None:
        self.width = max(5, len(str(scenario.members)))
        chosen = rng.sample(range(scenario.members), scenario.volunteers)
        self.volunteers = chosen
        taken = set(chosen)
        others = [i for i in range(scenario.members) if i not in taken]
        rng.shuffle(others)
        volunteers_last = list(chosen)
        rng.shuffle(volunteers_last)
        # Seekers are members who don't volunteer; volunteers ask only when nobody else is left.
        self.fresh = volunteers_last + others  # popped from the end
        self.last_asked: dict[int, datetime] = {}
        self.asked: list[int] = []  # in the order members first asked
        combos = list(itertools.product(FIRST_NAMES, LAST_NAMES))
        rng.shuffle(combos)
        self._names = self._all_names(combos)
        self.named: dict[int, str] = {}
        self.zone = _Picker(list(scenario.zones), list(scenario.zones.values()))

    @staticmethod
    def _all_names(combos: list[tuple[str, str]]) -> Iterator[str]:
        yield from (f"{first} {last}" for first, last in combos)
        for initial in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            yield from (f"{first} {initial}. {last}" for first, last in combos)
        for number in itertools.count(2):
            yield from (f"{first} {last} {number}" for first, last in combos)

    def user_id(self, member: int) -> str:
        return f"u{member + 1:0{self.width}d}"

    def name(self, member: int) -> str:
        if member not in self.named:
            self.named[member] = next(self._names)
        return self.named[member]


def _volunteers(
    rng: random.Random, scenario: Scenario, people: _People, end: datetime
) -> tuple[VolunteerPlan, ...]:
    p, topics = scenario.profiles, scenario.topics
    supply = _Picker.zipf(topics.supply, topics.supply_exponent)
    weight = {t: 1 / (rank**topics.supply_exponent) for rank, t in enumerate(topics.supply, 1)}
    chances = _chances(rng, scenario.answers, len(people.volunteers))
    span = end - scenario.start
    plans = []
    for number, (member, chance) in enumerate(zip(people.volunteers, chances, strict=True)):
        zone = people.zone(rng)
        listed = _topics(rng, supply, weight, rng.randint(*p.topics_each))
        join = {
            "role": role_for(listed[0]),
            "organisation": rng.choice(ORGANISATIONS),
            "topics": ", ".join(listed),
            "timezone": zone,
            "monthly_capacity": str(rng.randint(*p.capacity)),
        }
        if rng.random() >= p.without_windows:
            join["windows"] = _windows(rng, p.windows, p.window_hours, p.lunch)
        if rng.random() < p.affiliated:
            join["affiliations"] = ", ".join(rng.sample(SCHOOLS, rng.randint(1, 2)))
        joins_at = scenario.start + timedelta(seconds=number)
        if rng.random() < p.joining_later:
            joins_at = scenario.start + _minutes(rng.uniform(0.05, 0.75) * span)
        plans.append(
            VolunteerPlan(
                user_id=people.user_id(member),
                name=people.name(member),
                join=join,
                joins_at=joins_at,
                answers=Answers(*chance, delay=_delay(rng, scenario.answers)),
                pauses=_pause(rng, scenario, joins_at, end),
            )
        )
    return tuple(plans)


def _topics(rng: random.Random, supply: _Picker, weight: dict[str, float], count: int) -> list[str]:
    """A volunteer's topics: the first by popularity, the others mostly next to it."""
    listed = [supply(rng)]
    near = [t for t in weight if t in adjacent_topics(listed[0])]
    for _ in range(count * 4):
        if len(listed) >= min(count, len(weight)):
            break
        if near and rng.random() < ADJACENT_SHARE:
            topic = _Picker(near, [weight[t] for t in near])(rng)
        else:
            topic = supply(rng)
        if topic not in listed:
            listed.append(topic)
    return listed


def _windows(
    rng: random.Random, count: tuple[int, int], hours: tuple[int, int], lunch: float
) -> str:
    """Weekly windows as members write them, each on its own day: "Tue 18:00-20:00; ..."."""
    days = sorted(rng.sample(range(7), min(rng.randint(*count), 7)))
    parts = []
    for day in days:
        length = rng.randint(*hours)
        if rng.random() < lunch:
            length = min(length, 2)
            start = 11 * 60 + 30 * rng.randint(1, 3)  # 11:30, 12:00 or 12:30
        else:
            start = 60 * 17 + 30 * rng.randint(0, (24 - 17 - length) * 2)
        end = start + 60 * length
        parts.append(f"{WEEKDAYS[day].capitalize()} {_clock(start)}-{_clock(end)}")
    return "; ".join(parts)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _chances(
    rng: random.Random, answers: AnswerChances, count: int
) -> list[tuple[float, float, float, float]]:
    """Each volunteer's (accept, not_now, decline, silent): their average is the community's."""
    target = (answers.accept, answers.not_now, answers.decline, answers.silent)
    draws = []
    for _ in range(count):
        gammas = [rng.gammavariate(t * CONCENTRATION, 1.0) if t > 0 else 0.0 for t in target]
        total = sum(gammas) or 1.0
        draws.append([g / total for g in gammas])
    if not draws:
        return []
    mean = [sum(d[k] for d in draws) / count for k in range(4)]
    # As much of `spread` as keeps every chance at 0 or above.
    scale = answers.spread
    for d in draws:
        for k in range(4):
            if d[k] < mean[k]:
                scale = min(scale, target[k] / (mean[k] - d[k]))
    return [
        (
            max(0.0, target[0] + scale * (d[0] - mean[0])),
            max(0.0, target[1] + scale * (d[1] - mean[1])),
            max(0.0, target[2] + scale * (d[2] - mean[2])),
            max(0.0, target[3] + scale * (d[3] - mean[3])),
        )
        for d in draws
    ]


def _delay(rng: random.Random, answers: AnswerChances) -> timedelta:
    """This volunteer's typical time to answer: log-normal around the community's median."""
    hours = answers.delay_hours * math.exp(answers.delay_sigma * rng.gauss(0.0, 1.0))
    return _minutes(timedelta(hours=min(max(hours, MIN_DELAY_HOURS), answers.delay_max_hours)))


def _pause(
    rng: random.Random, scenario: Scenario, joins_at: datetime, end: datetime
) -> tuple[Pause, ...]:
    if rng.random() >= scenario.pauses.share:
        return ()
    days = rng.randint(scenario.pauses.weeks[0] * 7, scenario.pauses.weeks[1] * 7)
    earliest, latest = joins_at + timedelta(days=1), end - timedelta(days=7)
    if latest <= earliest:
        return ()
    return (Pause(start=earliest + _minutes(rng.random() * (latest - earliest)), days=days),)


def _minutes(delta: timedelta) -> timedelta:
    return timedelta(minutes=round(delta / timedelta(minutes=1)))


@dataclass(frozen=True)
class _Seeker:
    member: int
    zone: str
    windows: str  # "" when they give no windows (nor a zone)
    affiliation: str


def _requests(
    rng: random.Random, scenario: Scenario, people: _People, end: datetime
) -> tuple[RequestPlan, ...]:
    s, settings = scenario.seekers, scenario.community_settings()
    demand = _Picker.zipf(scenario.topics.demand, scenario.topics.demand_exponent)
    frame = _Picker([f for f, _ in TIME_FRAMES], [w for _, w in TIME_FRAMES])
    # A member asks again only once their last request has surely finished (expired at most),
    # so nobody reaches the open-request limit.
    gap = timedelta(days=settings.request_expiry_days + 2)
    seekers: dict[int, _Seeker] = {}
    zones = {name: ZoneInfo(name) for name in scenario.zones}
    minutes = [m for m in (15, SWEET_SPOT_MINUTES) if MIN_MINUTES <= m <= settings.max_minutes]
    plans = []
    for arrival in _arrivals(rng, scenario, end):
        member = _seeker(rng, s.repeat, people, arrival, gap)
        if member not in seekers:
            people.asked.append(member)
            zone = people.zone(rng)
            p = scenario.profiles
            windows = _windows(rng, s.windows, p.window_hours, p.lunch)
            gives = rng.random() < s.with_windows
            school = rng.choice(SCHOOLS) if rng.random() < s.affiliated else ""
            seekers[member] = _Seeker(member, zone, windows if gives else "", school)
        seeker = seekers[member]
        people.last_asked[member] = arrival
        local_zone = zones[seeker.zone]
        at = _working_hours(rng, arrival, local_zone, s.working_hours, scenario.start, end)
        topic = demand(rng)
        fields = {
            "topic": topic,
            "why": why_for(rng, topic),
            "questions": questions_for(rng, topic, rng.randint(2, 3)),
            "minutes": str(rng.choice(minutes or [settings.max_minutes])),
            "format": "video",
            "time_frame": frame(rng),
        }
        if seeker.windows:
            fields |= {"timezone": seeker.zone, "windows": seeker.windows}
        if seeker.affiliation:
            fields["affiliations"] = seeker.affiliation
        vague, fixed_after = None, timedelta(0)
        if rng.random() < s.vague:
            why, question = vague_text(rng)
            vague = {**fields, "why": why, "questions": question}
            fixed_after = _minutes(timedelta(hours=rng.uniform(*s.fix_hours)))
        plans.append(
            RequestPlan(
                at=at,
                seeker=people.user_id(member),
                seeker_name=people.name(member),
                fields=fields,
                vague=vague,
                fixed_after=fixed_after,
                picks_slot=rng.random() < s.picks_slot,
                confirms=rng.random() < s.confirms,
                thanks=rng.random() < s.thanks,
            )
        )
    return tuple(sorted(plans, key=lambda r: (r.at, r.seeker)))


def _arrivals(rng: random.Random, scenario: Scenario, end: datetime) -> Iterator[datetime]:
    """A Poisson process at `requests_per_month` (months as the calendar has them)."""
    span = (end - scenario.start).total_seconds()
    rate = scenario.requests_per_month * scenario.months / span  # per second
    if rate <= 0:
        return
    at = rng.expovariate(rate)
    while at < span:
        yield scenario.start + timedelta(seconds=round(at))
        at += rng.expovariate(rate)


def _seeker(
    rng: random.Random, repeat: float, people: _People, now: datetime, gap: timedelta
) -> int:
    """A member who hasn't asked yet, or now and then (`repeat`) one who asked long ago."""
    last = people.last_asked
    if last and (not people.fresh or rng.random() < repeat):
        for _ in range(8):
            member = rng.choice(people.asked)
            if last[member] <= now - gap:
                return member
    if people.fresh:
        return people.fresh.pop()
    return min(last, key=lambda m: (last[m], m))  # everyone asked lately: the longest ago


def _working_hours(
    rng: random.Random,
    at: datetime,
    zone: ZoneInfo,
    hours: tuple[int, int],
    start: datetime,
    end: datetime,
) -> datetime:
    """The same local day (a neighbouring one at the period's ends), at a time within the
    seeker's working hours."""
    local = at.astimezone(zone)
    minute = rng.randrange(hours[0] * 60, hours[1] * 60)
    moved = datetime.combine(local.date(), time(0), tzinfo=local.tzinfo) + timedelta(minutes=minute)
    for day in (0, -1, 1):  # the day before or after at the period's two ends
        when = (moved + timedelta(days=day)).astimezone(start.tzinfo)
        if start <= when < end:
            return when
    return at
