"""The order in which a request's candidates are asked, as a swappable rule.

Infochat's own order is `matching.rank` (fit, common time, load): the core uses it when no
other rule is given. Another rule sees the same candidates, after the same hard exclusions
(capacity, pauses, cool-downs, who was already asked), and may drop or reorder them. The
simulator plugs the peers' simple rules in here to compare them with infochat's on the same
core (see `bot.simulate.strategies`).
"""

from __future__ import annotations

from typing import Protocol

from bot.domain.models import MatchResult, RequestFields


class Ranking(Protocol):
    name: str

    def order(self, request_id: int, fields: RequestFields, found: MatchResult) -> MatchResult:
        """The candidates to ask, first first, from everyone `matching.rank` found for the
        request (exact fits, or adjacent topics when `found.widened`). Must be the same for
        the same request and pool: the core asks it again after each no."""
        ...
