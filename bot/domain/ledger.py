"""The pay-it-forward ledger (R11), computed from completed chats; no I/O.

A chat is one completed introduction: the volunteer (giver) helped the seeker (receiver) at
a time. A help chain is a path of chats in time order where whoever was helped helps someone
later: A helped B, then B helped C. Its length is its number of chats, at least two.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

# The people of a chain in order; one person may appear twice (A helped B, B later helped A).
Chain = tuple[int, ...]

# Bounds the enumeration of chains: a community would need thousands of criss-crossing chats
# to reach it, and then the chains shown are a sample (the longest is always exact).
MAX_STEPS = 20_000


@dataclass(frozen=True)
class Chat:
    giver: int
    receiver: int
    at: datetime  # when the chat happened


@dataclass(frozen=True)
class Tally:
    given: int = 0
    received: int = 0


def tallies(chats: Iterable[Chat]) -> dict[int, Tally]:
    """Chats given and received, per member who took part in any."""
    given: dict[int, int] = defaultdict(int)
    received: dict[int, int] = defaultdict(int)
    for chat in chats:
        given[chat.giver] += 1
        received[chat.receiver] += 1
    return {m: Tally(given[m], received[m]) for m in sorted(given.keys() | received.keys())}


def paid_forward(chats: Iterable[Chat]) -> set[int]:
    """Members who gave a chat after they had received one."""
    first_received: dict[int, datetime] = {}
    givers: dict[int, list[datetime]] = defaultdict(list)
    for chat in chats:
        seen = first_received.get(chat.receiver)
        if seen is None or chat.at < seen:
            first_received[chat.receiver] = chat.at
        givers[chat.giver].append(chat.at)
    return {
        member
        for member, times in givers.items()
        if member in first_received and max(times) > first_received[member]
    }


def longest_chain(chats: Sequence[Chat]) -> int:
    """The number of chats in the longest chain; 0 when nobody has paid it forward yet."""
    ordered = sorted(chats, key=lambda c: c.at)
    longest = fold(None, ((c.giver, c.receiver, c.at) for c in ordered), None).longest
    return longest if longest >= 2 else 0


@dataclass(frozen=True)
class ChainState:
    """Help chains folded over the `folded` chats that happened before `through`: `reach`
    is, per member, the longest chain ending with a chat they received."""

    through: datetime
    folded: int
    longest: int
    reach: dict[int, int]
    confirmed_late: int = 0  # of the chats folded, those confirmed at or after `through`


def fold(
    state: ChainState | None, links: Iterable[tuple[int, int, Any]], through: Any
) -> ChainState:
    """The state with `links` folded in: the chats from the state's `through` to `through`,
    earliest first. Its `longest` is `longest_chain`'s of all those chats (before the 0 for
    a single chat)."""
    reach: dict[int, int] = defaultdict(int, state.reach if state else {})
    longest = state.longest if state else 0
    folded = state.folded if state else 0
    for _, group in groupby(links, key=itemgetter(2)):
        scored = [(receiver, 1 + reach[giver]) for giver, receiver, _ in group]
        for receiver, best in scored:
            if best > reach[receiver]:
                reach[receiver] = best
            if best > longest:
                longest = best
            folded += 1
    return ChainState(through, folded, longest, dict(reach))


def confirmed(state: ChainState, late: int) -> ChainState:
    return ChainState(state.through, state.folded, state.longest, state.reach, late)


def chains(chats: Sequence[Chat]) -> list[Chain]:
    """Every maximal chain, as the people in it: no chain twice, none that sits inside a
    longer one. Longest first, then in the order they started."""
    ordered = sorted(chats, key=lambda c: c.at)
    by_giver: dict[int, list[int]] = defaultdict(list)  # person → their chats, in time order
    for i, chat in enumerate(ordered):
        by_giver[chat.giver].append(i)
    times = {person: [ordered[i].at for i in ids] for person, ids in by_giver.items()}

    def successors(i: int) -> list[int]:
        chat = ordered[i]
        ids = by_giver.get(chat.receiver, [])
        return ids[bisect_right(times.get(chat.receiver, []), chat.at) :]

    # A chat follows another when its giver had received one strictly before it.
    first_received: dict[int, datetime] = {}
    for chat in ordered:
        first_received.setdefault(chat.receiver, chat.at)
    has_predecessor = {
        i
        for i, chat in enumerate(ordered)
        if chat.giver in first_received and first_received[chat.giver] < chat.at
    }
    found: dict[Chain, None] = {}
    steps = 0
    stack: list[tuple[int, Chain]] = [
        (i, (ordered[i].giver, ordered[i].receiver))
        for i in reversed(range(len(ordered)))
        if i not in has_predecessor
    ]
    while stack and steps < MAX_STEPS:
        steps += 1
        i, people = stack.pop()
        nexts = successors(i)
        if not nexts and len(people) >= 3:
            found.setdefault(people, None)
        stack.extend((j, (*people, ordered[j].receiver)) for j in reversed(nexts))
    inside = {part for chain in found for part in _parts(chain)}
    kept = [c for c in found if c not in inside]
    return sorted(kept, key=len, reverse=True)


def _parts(chain: Chain) -> set[Chain]:
    """The shorter chains inside this one: its runs of three people or more but not all."""
    n = len(chain)
    return {chain[start : start + size] for size in range(3, n) for start in range(n - size + 1)}
