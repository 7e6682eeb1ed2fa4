"""What a weekly digest says, computed from plain facts (no I/O): givers to thank (by name
only with their consent), pay-it-forward stories, requests waiting by topic, and the weekly
counts its chart shows. Chats and help chains are the ledger's (bot.domain.ledger)."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.ledger import Chat
from bot.domain.topics import normalize_topic

WEEK = timedelta(days=7)
CHART_WEEKS = 12


@dataclass(frozen=True)
class Person:
    name: str
    public: bool  # may be recognised by name in public digests (opt-in)


@dataclass(frozen=True)
class Recognition:
    """People to celebrate: the names of those who opted in, and how many others."""

    named: tuple[str, ...] = ()
    unnamed: int = 0
    more: int = 0  # others who opted in, beyond the names shown

    def __str__(self) -> str:
        if self.more:
            return f"{', '.join(self.named)} and {self.more + self.unnamed} more"
        others = ""
        if self.unnamed:
            verb = "prefers" if self.unnamed == 1 else "prefer"
            who = "more" if self.named else ("person" if self.unnamed == 1 else "people")
            others = f"{self.unnamed} {who} who {verb} to stay unnamed"
        parts = [*self.named, others] if others else list(self.named)
        if not parts:
            return "—"
        if len(parts) == 1:
            return parts[0]
        return f"{', '.join(parts[:-1])} and {parts[-1]}"


@dataclass(frozen=True)
class Week:
    start: datetime
    requested: int
    given: int


@dataclass(frozen=True)
class Digest:
    start: datetime
    end: datetime
    completed: int
    new_volunteers: int
    givers: Recognition
    paid_forward: Recognition
    longest_chain: int  # chats in the longest help chain (ledger.longest_chain), 0 if none
    waiting: tuple[tuple[str, int], ...]  # open requests per topic, most first
    capacity_left: int
    volunteers_with_room: int
    weeks: tuple[Week, ...]


def recognise(member_ids: Iterable[int], people: Mapping[int, Person]) -> Recognition:
    """Names of those who opted into public recognition (sorted), and a count of the rest."""
    ids = set(member_ids)
    named = sorted(people[i].name for i in ids if people[i].public)
    return Recognition(tuple(named), len(ids) - len(named))


def in_window(chat: Chat, start: datetime, end: datetime) -> bool:
    return start <= chat.at < end


def paid_forward_between(chats: Sequence[Chat], start: datetime, end: datetime) -> set[int]:
    """Members who gave a chat in [start, end) after having received one themselves: the
    week's pay-it-forward stories."""
    first_received: dict[int, datetime] = {}
    for chat in chats:
        known = first_received.get(chat.receiver)
        if known is None or chat.at < known:
            first_received[chat.receiver] = chat.at
    return {
        chat.giver
        for chat in chats
        if in_window(chat, start, end)
        and chat.giver in first_received
        and first_received[chat.giver] < chat.at
    }


def waiting_by_topic(topics: Iterable[str]) -> tuple[tuple[str, int], ...]:
    """Open requests counted per normalised topic, most waiting first."""
    return waiting_by_topic_counts((t, 1) for t in topics)


def waiting_by_topic_counts(counted: Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    """`waiting_by_topic` from counts per topic as written."""
    counts: Counter[str] = Counter()
    for topic, n in counted:
        counts[normalize_topic(topic) or "other"] += n
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def weekly_counts(
    requested: Iterable[datetime],
    given: Iterable[datetime],
    weeks: Sequence[tuple[datetime, datetime]],
) -> tuple[Week, ...]:
    """Requests submitted and chats completed in each [start, end) of `weeks`: consecutive,
    oldest first, the last one the digest's own week."""
    edges = [start for start, _ in weeks] + [weeks[-1][1]] if weeks else []

    def bucket(times: Iterable[datetime]) -> Counter[int]:
        return Counter(
            bisect_right(edges, t) - 1 for t in times if edges and edges[0] <= t < edges[-1]
        )

    asked, done = bucket(requested), bucket(given)
    return tuple(Week(start, asked[i], done[i]) for i, (start, _) in enumerate(weeks))
