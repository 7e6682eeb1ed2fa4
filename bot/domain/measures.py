"""Program health (issue 12): the measures of a community over a period, from plain facts
about its history; no I/O (the facts are read by bot.storage.measures).

Two views of the period [start, end):
- The requests sent in it (their cohort), followed up to `now`: the funnel, what became of
  their asks, how long each step took, the well-formed ones introduced within 14 days, those
  closed with nobody to ask, and whether each introduction's two people had a common time.
- What volunteers did in it: introductions (what counts against capacity) and chats per
  volunteer, how evenly that load is spread, who reached their monthly capacity, who was
  never asked; and whether the members helped in it went on to help someone.

Members appear by id only, never by name: a member who erased their data still counts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.digest import waiting_by_topic
from bot.domain.models import AskStatus, RequestStatus, Window
from bot.domain.slots import propose_slots

WITHIN = timedelta(days=14)  # a well-formed request should be introduced within this
NOBODY_TO_ASK = frozenset({"no_match", "no_one_left"})  # close reasons: nobody (left) to ask
# An ask's outcome once the volunteer answered or let it lapse; withdrawn asks (the request
# was cancelled, the volunteer paused or left) and asks still waiting are not counted.
ANSWERED = (
    AskStatus.ACCEPTED,
    AskStatus.DECLINED,
    AskStatus.NOT_NOW,
    AskStatus.SUGGESTED,
    AskStatus.EXPIRED,
)


@dataclass(frozen=True)
class AskOutcomes:
    accepted: int = 0
    declined: int = 0
    not_now: int = 0
    suggested: int = 0  # suggested a colleague instead
    silent: int = 0  # expired without an answer

    def __add__(self, other: AskOutcomes) -> AskOutcomes:
        return AskOutcomes(
            self.accepted + other.accepted,
            self.declined + other.declined,
            self.not_now + other.not_now,
            self.suggested + other.suggested,
            self.silent + other.silent,
        )

    @property
    def total(self) -> int:
        return self.accepted + self.declined + self.not_now + self.suggested + self.silent

    @property
    def acceptance(self) -> float | None:
        return share(self.accepted, self.total)

    @property
    def decline(self) -> float | None:
        return share(self.declined, self.total)

    @property
    def not_now_rate(self) -> float | None:
        return share(self.not_now, self.total)

    @property
    def silence(self) -> float | None:
        return share(self.silent, self.total)


@dataclass(frozen=True)
class Availability:
    """Both people's weekly windows, each in their own zone, and the request's time frame."""

    seeker_windows: tuple[Window, ...]
    seeker_tz: str
    volunteer_windows: tuple[Window, ...]
    volunteer_tz: str
    minutes: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class RequestFacts:
    """One request sent in the period and what became of it by `now`."""

    request_id: int
    topic: str
    submitted_at: datetime
    well_formed: bool  # sent as written: the coach kept no draft of it (no warnings)
    status: RequestStatus
    close_reason: str | None
    first_asked_at: datetime | None  # the first ask that reached a volunteer
    answers: AskOutcomes  # how its asks ended
    introduced_at: datetime | None
    chat_at: datetime | None  # when the chat happened, once confirmed
    thanked: bool
    # Known when introduced to a volunteer whose profile has weekly windows.
    availability: Availability | None = None


@dataclass(frozen=True)
class Volunteer:
    member_id: int
    monthly_capacity: int
    active: bool
    joined_at: datetime
    asks: int = 0  # asks of the period's requests that reached them


@dataclass(frozen=True)
class VolunteerActivity:
    """What one member did as a volunteer in the period."""

    member_id: int
    introductions: int = 0
    chats: int = 0
    busiest_month: int = 0  # the most introductions in one calendar month of the period


@dataclass(frozen=True)
class History:
    start: datetime
    end: datetime
    now: datetime
    volunteers: Sequence[Volunteer] = ()  # every profile of the community
    activity: Sequence[VolunteerActivity] = ()  # members who introduced or chatted
    helped: int = 0  # members who received a chat in the period
    paid_forward: int = 0  # of them, those who gave a chat after their first one there


@dataclass(frozen=True)
class Funnel:
    sent: int = 0
    asked: int = 0  # at least one ask reached a volunteer
    accepted: int = 0
    introduced: int = 0
    chatted: int = 0  # the chat happened (confirmed)
    thanked: int = 0


@dataclass(frozen=True)
class Durations:
    """How long a step took from the request being sent, over the requests that got there."""

    count: int = 0
    median: timedelta | None = None
    p90: timedelta | None = None


@dataclass(frozen=True)
class VolunteerLoad:
    member_id: int
    introductions: int
    chats: int
    asks: int
    monthly_capacity: int | None  # None without a profile (a suggested colleague, erased)
    at_capacity: bool


@dataclass(frozen=True)
class Load:
    volunteers: int = 0  # active volunteers, and anyone else who introduced or chatted
    chats: int = 0
    chats_per_volunteer: float | None = None
    gini: float | None = None  # of introductions, zero-load volunteers included
    at_capacity: int = 0
    never_asked: int = 0  # active volunteers no ask of the period's requests reached
    each: tuple[VolunteerLoad, ...] = ()  # by member id


@dataclass(frozen=True)
class Measures:
    start: datetime
    end: datetime
    now: datetime
    funnel: Funnel = Funnel()
    asks: AskOutcomes = AskOutcomes()
    to_first_ask: Durations = Durations()
    to_introduction: Durations = Durations()
    to_chat: Durations = Durations()
    well_formed: int = 0  # sent in the period, decided: introduced, closed, or 14 days old
    well_formed_in_time: int = 0  # of them, introduced within 14 days
    well_formed_pending: int = 0  # still open and younger than 14 days: not counted yet
    nobody_to_ask: tuple[tuple[str, int], ...] = ()  # closed with nobody to ask, by topic
    load: Load = Load()
    helped: int = 0
    paid_forward: int = 0
    windows_checked: int = 0  # introductions whose volunteer's windows are known
    no_common_window: int = 0

    @property
    def in_time_share(self) -> float | None:
        return share(self.well_formed_in_time, self.well_formed)

    @property
    def pay_it_forward(self) -> float | None:
        return share(self.paid_forward, self.helped)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th quantile (0 ≤ q ≤ 1), interpolated between the closest ranks; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def gini(loads: Sequence[float]) -> float | None:
    """0 when everyone carries the same load, towards 1 when one carries it all; None when
    there is nobody or no load to share."""
    total = sum(loads)
    if not loads or total <= 0:
        return None
    ordered = sorted(loads)
    n = len(ordered)
    weighted = sum((i + 1) * x for i, x in enumerate(ordered))
    return max(0.0, 2 * weighted / (n * total) - (n + 1) / n)


def durations(spans: Sequence[timedelta]) -> Durations:
    seconds = [s.total_seconds() for s in spans]
    median, p90 = percentile(seconds, 0.5), percentile(seconds, 0.9)
    return Durations(
        len(spans),
        None if median is None else timedelta(seconds=median),
        None if p90 is None else timedelta(seconds=p90),
    )


def common_window(a: Availability) -> bool:
    """Whether the two have a slot of the chat's length in both their windows within the
    time frame: as an introduction proposes times (a seeker without windows is free)."""
    found = propose_slots(
        a.volunteer_windows, a.volunteer_tz, a.seeker_windows, a.seeker_tz,
        a.minutes, a.start, a.end, count=1,
    )  # fmt: skip
    return bool(found)


@dataclass
class RequestTally:
    """The requests' measures, folded one request at a time (a long period's requests are
    read in batches)."""

    now: datetime
    funnel: Counter[str] = field(default_factory=Counter)
    to_first_ask: list[timedelta] = field(default_factory=list)
    to_introduction: list[timedelta] = field(default_factory=list)
    to_chat: list[timedelta] = field(default_factory=list)
    well_formed: Counter[str] = field(default_factory=Counter)
    nobody_to_ask: list[str] = field(default_factory=list)
    windows: Counter[bool] = field(default_factory=Counter)
    answers: AskOutcomes = AskOutcomes()

    def add(self, r: RequestFacts) -> None:
        self.answers += r.answers
        steps = {
            "sent": True,
            "asked": r.first_asked_at is not None,
            "accepted": r.answers.accepted > 0,
            "introduced": r.introduced_at is not None,
            "chatted": r.chat_at is not None,
            "thanked": r.thanked,
        }
        self.funnel.update(step for step, reached in steps.items() if reached)
        if r.first_asked_at is not None:
            self.to_first_ask.append(r.first_asked_at - r.submitted_at)
        if r.introduced_at is not None:
            self.to_introduction.append(r.introduced_at - r.submitted_at)
        if r.chat_at is not None:
            self.to_chat.append(r.chat_at - r.submitted_at)
        if r.well_formed:
            self.well_formed[_timeliness(r, self.now)] += 1
        if r.status is RequestStatus.CLOSED and r.close_reason in NOBODY_TO_ASK:
            self.nobody_to_ask.append(r.topic)
        if r.introduced_at is not None and r.availability is not None:
            self.windows[common_window(r.availability)] += 1


def _timeliness(r: RequestFacts, now: datetime) -> str:
    if r.introduced_at is not None and r.introduced_at - r.submitted_at <= WITHIN:
        return "in_time"
    if r.status is RequestStatus.OPEN and now - r.submitted_at < WITHIN:
        return "pending"
    return "late"


def tally_requests(requests: Iterable[RequestFacts], now: datetime) -> RequestTally:
    tally = RequestTally(now)
    for r in requests:
        tally.add(r)
    return tally


def volunteer_load(history: History) -> Load:
    """Load over the active volunteers who had joined by the period's end, and any other
    member who introduced or chatted in it (one who left or erased their data counts)."""
    profiles = {v.member_id: v for v in history.volunteers}
    active = {v.member_id for v in history.volunteers if v.active and v.joined_at < history.end}
    done = {a.member_id: a for a in history.activity}
    each = []
    for member in sorted(active | done.keys()):
        act = done.get(member, VolunteerActivity(member))
        profile = profiles.get(member)
        capacity = profile.monthly_capacity if profile else None
        full = capacity is not None and act.busiest_month >= capacity
        asked = profile.asks if profile else 0
        each.append(VolunteerLoad(member, act.introductions, act.chats, asked, capacity, full))
    chats = sum(v.chats for v in each)
    return Load(
        volunteers=len(each),
        chats=chats,
        chats_per_volunteer=chats / len(each) if each else None,
        gini=gini([v.introductions for v in each]),
        at_capacity=sum(v.at_capacity for v in each),
        never_asked=sum(1 for v in each if v.member_id in active and not v.asks),
        each=tuple(each),
    )


def compute(history: History, requests: RequestTally) -> Measures:
    f = requests.funnel
    w = requests.well_formed
    return Measures(
        start=history.start,
        end=history.end,
        now=history.now,
        funnel=Funnel(
            f["sent"], f["asked"], f["accepted"], f["introduced"], f["chatted"], f["thanked"]
        ),
        asks=requests.answers,
        to_first_ask=durations(requests.to_first_ask),
        to_introduction=durations(requests.to_introduction),
        to_chat=durations(requests.to_chat),
        well_formed=w["in_time"] + w["late"],
        well_formed_in_time=w["in_time"],
        well_formed_pending=w["pending"],
        nobody_to_ask=waiting_by_topic(requests.nobody_to_ask),
        load=volunteer_load(history),
        helped=history.helped,
        paid_forward=history.paid_forward,
        windows_checked=requests.windows[True] + requests.windows[False],
        no_common_window=requests.windows[False],
    )
