"""The ranking rules the simulator compares, as `bot.domain.ranking.Ranking`s.

- `infochat`: the core's own matching (no rule given: `None`).
- `random`: what a simple directory does: anyone who lists the request's topic, in a random
  order. The order is a fixed function of (seed, request, volunteer), so the core, which asks
  the rule again after each no, walks down the same list.
- `first-to-claim`: the request is posted and the first volunteer with the topic who answers
  takes it: those who list the topic, the quickest to answer first; those who never answer
  last (they would never claim it).

The core applies its hard rules (capacity, pauses, cool-downs, who was already asked) before
any rule sees the candidates, so every strategy keeps them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from bot.domain.models import Candidate, MatchResult, RequestFields
from bot.domain.ranking import Ranking
from bot.domain.topics import normalize_topic
from bot.simulate.plan import Plan

STRATEGIES = ("infochat", "random", "first-to-claim")


def lists_topic(candidate: Candidate, topic: str) -> bool:
    """Whether the volunteer lists `topic` itself (normalised; no adjacent topics)."""
    wanted = normalize_topic(topic)
    return any(normalize_topic(t) == wanted for t in candidate.volunteer.topics)


def _listers(fields: RequestFields, found: MatchResult) -> list[Candidate]:
    if found.widened:  # everyone found is only in a close field: nobody lists the topic
        return []
    return [c for c in found.candidates if lists_topic(c, fields.topic)]


@dataclass
class RandomAmongListers:
    """Random among the volunteers who list the topic, stable per (seed, request, member)."""

    seed: int
    name: str = "random"

    def order(self, request_id: int, fields: RequestFields, found: MatchResult) -> MatchResult:
        chosen = sorted(
            _listers(fields, found),
            key=lambda c: (self._draw(request_id, c.volunteer.member_id), c.volunteer.member_id),
        )
        return replace(found, candidates=tuple(chosen))

    def _draw(self, request_id: int, member_id: int) -> bytes:
        key = f"{self.seed}:{request_id}:{member_id}".encode()
        return hashlib.blake2b(key, digest_size=8).digest()


@dataclass
class FirstToClaim:
    """Among those who list the topic, the one who would answer soonest first (by each
    volunteer's typical delay, `None` for those who never answer: last), ties by member id."""

    delays: Mapping[str, timedelta | None]  # user id → typical time to answer
    name: str = "first-to-claim"

    def order(self, request_id: int, fields: RequestFields, found: MatchResult) -> MatchResult:
        chosen = sorted(_listers(fields, found), key=self._key)
        return replace(found, candidates=tuple(chosen))

    def _key(self, candidate: Candidate) -> tuple[bool, timedelta, int]:
        delay = self.delays.get(candidate.volunteer.user_id)
        silent = delay is None
        return silent, delay or timedelta(0), candidate.volunteer.member_id


def answer_delays(plan: Plan) -> dict[str, timedelta | None]:
    """Each volunteer's typical time to answer; None for one who never answers."""
    return {
        v.user_id: None if v.answers.silent >= 1.0 else v.answers.delay for v in plan.volunteers
    }


def strategy(name: str, plan: Plan) -> Ranking | None:
    """The rule named `name` for this plan (None: infochat's own matching)."""
    if name == "infochat":
        return None
    if name == "random":
        return RandomAmongListers(plan.seed)
    if name == "first-to-claim":
        return FirstToClaim(answer_delays(plan))
    raise ValueError(f"unknown strategy {name!r}; choose from {', '.join(STRATEGIES)}")
