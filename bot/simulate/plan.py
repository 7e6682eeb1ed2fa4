"""What a simulated community does, drawn once from a scenario and its seed (`population`)
and played the same way under every strategy (`driver`): the same volunteers, the same
requests at the same times, and the same answer from a volunteer to the same request.

Arguments are the core's own command arguments (`volunteer.join`, `request.create`), as a
member would type them, so a plan exercises exactly what members can do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Answers:
    """How one volunteer answers asks: the chances of each answer (they sum to 1) and how
    long they take to answer when they do."""

    accept: float
    not_now: float
    decline: float
    silent: float  # never answers: the ask expires (settings.ask_expiry_days)
    delay: timedelta  # this volunteer's typical time to answer; each ask draws around it


@dataclass(frozen=True)
class Pause:
    start: datetime
    days: int  # `volunteer.pause` for this many days (they resume by themselves)


@dataclass(frozen=True)
class VolunteerPlan:
    user_id: str
    name: str
    join: dict[str, str]  # `volunteer.join` arguments: role, org, topics, capacity, windows…
    joins_at: datetime
    answers: Answers
    pauses: tuple[Pause, ...] = ()


@dataclass(frozen=True)
class RequestPlan:
    at: datetime  # when the seeker sends it
    seeker: str  # user id (a member who isn't necessarily a volunteer)
    seeker_name: str
    fields: dict[str, str]  # `request.create` arguments of the well-formed request
    # A first, vague version the coach turns back (sent first, then `fields` after a
    # while), or None when the request is well formed from the start.
    vague: dict[str, str] | None = None
    fixed_after: timedelta = timedelta(0)  # how long the seeker takes to fix a vague one
    picks_slot: bool = True  # picks one of the proposed times after the introduction
    confirms: bool = True  # answers "did it happen?" with yes
    thanks: bool = True  # sends thanks after the chat


@dataclass(frozen=True)
class Plan:
    seed: int
    start: datetime
    end: datetime
    settings: dict[str, str]  # community settings, as `/infochat mod settings` takes them
    volunteers: tuple[VolunteerPlan, ...]
    requests: tuple[RequestPlan, ...]  # in time order
    members: int  # the community's size (most members never act)
    topics: tuple[str, ...] = field(default=())  # every topic the scenario draws from
