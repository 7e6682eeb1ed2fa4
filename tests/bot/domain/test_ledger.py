"""Ledger and help chains on hand-checked histories (R11)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bot.domain.ledger import Chat, Tally, chains, fold, longest_chain, paid_forward, tallies

A, B, C, D, E = 1, 2, 3, 4, 5
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def chat(giver: int, receiver: int, on: int) -> Chat:
    return Chat(giver=giver, receiver=receiver, at=day(on))


def test_no_chats_no_chains() -> None:
    assert tallies([]) == {}
    assert chains([]) == []
    assert longest_chain([]) == 0
    assert paid_forward([]) == set()


def test_one_chat_is_not_a_chain() -> None:
    history = [chat(A, B, 1)]
    assert tallies(history) == {A: Tally(given=1), B: Tally(received=1)}
    assert chains(history) == []
    assert longest_chain(history) == 0


def test_a_three_chain() -> None:
    # A helped B, then B helped C, then C helped D.
    history = [chat(C, D, 9), chat(A, B, 1), chat(B, C, 5)]
    assert chains(history) == [(A, B, C, D)]
    assert longest_chain(history) == 3
    assert paid_forward(history) == {B, C}
    assert tallies(history)[B] == Tally(given=1, received=1)


def test_a_branch_gives_two_chains() -> None:
    # A helped B; later B helped both C and D.
    history = [chat(A, B, 1), chat(B, C, 2), chat(B, D, 3)]
    assert chains(history) == [(A, B, C), (A, B, D)]
    assert longest_chain(history) == 2
    assert tallies(history)[B] == Tally(given=2, received=1)


def test_a_cycle_in_time_order_is_a_chain() -> None:
    # A helped B, then B helped A back, then A helped B again: each chat after the last.
    history = [chat(A, B, 1), chat(B, A, 2)]
    assert chains(history) == [(A, B, A)]
    assert longest_chain(history) == 2
    history.append(chat(A, B, 3))
    assert chains(history) == [(A, B, A, B)]
    assert longest_chain(history) == 3
    assert paid_forward(history) == {A, B}


def test_chats_in_the_wrong_order_make_no_chain() -> None:
    # B helped C first; only later was B helped by A: nothing was paid forward.
    history = [chat(B, C, 1), chat(A, B, 2)]
    assert chains(history) == []
    assert longest_chain(history) == 0
    assert paid_forward(history) == set()


def test_chats_at_the_same_moment_make_no_chain() -> None:
    history = [chat(A, B, 1), chat(B, C, 1)]
    assert chains(history) == []
    assert longest_chain(history) == 0


def test_a_shorter_path_inside_a_longer_chain_is_not_repeated() -> None:
    # B helped C twice; only after the first did C help D. A → B → C is inside A → B → C → D.
    history = [chat(A, B, 1), chat(B, C, 2), chat(C, D, 3), chat(B, C, 4)]
    assert chains(history) == [(A, B, C, D)]
    assert longest_chain(history) == 3


def test_only_the_later_of_two_chats_continues_a_chain() -> None:
    # B helped C before and after A helped B: only the later one follows A → B.
    history = [chat(B, C, 1), chat(A, B, 2), chat(B, C, 3), chat(D, E, 4)]
    assert chains(history) == [(A, B, C)]
    assert tallies(history)[C] == Tally(received=2)


def test_longest_first_and_separate_chains_kept() -> None:
    history = [
        chat(A, B, 1),
        chat(B, C, 2),
        chat(D, E, 1),
        chat(E, A, 3),  # E was helped by D, then helped A (after A had already helped B)
        chat(A, C, 4),
    ]
    # D → E → A → C (A helped C after E helped A), and A → B → C.
    assert chains(history) == [(D, E, A, C), (A, B, C)]
    assert longest_chain(history) == 3


def test_many_parallel_chats_stay_fast() -> None:
    history = [chat(A, B, n) for n in range(0, 200, 2)] + [chat(B, C, n) for n in range(1, 200, 2)]
    assert chains(history) == [(A, B, C)]
    assert longest_chain(history) == 2


def test_folding_chats_in_two_parts_finds_the_same_longest_chain() -> None:
    rng = random.Random(7)
    for _ in range(200):
        start = datetime(2026, 1, 1, tzinfo=UTC)
        chats = [
            Chat(rng.randrange(8), rng.randrange(8), start + timedelta(hours=rng.randrange(40)))
            for _ in range(rng.randrange(1, 30))
        ]
        cut = start + timedelta(hours=rng.randrange(41))
        ordered = sorted(chats, key=lambda c: c.at)
        links = [(c.giver, c.receiver, c.at) for c in ordered]
        kept = fold(None, [x for x in links if x[2] < cut], cut)
        found = fold(kept, [x for x in links if x[2] >= cut], start + timedelta(days=9)).longest
        assert (found if found >= 2 else 0) == longest_chain(chats)
        assert kept.folded == sum(1 for c in chats if c.at < cut)
